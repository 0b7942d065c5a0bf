"""What the event is: its type, title, academic hours, form and scope, description, organiser
and topics."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column, Group

from bot.dialogs.common import choices
from bot.dialogs.event_editor.base import draft_of, keep, locale_of
from bot.dialogs.event_editor.flow import advance, answer, button_step, text_step
from bot.dialogs.widgets import T
from bot.services import event_fields, event_types, events
from bot.states import EventEditor as S
from bot.texts import t
from storage.models import EventForm, EventScope

# --- type, title ---------------------------------------------------------------------------------


async def kind_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    return {"kinds": [(kind.id, kind.title_in(locale)) for kind in event_types.catalogue()]}


async def on_kind(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, type_id: str
) -> None:
    kind = event_fields.check_type(type_id)
    draft = draft_of(manager)
    if draft.type_id != kind.id:
        draft.type_id = kind.id
        draft.duration_hours = None
        draft.form = kind.form.value
        if not kind.sessions:
            draft.sessions = []
    keep(manager, draft)
    await advance(manager, S.kind)


async def on_title(message: Message, _widget: Any, manager: DialogManager) -> None:
    await answer(manager, S.title, title=event_fields.check_title(message.text or ""))


# --- hours, form, scope --------------------------------------------------------------------------


def _default_hours(draft: events.Draft) -> float:
    kind = event_types.get(draft.type_id)
    return draft.duration_hours or (kind.hours if kind else 2.0)


async def hours_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    hours = _default_hours(draft_of(dialog_manager))
    return {"default": f"{hours:g}".replace(".", ",")}


async def on_hours_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    await answer(manager, S.hours, duration_hours=event_fields.read_hours(message.text or ""))


async def on_default_hours(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.hours, duration_hours=_default_hours(draft_of(manager)))


async def form_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    return {
        "forms": [
            (f.value, ("✅ " if draft.form == f.value else "") + t(f"event_card.form.{f.value}"))
            for f in EventForm
        ],
        "scopes": [
            (s.value, ("✅ " if draft.scope == s.value else "") + t(f"event_card.scope.{s.value}"))
            for s in EventScope
        ],
    }


async def on_form(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, value: str
) -> None:
    await answer(manager, S.form, form=event_fields.check_form(value).value)


async def on_scope(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, value: str
) -> None:
    await answer(manager, S.scope, scope=event_fields.check_scope(value).value)


# --- description, organiser, topics --------------------------------------------------------------


async def limits_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"limit": event_fields.DESCRIPTION_MAX}


async def on_description(message: Message, _widget: Any, manager: DialogManager) -> None:
    await answer(
        manager, S.description, description=event_fields.check_description(message.text or "")
    )


async def on_no_description(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.description, description=None)


async def on_organiser(message: Message, _widget: Any, manager: DialogManager) -> None:
    await answer(
        manager,
        S.organiser,
        organiser=event_fields.check_line(message.text or "", event_fields.NAME_MAX),
    )


async def on_no_organiser(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.organiser, organiser=None)


async def topics_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    chosen = draft_of(dialog_manager).topics
    return {
        "topics": [
            (topic.id, ("✅ " if topic.id in chosen else "▫️ ") + topic.title)
            for topic in event_fields.topics(locale_of(dialog_manager))
        ]
    }


async def on_topic(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, topic_id: str
) -> None:
    draft = draft_of(manager)
    draft.topics = event_fields.toggle_topic(draft.topics, topic_id)
    keep(manager, draft)


async def on_topics_done(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await advance(manager, S.topics)


# --- the windows ---------------------------------------------------------------------------------


def windows() -> list[Window]:
    return [
        button_step(
            T("events_admin.ask_type"),
            S.kind,
            Group(choices("kind", "kinds", on_kind), width=2),
            getter=kind_getter,
        ),
        text_step(T("events_admin.ask_title"), S.title, on_title),
        text_step(
            T("events_admin.ask_hours", "default"),
            S.hours,
            on_hours_typed,
            Button(
                T("events_admin.button_default_hours", "default"),
                id="default_hours",
                on_click=on_default_hours,
            ),
            getter=hours_getter,
        ),
        button_step(
            T("events_admin.ask_form"),
            S.form,
            Column(choices("form", "forms", on_form)),
            getter=form_getter,
        ),
        button_step(
            T("events_admin.ask_scope"),
            S.scope,
            Column(choices("scope", "scopes", on_scope)),
            getter=form_getter,
        ),
        text_step(
            T("events_admin.ask_description", limit="limit"),
            S.description,
            on_description,
            Button(
                T("events_admin.button_no_description"),
                id="no_description",
                on_click=on_no_description,
            ),
            getter=limits_getter,
        ),
        text_step(
            T("events_admin.ask_organiser"),
            S.organiser,
            on_organiser,
            Button(
                T("events_admin.button_no_organiser"), id="no_organiser", on_click=on_no_organiser
            ),
        ),
        button_step(
            T("events_admin.ask_topics"),
            S.topics,
            Column(choices("topic", "topics", on_topic)),
            Button(T("events_admin.button_next"), id="topics_done", on_click=on_topics_done),
            getter=topics_getter,
        ),
    ]
