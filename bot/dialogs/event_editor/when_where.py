"""When and where: the start and the end (or the same length as before), every typed moment
written back (weekday, day, time, zone) and taken only when confirmed; the place (a host school,
an address, the online link); the capacity and the registration deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Row

from bot.dialogs.common import paged_choices, who
from bot.dialogs.event_editor.base import draft_of, keep, locale_of, state_named, zone_of
from bot.dialogs.event_editor.flow import advance, answer, button_step, go, text_step
from bot.dialogs.widgets import T, Template
from bot.errors import DomainError
from bot.services import event_fields, events
from bot.states import EventEditor as S
from bot.texts import t, tn

SCHOOLS_PER_PAGE = 8

# --- moments: typed, written back, confirmed -----------------------------------------------------


async def zone_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    tz = await zone_of(dialog_manager)
    _person, _session, settings = who(dialog_manager)
    start = draft.moment("starts_at")
    same = None
    if draft.length_minutes and start is not None:
        same = (start + timedelta(minutes=draft.length_minutes)).astimezone(tz).strftime("%H:%M")
    return {
        "zone": str(tz),
        "start": event_fields.describe(start, tz, locale_of(dialog_manager), settings)
        if start
        else "",
        "same_end": same or "",
        "has_same_end": same is not None,
    }


async def _pending(
    manager: DialogManager, field: str, moment: datetime | None, step: State
) -> None:
    manager.dialog_data["pending"] = {
        "field": field,
        "value": events.iso(moment) if moment is not None else None,
    }
    manager.dialog_data["pending_step"] = step.state
    await manager.switch_to(S.confirm_moment)


async def on_start_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _pending(
        manager,
        "starts_at",
        event_fields.read_start(message.text or "", await zone_of(manager)),
        S.start,
    )


def _start_of(manager: DialogManager) -> datetime:
    start = draft_of(manager).moment("starts_at")
    if start is None:
        raise DomainError("events_admin.date_unreadable")
    return start


async def on_end_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    end = event_fields.read_end(message.text or "", _start_of(manager), await zone_of(manager))
    await _pending(manager, "ends_at", end, S.end)


async def on_same_length(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    start = _start_of(manager)
    draft.ends_at = events.iso(start + timedelta(minutes=draft.length_minutes or 60))
    keep(manager, draft)
    await advance(manager, S.end)


async def on_deadline_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    deadline = event_fields.read_deadline(
        message.text or "", _start_of(manager), await zone_of(manager)
    )
    await _pending(manager, "deadline", deadline, S.deadline)


async def on_until_start(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.deadline, deadline=None)


async def confirm_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    pending = dialog_manager.dialog_data.get("pending") or {}
    _person, _session, settings = who(dialog_manager)
    tz = await zone_of(dialog_manager)
    raw = pending.get("value")
    moment = datetime.fromisoformat(raw) if raw else None
    return {
        "what": t(f"events_admin.moment.{pending.get('field', 'starts_at')}"),
        "moment": event_fields.describe(moment, tz, locale_of(dialog_manager), settings)
        if moment
        else "",
    }


async def on_confirmed(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    pending = manager.dialog_data.pop("pending", None) or {}
    step = state_named(str(manager.dialog_data.get("pending_step", "")))
    field = str(pending.get("field", ""))
    if field not in ("starts_at", "ends_at", "deadline"):
        raise DomainError("error.stale_button")
    draft = draft_of(manager)
    setattr(draft, field, pending.get("value"))
    if field == "starts_at":
        # A moved start: an end or a deadline that no longer fits is asked again.
        start = draft.moment("starts_at")
        end, deadline = draft.moment("ends_at"), draft.moment("deadline")
        if start is not None and end is not None and end <= start:
            draft.ends_at = None
        if start is not None and deadline is not None and deadline >= start:
            draft.deadline = None
    keep(manager, draft)
    await advance(manager, step)


# --- the place -----------------------------------------------------------------------------------


async def place_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    draft = draft_of(dialog_manager)
    school = None
    if draft.host_school_id is not None:
        school = next(
            (
                s.label
                for s in await events.host_schools(session, person)
                if s.id == draft.host_school_id
            ),
            None,
        )
    return {
        "school": school,
        "address": draft.address,
        "url": draft.online_url,
        "online": draft.form == "online",
    }


async def on_place_done(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    events.check_place(draft_of(manager))
    await advance(manager, S.place)


async def schools_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    chosen = draft_of(dialog_manager).host_school_id
    return {
        "schools": [
            (s.id, ("✅ " if s.id == chosen else "") + s.label)
            for s in await events.host_schools(session, person)
        ]
    }


async def on_school(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, school_id: int
) -> None:
    person, session, _settings = who(manager)
    await answer(
        manager,
        S.place,
        host_school_id=await events.check_host_school(session, person, school_id),
        advancing=False,
    )


async def on_no_school(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.place, host_school_id=None, advancing=False)


async def on_address(message: Message, _widget: Any, manager: DialogManager) -> None:
    await answer(
        manager,
        S.place,
        address=event_fields.check_line(message.text or "", event_fields.ADDRESS_MAX),
        advancing=False,
    )


async def on_no_address(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.place, address=None, advancing=False)


async def on_url(message: Message, _widget: Any, manager: DialogManager) -> None:
    await answer(
        manager, S.place, online_url=event_fields.check_url(message.text or ""), advancing=False
    )


async def on_no_url(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.place, online_url=None, advancing=False)


# --- capacity ------------------------------------------------------------------------------------


async def on_capacity(message: Message, _widget: Any, manager: DialogManager) -> None:
    await answer(manager, S.capacity, capacity=event_fields.read_capacity(message.text or ""))


async def on_unlimited(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.capacity, capacity=None)


# --- reminders -----------------------------------------------------------------------------------


def describe_offsets(minutes: list[int]) -> str:
    return ", ".join(
        tn(f"events_admin.offset_{offset.unit}", offset.count)
        for offset in event_fields.offsets_of(minutes)
    )


async def reminders_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    _person, _session, settings = who(dialog_manager)
    usual = list(settings.event_reminder_minutes)
    current = draft_of(dialog_manager).reminder_offsets or usual
    return {"current": describe_offsets(current), "usual": describe_offsets(usual)}


async def on_reminders(message: Message, _widget: Any, manager: DialogManager) -> None:
    offsets = event_fields.read_reminder_offsets(message.text or "")
    await answer(manager, S.reminders, reminder_offsets=offsets)


async def on_usual_reminders(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.reminders, reminder_offsets=None)


# --- the windows ---------------------------------------------------------------------------------


def windows() -> list[Window]:
    return [
        text_step(T("events_admin.ask_start", "zone"), S.start, on_start_typed, getter=zone_getter),
        text_step(
            T("events_admin.ask_end", "start"),
            S.end,
            on_end_typed,
            Button(
                T("events_admin.button_same_length", "same_end"),
                id="same",
                on_click=on_same_length,
                when="has_same_end",
            ),
            getter=zone_getter,
        ),
        button_step(
            T("events_admin.confirm_moment", "moment", what="what"),
            S.confirm_moment,
            Button(T("events_admin.button_right"), id="right", on_click=on_confirmed),
            getter=confirm_getter,
        ),
        button_step(
            Template("event_admin_place.html"),
            S.place,
            Row(
                Button(T("events_admin.button_school"), id="to_school", on_click=go(S.school)),
                Button(T("events_admin.button_address"), id="to_address", on_click=go(S.address)),
            ),
            Button(T("events_admin.button_url"), id="to_url", on_click=go(S.url)),
            Button(T("events_admin.button_next"), id="place_done", on_click=on_place_done),
            getter=place_getter,
        ),
        button_step(
            T("events_admin.ask_school"),
            S.school,
            paged_choices(
                "schools_scroll",
                "school",
                "schools",
                on_school,
                per_page=SCHOOLS_PER_PAGE,
                numbers=True,
            ),
            Button(T("events_admin.button_no_school"), id="no_school", on_click=on_no_school),
            getter=schools_getter,
        ),
        text_step(
            T("events_admin.ask_address"),
            S.address,
            on_address,
            Button(T("events_admin.button_no_address"), id="no_address", on_click=on_no_address),
        ),
        text_step(
            T("events_admin.ask_url"),
            S.url,
            on_url,
            Button(T("events_admin.button_no_url"), id="no_url", on_click=on_no_url),
        ),
        text_step(
            T("events_admin.ask_capacity"),
            S.capacity,
            on_capacity,
            Button(T("events_admin.button_unlimited"), id="unlimited", on_click=on_unlimited),
        ),
        text_step(
            T("events_admin.ask_deadline", "start"),
            S.deadline,
            on_deadline_typed,
            Button(T("events_admin.button_until_start"), id="until_start", on_click=on_until_start),
            getter=zone_getter,
        ),
        text_step(
            T("events_admin.ask_reminders", "current", "usual"),
            S.reminders,
            on_reminders,
            Button(
                T("events_admin.button_usual_reminders", "usual"),
                id="usual_reminders",
                on_click=on_usual_reminders,
            ),
            getter=reminders_getter,
        ),
    ]
