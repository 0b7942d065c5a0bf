"""The preview as teachers will read it, with how many it reaches, then «Опубликовать» (the
announcement goes to them) or «Сохранить черновик»."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button
from markupsafe import Markup

from bot.dialogs.common import who
from bot.dialogs.event_editor.base import draft_of, locale_of, zone_of
from bot.dialogs.event_editor.flow import button_step
from bot.dialogs.event_editor.saving import show_card
from bot.dialogs.widgets import T, Template
from bot.errors import DomainError
from bot.services import events
from bot.states import EventEditor as S
from bot.texts import t
from bot.transport.events_admin import card_text, send_announcement


async def preview_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    draft = draft_of(dialog_manager)
    locale = locale_of(dialog_manager)
    try:
        card = await events.preview_card(session, person, draft)
    except DomainError as problem:
        return {
            "card_text": "",
            "problem": t(problem.key, **problem.params),
            "count": 0,
            "can_publish": False,
            "can_save": False,
        }
    count = await events.audience_count(session, person, draft)
    text = card_text(
        dialog_manager.middleware_data["templates"],
        card,
        locale,
        await zone_of(dialog_manager),
        show_link=False,
    )
    return {
        "card_text": Markup(text),
        "problem": "",
        "count": count,
        "can_publish": count > 0,
        "can_save": True,
    }


async def on_publish(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, settings = who(manager)
    announced = await events.publish_form(
        session,
        settings,
        person,
        draft_of(manager),
        create_key=str(manager.dialog_data["create_key"]),
        zone=await zone_of(manager),
    )
    queued = await send_announcement(
        session,
        settings,
        manager.middleware_data["templates"],
        announced.event,
        announced.recipients,
    )
    event_id = announced.event.id
    await manager.done()
    await show_card(manager, event_id, t("events_admin.published", count=queued))


async def on_save_draft(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, _settings = who(manager)
    event = await events.save(
        session,
        person,
        draft_of(manager),
        create_key=str(manager.dialog_data["create_key"]),
        zone=await zone_of(manager),
    )
    event_id = event.id
    await manager.done()
    await show_card(manager, event_id, t("events_admin.saved_draft"))


def windows() -> list[Window]:
    return [
        button_step(
            Template("event_admin_preview.html"),
            S.preview,
            Button(
                T("events_admin.button_publish"),
                id="publish",
                on_click=on_publish,
                when="can_publish",
            ),
            Button(
                T("events_admin.button_save_draft"),
                id="save_draft",
                on_click=on_save_draft,
                when="can_save",
            ),
            getter=preview_getter,
        )
    ]
