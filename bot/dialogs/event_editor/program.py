"""The program of a «десант»: its parts (a session's kind, title, presenter, time within the
event, capacity, room), added one at a time and removed by number."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column

from bot.dialogs.common import choices
from bot.dialogs.event_editor.base import draft_of, keep, zone_of
from bot.dialogs.event_editor.flow import advance, button_step, go, text_step
from bot.dialogs.widgets import T, Template
from bot.errors import DomainError
from bot.services import event_fields, events
from bot.states import EventEditor as S
from bot.texts import t
from storage.models import SessionKind


async def program_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    tz = await zone_of(dialog_manager)
    start = draft.moment("starts_at")
    lines = []
    for index, part in enumerate(draft.sessions):
        begin = (start + timedelta(minutes=int(part["offset"]))) if start else None
        finish = (begin + timedelta(minutes=int(part["length"]))) if begin else None
        lines.append(
            {
                "n": index + 1,
                "kind": t(f"event_card.session_kind.{part['kind']}"),
                "title": part["title"],
                "presenter": part.get("presenter"),
                "time": (
                    f"{begin.astimezone(tz):%H:%M}–{finish.astimezone(tz):%H:%M}"
                    if begin and finish
                    else ""
                ),
                "capacity": part.get("capacity"),
                "place": part.get("place"),
            }
        )
    return {
        "parts": lines,
        "removable": [(i, f"❌ {i + 1}. {p['title'][:30]}") for i, p in enumerate(draft.sessions)],
        "can_add": len(draft.sessions) < events.SESSIONS_MAX,
    }


async def on_remove_part(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, index: int
) -> None:
    draft = draft_of(manager)
    if not 0 <= index < len(draft.sessions):
        raise DomainError("error.stale_button")
    draft.sessions.pop(index)
    keep(manager, draft)


async def session_kind_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:

    return {"kinds": [(k.value, t(f"event_card.session_kind.{k.value}")) for k in SessionKind]}


async def on_session_kind(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, value: str
) -> None:
    manager.dialog_data["part"] = {"kind": event_fields.check_session_kind(value).value}
    await manager.switch_to(S.session_title)


def _part(manager: DialogManager) -> dict[str, Any]:
    part = manager.dialog_data.get("part")
    if not isinstance(part, dict) or "kind" not in part:
        raise DomainError("error.stale_button")
    return part


async def on_session_title(message: Message, _widget: Any, manager: DialogManager) -> None:
    _part(manager)["title"] = event_fields.check_title(message.text or "")
    await manager.switch_to(S.session_presenter)


async def on_session_presenter(message: Message, _widget: Any, manager: DialogManager) -> None:
    _part(manager)["presenter"] = event_fields.check_line(message.text or "", event_fields.NAME_MAX)
    await manager.switch_to(S.session_time)


async def on_no_presenter(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    _part(manager)["presenter"] = None
    await manager.switch_to(S.session_time)


async def session_time_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    tz = await zone_of(dialog_manager)
    start, end = draft.moment("starts_at"), draft.moment("ends_at")
    return {
        "span": f"{start.astimezone(tz):%d.%m %H:%M}–{end.astimezone(tz):%d.%m %H:%M}"
        if start and end
        else ""
    }


async def on_session_time(message: Message, _widget: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    start, end = draft.moment("starts_at"), draft.moment("ends_at")
    if start is None or end is None:
        raise DomainError("events_admin.date_unreadable")
    offset, length = event_fields.read_session_time(
        message.text or "", start, end, await zone_of(manager)
    )
    _part(manager).update(offset=offset, length=length)
    await manager.switch_to(S.session_capacity)


async def on_session_capacity(message: Message, _widget: Any, manager: DialogManager) -> None:
    _part(manager)["capacity"] = event_fields.read_capacity(message.text or "")
    await manager.switch_to(S.session_place)


async def on_session_open(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    _part(manager)["capacity"] = None
    await manager.switch_to(S.session_place)


async def _add_part(manager: DialogManager, place: str | None) -> None:
    part = _part(manager)
    if "title" not in part or "offset" not in part:
        raise DomainError("error.stale_button")
    draft = draft_of(manager)
    draft.sessions.append(
        {
            "id": 0,
            "kind": part["kind"],
            "title": part["title"],
            "presenter": part.get("presenter"),
            "offset": int(part["offset"]),
            "length": int(part["length"]),
            "place": place,
            "capacity": part.get("capacity"),
        }
    )
    draft.sessions.sort(key=lambda p: (int(p["offset"]), str(p["title"])))
    keep(manager, draft)
    manager.dialog_data.pop("part", None)
    await manager.switch_to(S.program)


async def on_session_place(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _add_part(manager, event_fields.check_line(message.text or "", event_fields.NAME_MAX))


async def on_no_place(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _add_part(manager, None)


async def on_program_done(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await advance(manager, S.program)


# --- the windows ---------------------------------------------------------------------------------


def windows() -> list[Window]:
    return [
        button_step(
            Template("event_admin_program.html"),
            S.program,
            Column(choices("remove_part", "removable", on_remove_part, numbers=True)),
            Button(
                T("events_admin.button_add_part"),
                id="add_part",
                on_click=go(S.session_kind),
                when="can_add",
            ),
            Button(T("events_admin.button_next"), id="program_done", on_click=on_program_done),
            getter=program_getter,
        ),
        button_step(
            T("events_admin.ask_session_kind"),
            S.session_kind,
            Column(choices("session_kind", "kinds", on_session_kind)),
            getter=session_kind_getter,
        ),
        text_step(T("events_admin.ask_session_title"), S.session_title, on_session_title),
        text_step(
            T("events_admin.ask_session_presenter"),
            S.session_presenter,
            on_session_presenter,
            Button(T("events_admin.button_skip"), id="no_presenter", on_click=on_no_presenter),
        ),
        text_step(
            T("events_admin.ask_session_time", "span"),
            S.session_time,
            on_session_time,
            getter=session_time_getter,
        ),
        text_step(
            T("events_admin.ask_session_capacity"),
            S.session_capacity,
            on_session_capacity,
            Button(
                T("events_admin.button_session_open"), id="session_open", on_click=on_session_open
            ),
        ),
        text_step(
            T("events_admin.ask_session_place"),
            S.session_place,
            on_session_place,
            Button(T("events_admin.button_skip"), id="no_place", on_click=on_no_place),
        ),
    ]
