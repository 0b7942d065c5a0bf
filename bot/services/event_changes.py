"""Changing a published or drafted event: the form opened on it again, the changes checked and
saved with the registrants told what changed (and promoted from the waiting list when seats
grow), cancelling and copying. Creating, saving and publishing are `bot.services.events`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Recipient, recipient_timezones
from bot.errors import DomainError
from bot.services import event_registration
from bot.services.events import (
    Checked,
    Draft,
    as_utc,
    audience_of,
    check_draft,
    is_under_way,
    iso,
    now_utc,
    visible_event,
)
from config.settings import Settings
from storage.models import (
    Event,
    EventSession,
    EventStatus,
    Person,
)
from storage.repositories.event_admin import EventAdminRepo, Listener
from storage.repositories.event_reminders import EventRemindersRepo
from storage.repositories.events import EventsRepo

# --- editing ---------------------------------------------------------------------------------


async def draft_of(session: AsyncSession, viewer: Person, event_id: int) -> Draft:
    """The event as the form's draft (to change one field)."""
    event = await visible_event(session, viewer, event_id)
    return await _as_draft(session, event)


async def _as_draft(session: AsyncSession, event: Event) -> Draft:
    start = as_utc(event.starts_at)
    parts = [
        {
            "id": part.id,
            "kind": part.kind.value,
            "title": part.title,
            "presenter": part.presenter,
            "offset": int((as_utc(part.starts_at) - start).total_seconds() // 60),
            "length": int((as_utc(part.ends_at) - as_utc(part.starts_at)).total_seconds() // 60),
            "place": part.place,
            "capacity": part.capacity,
        }
        for part in await EventsRepo(session).sessions_of(event.id)
    ]
    deadline = event.registration_deadline
    return Draft(
        type_id=event.type,
        title=event.title,
        starts_at=iso(start),
        ends_at=iso(event.ends_at),
        duration_hours=event.duration_hours,
        form=event.form.value,
        scope=event.scope.value,
        host_school_id=event.host_school_id,
        address=event.address,
        online_url=event.online_url,
        capacity=event.capacity,
        deadline=iso(deadline) if deadline is not None else None,
        audience=dict(event.audience or {}),
        description=event.description,
        organiser=event.organiser,
        topics=list(event.topics or []),
        reminder_offsets=list(event.reminder_offsets) if event.reminder_offsets else None,
        sessions=parts,
    )


@dataclass(frozen=True)
class Change:
    """One field told to people: its name and the old and new values as the card shows them
    (moments, labels, numbers; None: not set)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Changed:
    event: Event
    changes: list[Change]
    listeners: list[tuple[Recipient, str]]  # registrants and the waiting list to tell
    newcomers: list[tuple[Recipient, str]]  # a wider audience: the announcement for them
    # More seats moved the waiting list up: these people are offered (or given) a seat.
    promoted: list[event_registration.Promoted] = field(default_factory=list)


# The columns a person reads on the card, in the card's order, as a change names them.
_TOLD = (
    "type",
    "title",
    "starts_at",
    "ends_at",
    "duration_hours",
    "form",
    "scope",
    "host_school_id",
    "address",
    "online_url",
    "organiser",
    "capacity",
    "registration_deadline",
    "description",
)
_TIMES = ("starts_at", "ends_at")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return as_utc(a) == as_utc(b)
    return bool(a == b)


async def _program_lines(session: AsyncSession, event_id: int) -> list[tuple[Any, ...]]:
    return [
        (p.kind, p.title, p.presenter, as_utc(p.starts_at), as_utc(p.ends_at), p.place, p.capacity)
        for p in await EventsRepo(session).sessions_of(event_id)
    ]


async def update(
    session: AsyncSession,
    settings: Settings,
    viewer: Person,
    event_id: int,
    draft: Draft,
    *,
    now: datetime | None = None,
) -> Changed:
    """The event as the draft says. A draft just changes. A published one: an event under way
    keeps its time and capacity; fewer seats than taken is refused; registrants and the
    waiting list are told once (with a new .ics); a moved start rewrites unsent reminders;
    more seats move the waiting list up."""
    now = now or now_utc()
    event = await visible_event(session, viewer, event_id, lock=True)
    if event.status in (EventStatus.CANCELLED, EventStatus.HELD):
        raise DomainError("events_admin.not_editable")
    published = event.status is EventStatus.PUBLISHED
    checked = await _check_edit(session, viewer, event, draft, now)
    repo = EventsRepo(session)
    program_before = await _program_lines(session, event.id)
    before = {name: getattr(event, name) for name in _TOLD}
    before_labels = {"host_school_id": await repo.school_label(event.host_school_id)}
    old_audience = dict(event.audience or {})
    old_capacity, old_start = event.capacity, as_utc(event.starts_at)
    old_offsets = event.reminder_offsets
    if published and is_under_way(event, now):
        moved = any(not _same(before[n], checked.values[n]) for n in (*_TIMES, "capacity"))
        if moved or program_before != _program_from(checked.parts):
            raise DomainError("events_admin.under_way")
    capacity = checked.values["capacity"]
    if capacity is not None and capacity < event.seats_taken:
        raise DomainError(
            "events_admin.capacity_below_taken", taken=event.seats_taken, new=capacity
        )
    await _check_removed_parts(session, event.id, checked.parts)
    for part in checked.parts:
        if part["id"]:
            await _check_part_capacity(session, part)
    for name, value in checked.values.items():
        if name in ("municipality_id", "region_id") and published:
            continue  # a published event stays whose it was
        setattr(event, name, value)
    event.updated_at = now
    await EventAdminRepo(session).replace_sessions(event.id, checked.parts)
    changes = [
        Change(
            name,
            before_labels.get(name, before[name]),
            await repo.school_label(event.host_school_id)
            if name == "host_school_id"
            else getattr(event, name),
        )
        for name in _TOLD
        if not _same(before[name], getattr(event, name))
    ]
    if program_before != await _program_lines(session, event.id):
        changes.append(Change("program", len(program_before), len(checked.parts)))
    if not published:
        return Changed(event, changes, [], [])
    listeners: list[tuple[Recipient, str]] = []
    if changes:
        event.version += 1
        listeners = await _recipients_of(
            session, settings, await EventAdminRepo(session).listeners(event.id)
        )
    if not _same(old_start, event.starts_at) or old_offsets != event.reminder_offsets:
        await reschedule_reminders(session, settings, event, now=now)
    promoted: list[event_registration.Promoted] = []
    if old_capacity is not None and (capacity is None or capacity > old_capacity):
        promoted = await event_registration.promote_waiting(
            session, event.id, None, settings=settings, now=now
        )
    newcomers: list[tuple[Recipient, str]] = []
    if old_audience != event.audience:
        newcomers = await audience_of(session, settings, viewer, event)
    await session.flush()
    return Changed(event, changes, listeners, newcomers, promoted)


def _program_from(parts: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            p["kind"],
            p["title"],
            p["presenter"],
            as_utc(p["starts_at"]),
            as_utc(p["ends_at"]),
            p["place"],
            p["capacity"],
        )
        for p in sorted(parts, key=lambda p: (p["starts_at"], p["id"] or 10**9))
    ]


async def _check_edit(
    session: AsyncSession, viewer: Person, event: Event, draft: Draft, now: datetime
) -> Checked:
    """The draft checked as for saving, except that an event under way keeps its (past)
    start: then it is checked as of just before the start."""
    start = as_utc(event.starts_at)
    as_of = now if start > now else start - timedelta(seconds=1)
    return await check_draft(session, viewer, draft, now=as_of)


async def _check_removed_parts(
    session: AsyncSession, event_id: int, parts: Sequence[dict[str, Any]]
) -> None:
    kept = {p["id"] for p in parts if p["id"]}
    repo = EventAdminRepo(session)
    for part in await EventsRepo(session).sessions_of(event_id):
        if part.id not in kept and await repo.session_registrations(part.id):
            raise DomainError("events_admin.session_has_people", title=part.title)


async def _check_part_capacity(session: AsyncSession, part: dict[str, Any]) -> None:
    existing = await session.get(EventSession, part["id"])
    if existing is None:
        part["id"] = 0
        return
    capacity = part["capacity"]
    if capacity is not None and capacity < existing.seats_taken:
        raise DomainError(
            "events_admin.capacity_below_taken", taken=existing.seats_taken, new=capacity
        )


async def _recipients_of(
    session: AsyncSession, settings: Settings, listeners: Sequence[Listener]
) -> list[tuple[Recipient, str]]:
    zones = await recipient_timezones(
        session, {item.municipality_id for item in listeners}, settings.timezone
    )
    return [
        (
            Recipient(
                item.person_id,
                item.chat_id,
                zones.get(item.municipality_id, settings.timezone),
            ),
            item.locale or settings.default_locale,
        )
        for item in listeners
    ]


async def reschedule_reminders(
    session: AsyncSession, settings: Settings, event: Event, *, now: datetime
) -> None:
    """Unsent reminders written again from the new start (one already sent is not repeated)."""
    reminders = EventRemindersRepo(session)
    await reminders.drop_unsent_of_event(event.id)
    offsets = event.reminder_offsets or settings.event_reminder_minutes
    parts = {part.id: part for part in await EventsRepo(session).sessions_of(event.id)}
    for registration in await EventAdminRepo(session).seat_holders(event.id):
        part = parts.get(registration.session_id or 0)
        await reminders.schedule(
            registration_id=registration.id,
            event_id=event.id,
            person_id=registration.person_id,
            starts_at=as_utc(part.starts_at if part is not None else event.starts_at),
            offsets_minutes=offsets,
            now=now,
        )


# --- cancelling and copying ------------------------------------------------------------------


@dataclass(frozen=True)
class Cancelled:
    event: Event
    listeners: list[tuple[Recipient, str]]


async def cancel(
    session: AsyncSession,
    settings: Settings,
    viewer: Person,
    event_id: int,
    *,
    now: datetime | None = None,
) -> Cancelled:
    now = now or now_utc()
    event = await visible_event(session, viewer, event_id, lock=True)
    if event.status in (EventStatus.CANCELLED, EventStatus.HELD):
        raise DomainError("events_admin.not_editable")
    was_published = event.status is EventStatus.PUBLISHED
    event.status = EventStatus.CANCELLED
    event.cancelled_at = now
    event.updated_at = now
    listeners: list[tuple[Recipient, str]] = []
    if was_published:
        event.version += 1
        listeners = await _recipients_of(
            session, settings, await EventAdminRepo(session).listeners(event.id)
        )
    await EventRemindersRepo(session).drop_unsent_of_event(event.id)
    await session.flush()
    return Cancelled(event, listeners)


async def copy_of(session: AsyncSession, viewer: Person, event_id: int) -> Draft:
    """A new form with every field of the event but its dates; the program keeps its times
    relative to the start, which the form asks for first."""
    event = await visible_event(session, viewer, event_id)
    draft = await _as_draft(session, event)
    length = int((as_utc(event.ends_at) - as_utc(event.starts_at)).total_seconds() // 60)
    draft.starts_at = draft.ends_at = draft.deadline = None
    draft.sessions = [{**part, "id": 0} for part in draft.sessions]
    draft.copied_from_id = event.id
    draft.length_minutes = length
    return draft
