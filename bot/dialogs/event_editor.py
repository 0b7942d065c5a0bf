"""The organiser's event form: type → title → start → end (or a length) → hours → form and
scope → place (a host school, an address, the online link) → capacity → registration deadline →
audience (the broadcast composer's picker) → for a «десант» its program → description,
organiser, topics → the preview as teachers will read it → «Опубликовать» / «Сохранить черновик».

Every typed moment is written back (weekday, day, time, zone) and taken only when confirmed.
The answers are a `events.Draft` in the form's dialog data, stored with it: the form survives a
restart. The same windows change one field of an existing event (`edit_id`, `field`): its last
step saves the change (the registrants are told) instead of going on; a copy (`copy`) asks the
new start and end, then shows the preview.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row
from aiogram_dialog.widgets.text import Format
from markupsafe import Markup

from bot.dialogs import broadcast_composer as picker
from bot.dialogs.common import (
    cancel,
    choices,
    paged_choices,
    tell,
    waits_for_buttons,
    waits_for_text,
    who,
)
from bot.dialogs.widgets import T, Template, render
from bot.errors import DomainError
from bot.keyboards.events_admin import card_keyboard
from bot.services import audience as audiences
from bot.services import event_fields, event_types, events
from bot.states import EventEditor
from bot.states import EventEditor as S
from bot.texts import t
from bot.transport.events import tell_promoted
from bot.transport.events_admin import (
    card_text,
    organiser_card_text,
    send_announcement,
    send_changes,
)
from storage.models import EventForm, EventScope, SessionKind

# --- the way through the form --------------------------------------------------------------------

NEXT: dict[State, State] = {
    S.kind: S.title,
    S.title: S.start,
    S.start: S.end,
    S.end: S.hours,
    S.hours: S.form,
    S.form: S.scope,
    S.scope: S.place,
    S.place: S.capacity,
    S.capacity: S.deadline,
    S.deadline: S.audience,
    S.audience: S.program,
    S.program: S.description,
    S.description: S.organiser,
    S.organiser: S.topics,
    S.topics: S.preview,
}
PREVIOUS: dict[State, State] = {after: before for before, after in NEXT.items()}
# A field of an existing event: the step it starts at and the step that saves it.
FIELD_STEPS: dict[str, tuple[State, State]] = {
    "title": (S.title, S.title),
    "when": (S.start, S.end),
    "hours": (S.hours, S.hours),
    "form": (S.form, S.scope),
    "place": (S.place, S.place),
    "capacity": (S.capacity, S.capacity),
    "deadline": (S.deadline, S.deadline),
    "audience": (S.audience, S.audience),
    "program": (S.program, S.program),
    "description": (S.description, S.description),
    "organiser": (S.organiser, S.organiser),
    "topics": (S.topics, S.topics),
}
SCHOOLS_PER_PAGE = 8


def _locale(manager: DialogManager) -> str:
    return str(manager.middleware_data["i18n"].current_locale)


def draft_of(manager: DialogManager) -> events.Draft:
    return events.Draft.from_dict(manager.dialog_data.get("draft"))


def keep(manager: DialogManager, draft: events.Draft) -> None:
    manager.dialog_data["draft"] = draft.to_dict()


async def _zone(manager: DialogManager) -> Any:
    person, session, settings = who(manager)
    return await events.organiser_zone(session, person, settings)


def _editing(manager: DialogManager) -> tuple[int, str] | None:
    event_id = manager.dialog_data.get("edit_id")
    return (int(event_id), str(manager.dialog_data["field"])) if event_id else None


async def on_start(start_data: Any, manager: DialogManager) -> None:
    person, session, _settings = who(manager)
    data = start_data if isinstance(start_data, dict) else {}
    draft = events.Draft()
    if data.get("edit_id"):
        draft = await events.draft_of(session, person, int(data["edit_id"]))
        manager.dialog_data.update(edit_id=int(data["edit_id"]), field=str(data["field"]))
    elif data.get("copy_of"):
        draft = await events.copy_of(session, person, int(data["copy_of"]))
        manager.dialog_data["copy"] = True
    manager.dialog_data.update(create_key=secrets.token_hex(8), no_segments=True)
    keep(manager, draft)
    picker.keep_audience(manager, audiences.Audience.from_dict(draft.audience))


async def advance(manager: DialogManager, done_with: State) -> None:
    """On to the next step; the last step of a field being changed saves the change."""
    editing = _editing(manager)
    if editing is not None and FIELD_STEPS[editing[1]][1] == done_with:
        await _save_edit(manager, editing[0])
        return
    if manager.dialog_data.get("copy") and done_with == S.end:
        await manager.switch_to(S.preview)
        return
    following = NEXT[done_with]
    if following == S.program and not draft_of(manager).has_sessions:
        following = S.description
    await manager.switch_to(following)


async def on_back(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    state = manager.current_context().state
    editing = _editing(manager)
    if editing is not None and FIELD_STEPS[editing[1]][0] == state:
        await manager.done()
        return
    parts = {
        S.session_kind: S.program,
        S.session_title: S.session_kind,
        S.session_presenter: S.session_title,
        S.session_time: S.session_presenter,
        S.session_capacity: S.session_time,
        S.session_place: S.session_capacity,
        S.school: S.place,
        S.address: S.place,
        S.url: S.place,
        S.confirm_moment: _state_named(str(manager.dialog_data.get("pending_step", ""))),
    }
    if state in parts:
        await manager.switch_to(parts[state])
        return
    if manager.dialog_data.get("copy") and state == S.preview:
        await manager.switch_to(S.end)
        return
    previous = PREVIOUS.get(state)
    if previous == S.program and not draft_of(manager).has_sessions:
        previous = S.audience
    if previous is None:
        return
    await manager.switch_to(previous)


def _state_named(name: str) -> State:
    for state in EventEditor.__all_states__:
        if state.state == name:
            return state
    return S.start


async def _answer(
    manager: DialogManager, step: State, *, advancing: bool = True, **values: Any
) -> None:
    """The draft with `values`, then on from `step` (or back to `step` itself)."""
    draft = draft_of(manager)
    for name, value in values.items():
        setattr(draft, name, value)
    keep(manager, draft)
    if advancing:
        await advance(manager, step)
    else:
        await manager.switch_to(step)


def _back() -> Button:
    return Button(T("events_admin.button_back"), id="back", on_click=on_back)


def _cancel() -> Any:
    return cancel("events_admin.button_leave", "events_admin.form_dropped")


def _skip(key: str, on_click: Any, widget_id: str, when: str | None = None) -> Button:
    return Button(T(key), id=widget_id, on_click=on_click, when=when)


# --- type, title ---------------------------------------------------------------------------------


async def kind_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    locale = _locale(dialog_manager)
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
    await _answer(manager, S.title, title=event_fields.check_title(message.text or ""))


# --- moments: typed, written back, confirmed -----------------------------------------------------


async def zone_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    tz = await _zone(dialog_manager)
    _person, _session, settings = who(dialog_manager)
    start = draft.moment("starts_at")
    same = None
    if draft.length_minutes and start is not None:
        same = (start + timedelta(minutes=draft.length_minutes)).astimezone(tz).strftime("%H:%M")
    return {
        "zone": str(tz),
        "start": event_fields.describe(start, tz, _locale(dialog_manager), settings)
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
        event_fields.read_start(message.text or "", await _zone(manager)),
        S.start,
    )


def _start_of(manager: DialogManager) -> datetime:
    start = draft_of(manager).moment("starts_at")
    if start is None:
        raise DomainError("events_admin.date_unreadable")
    return start


async def on_end_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    end = event_fields.read_end(message.text or "", _start_of(manager), await _zone(manager))
    await _pending(manager, "ends_at", end, S.end)


async def on_same_length(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    start = _start_of(manager)
    draft.ends_at = events.iso(start + timedelta(minutes=draft.length_minutes or 60))
    keep(manager, draft)
    await advance(manager, S.end)


async def on_deadline_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    deadline = event_fields.read_deadline(
        message.text or "", _start_of(manager), await _zone(manager)
    )
    await _pending(manager, "deadline", deadline, S.deadline)


async def on_until_start(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.deadline, deadline=None)


async def confirm_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    pending = dialog_manager.dialog_data.get("pending") or {}
    _person, _session, settings = who(dialog_manager)
    tz = await _zone(dialog_manager)
    raw = pending.get("value")
    moment = datetime.fromisoformat(raw) if raw else None
    return {
        "what": t(f"events_admin.moment.{pending.get('field', 'starts_at')}"),
        "moment": event_fields.describe(moment, tz, _locale(dialog_manager), settings)
        if moment
        else "",
    }


async def on_confirmed(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    pending = manager.dialog_data.pop("pending", None) or {}
    step = _state_named(str(manager.dialog_data.get("pending_step", "")))
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


# --- hours, form, scope --------------------------------------------------------------------------


def _default_hours(draft: events.Draft) -> float:
    kind = event_types.get(draft.type_id)
    return draft.duration_hours or (kind.hours if kind else 2.0)


async def hours_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    hours = _default_hours(draft_of(dialog_manager))
    return {"default": f"{hours:g}".replace(".", ",")}


async def on_hours_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _answer(manager, S.hours, duration_hours=event_fields.read_hours(message.text or ""))


async def on_default_hours(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.hours, duration_hours=_default_hours(draft_of(manager)))


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
    await _answer(manager, S.form, form=event_fields.check_form(value).value)


async def on_scope(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, value: str
) -> None:
    await _answer(manager, S.scope, scope=event_fields.check_scope(value).value)


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
    await _answer(
        manager,
        S.place,
        host_school_id=await events.check_host_school(session, person, school_id),
        advancing=False,
    )


async def on_no_school(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.place, host_school_id=None, advancing=False)


async def on_address(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _answer(
        manager,
        S.place,
        address=event_fields.check_line(message.text or "", event_fields.ADDRESS_MAX),
        advancing=False,
    )


async def on_no_address(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.place, address=None, advancing=False)


async def on_url(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _answer(
        manager, S.place, online_url=event_fields.check_url(message.text or ""), advancing=False
    )


async def on_no_url(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.place, online_url=None, advancing=False)


# --- capacity ------------------------------------------------------------------------------------


async def on_capacity(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _answer(manager, S.capacity, capacity=event_fields.read_capacity(message.text or ""))


async def on_unlimited(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.capacity, capacity=None)


# --- the audience --------------------------------------------------------------------------------


async def on_audience_done(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.audience, audience=picker.audience_of(manager).to_dict())


async def on_to_audience(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await manager.switch_to(S.audience)


# --- the program of a «десант» -------------------------------------------------------------------


async def program_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    tz = await _zone(dialog_manager)
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
    tz = await _zone(dialog_manager)
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
        message.text or "", start, end, await _zone(manager)
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


# --- description, organiser, topics --------------------------------------------------------------


async def on_description(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _answer(
        manager, S.description, description=event_fields.check_description(message.text or "")
    )


async def on_no_description(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.description, description=None)


async def on_organiser(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _answer(
        manager,
        S.organiser,
        organiser=event_fields.check_line(message.text or "", event_fields.NAME_MAX),
    )


async def on_no_organiser(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _answer(manager, S.organiser, organiser=None)


async def topics_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    chosen = draft_of(dialog_manager).topics
    return {
        "topics": [
            (topic.id, ("✅ " if topic.id in chosen else "▫️ ") + topic.title)
            for topic in event_fields.topics(_locale(dialog_manager))
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


# --- the preview, publishing, saving -------------------------------------------------------------


async def preview_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    draft = draft_of(dialog_manager)
    locale = _locale(dialog_manager)
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
        await _zone(dialog_manager),
        show_link=False,
    )
    return {
        "card_text": Markup(text),
        "problem": "",
        "count": count,
        "can_publish": count > 0,
        "can_save": True,
    }


async def _show_card(manager: DialogManager, event_id: int, note: str = "") -> None:
    person, session, _settings = who(manager)
    event, card = await events.organiser_card(session, person, event_id)
    tz = await _zone(manager)
    text = organiser_card_text(
        manager.middleware_data["templates"], _locale(manager), tz, event, card
    )
    ended = events.has_ended(event)
    await tell(
        manager,
        (note + "\n\n" if note else "") + text,
        card_keyboard(event.id, event.status, ended=ended),
    )


async def on_publish(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, settings = who(manager)
    announced = await events.publish_form(
        session,
        settings,
        person,
        draft_of(manager),
        create_key=str(manager.dialog_data["create_key"]),
        zone=await _zone(manager),
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
    await _show_card(manager, event_id, t("events_admin.published", count=queued))


async def on_save_draft(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, _settings = who(manager)
    event = await events.save(
        session,
        person,
        draft_of(manager),
        create_key=str(manager.dialog_data["create_key"]),
        zone=await _zone(manager),
    )
    event_id = event.id
    await manager.done()
    await _show_card(manager, event_id, t("events_admin.saved_draft"))


async def _save_edit(manager: DialogManager, event_id: int) -> None:
    person, session, settings = who(manager)
    templates = manager.middleware_data["templates"]
    changed = await events.update(session, settings, person, event_id, draft_of(manager))
    told = await send_changes(session, settings, templates, changed)
    await send_announcement(session, settings, templates, changed.event, changed.newcomers)
    await tell_promoted(session, settings, changed.promoted)
    await manager.done()
    note = (
        t("events_admin.changed_told", count=told)
        if changed.changes
        else t("events_admin.nothing_changed")
    )
    await _show_card(manager, event_id, note)


# --- the windows ---------------------------------------------------------------------------------


def _text_step(prompt: Any, state: State, on_text: Any, *extra: Any, getter: Any = None) -> Window:
    return Window(
        prompt,
        *extra,
        _back(),
        _cancel(),
        *waits_for_text(on_text, "events_admin.type_it"),
        getter=getter,
        state=state,
    )


def _button_step(prompt: Any, state: State, *buttons: Any, getter: Any = None) -> Window:
    return Window(
        prompt,
        *buttons,
        _back(),
        _cancel(),
        waits_for_buttons("events_admin.use_buttons"),
        getter=getter,
        state=state,
    )


def dialog() -> Dialog:
    return Dialog(
        _button_step(
            T("events_admin.ask_type"),
            S.kind,
            Group(choices("kind", "kinds", on_kind), width=2),
            getter=kind_getter,
        ),
        _text_step(T("events_admin.ask_title"), S.title, on_title),
        _text_step(
            T("events_admin.ask_start", "zone"), S.start, on_start_typed, getter=zone_getter
        ),
        _text_step(
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
        _button_step(
            T("events_admin.confirm_moment", "moment", what="what"),
            S.confirm_moment,
            Button(T("events_admin.button_right"), id="right", on_click=on_confirmed),
            getter=confirm_getter,
        ),
        _text_step(
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
        _button_step(
            T("events_admin.ask_form"),
            S.form,
            Column(choices("form", "forms", on_form)),
            getter=form_getter,
        ),
        _button_step(
            T("events_admin.ask_scope"),
            S.scope,
            Column(choices("scope", "scopes", on_scope)),
            getter=form_getter,
        ),
        _button_step(
            Template("event_admin_place.html"),
            S.place,
            Row(
                Button(T("events_admin.button_school"), id="to_school", on_click=_go(S.school)),
                Button(T("events_admin.button_address"), id="to_address", on_click=_go(S.address)),
            ),
            Button(T("events_admin.button_url"), id="to_url", on_click=_go(S.url)),
            Button(T("events_admin.button_next"), id="place_done", on_click=on_place_done),
            getter=place_getter,
        ),
        _button_step(
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
        _text_step(
            T("events_admin.ask_address"),
            S.address,
            on_address,
            Button(T("events_admin.button_no_address"), id="no_address", on_click=on_no_address),
        ),
        _text_step(
            T("events_admin.ask_url"),
            S.url,
            on_url,
            Button(T("events_admin.button_no_url"), id="no_url", on_click=on_no_url),
        ),
        _text_step(
            T("events_admin.ask_capacity"),
            S.capacity,
            on_capacity,
            Button(T("events_admin.button_unlimited"), id="unlimited", on_click=on_unlimited),
        ),
        _text_step(
            T("events_admin.ask_deadline", "start"),
            S.deadline,
            on_deadline_typed,
            Button(T("events_admin.button_until_start"), id="until_start", on_click=on_until_start),
            getter=zone_getter,
        ),
        Window(
            Template("broadcast_audience.html"),
            Column(choices("kind", "kinds", picker.on_kind)),
            Button(T("broadcast.audience_reset"), id="reset", on_click=picker.on_reset),
            Button(T("events_admin.button_next"), id="audience_done", on_click=on_audience_done),
            _back(),
            _cancel(),
            waits_for_buttons("events_admin.use_buttons"),
            getter=picker.audience_getter,
            state=S.audience,
        ),
        Window(
            Template("broadcast_audience.html"),
            paged_choices(
                "options",
                "choice",
                "options",
                picker.on_choice,
                per_page=picker.CHOICES_PER_PAGE,
                numbers=True,
            ),
            Button(T("events_admin.button_back"), id="to_audience", on_click=on_to_audience),
            waits_for_buttons("events_admin.use_buttons"),
            getter=picker.audience_getter,
            state=S.choices,
        ),
        _button_step(
            Template("event_admin_program.html"),
            S.program,
            Column(choices("remove_part", "removable", on_remove_part, numbers=True)),
            Button(
                T("events_admin.button_add_part"),
                id="add_part",
                on_click=_go(S.session_kind),
                when="can_add",
            ),
            Button(T("events_admin.button_next"), id="program_done", on_click=on_program_done),
            getter=program_getter,
        ),
        _button_step(
            T("events_admin.ask_session_kind"),
            S.session_kind,
            Column(choices("session_kind", "kinds", on_session_kind)),
            getter=session_kind_getter,
        ),
        _text_step(T("events_admin.ask_session_title"), S.session_title, on_session_title),
        _text_step(
            T("events_admin.ask_session_presenter"),
            S.session_presenter,
            on_session_presenter,
            Button(T("events_admin.button_skip"), id="no_presenter", on_click=on_no_presenter),
        ),
        _text_step(
            T("events_admin.ask_session_time", "span"),
            S.session_time,
            on_session_time,
            getter=session_time_getter,
        ),
        _text_step(
            T("events_admin.ask_session_capacity"),
            S.session_capacity,
            on_session_capacity,
            Button(
                T("events_admin.button_session_open"), id="session_open", on_click=on_session_open
            ),
        ),
        _text_step(
            T("events_admin.ask_session_place"),
            S.session_place,
            on_session_place,
            Button(T("events_admin.button_skip"), id="no_place", on_click=on_no_place),
        ),
        _text_step(
            T("events_admin.ask_description", limit="limit"),
            S.description,
            on_description,
            Button(
                T("events_admin.button_no_description"),
                id="no_description",
                on_click=on_no_description,
            ),
            getter=_limits,
        ),
        _text_step(
            T("events_admin.ask_organiser"),
            S.organiser,
            on_organiser,
            Button(
                T("events_admin.button_no_organiser"), id="no_organiser", on_click=on_no_organiser
            ),
        ),
        _button_step(
            T("events_admin.ask_topics"),
            S.topics,
            Column(choices("topic", "topics", on_topic)),
            Button(T("events_admin.button_next"), id="topics_done", on_click=on_topics_done),
            getter=topics_getter,
        ),
        _button_step(
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
        ),
        on_start=on_start,
    )


async def _limits(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"limit": event_fields.DESCRIPTION_MAX}


def _go(state: State) -> Any:
    async def go(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
        await manager.switch_to(state)

    return go


async def open_editor(manager: DialogManager, data: dict[str, Any], first: State = S.kind) -> None:
    await manager.start(first, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


__all__ = ["Format", "dialog", "open_editor", "render"]
