"""Events as organisers run them: the form's draft checked field by field, saved, published to
its audience, edited (the registrants told what changed), cancelled and copied.

The form keeps a `Draft` (plain data) in its dialog data; every typed value goes through one of
the `read_*`/`check_*` functions here, which refuse with a `DomainError` the person reads.
Saving checks the whole draft again. Who may see and change an event: its author, the
coordinators of its municipality and the admins of its region (the organiser's scope, as for
surveys). Registration itself, the waiting list and «Мероприятия» of participants are
`bot.services.event_registration`'s.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Recipient, recipient_timezones
from bot.errors import DomainError
from bot.services import audience as audiences
from bot.services import event_registration, event_types
from bot.services.event_cards import EventCard, SessionLine, card_of
from bot.services.event_fields import (
    ADDRESS_MAX,
    CAPACITY_MAX,
    CAPACITY_MIN,
    HOURS_MAX,
    NAME_MAX,
    check_description,
    check_form,
    check_line,
    check_scope,
    check_session_kind,
    check_title,
    check_type,
    check_url,
    topics,
)
from bot.services.scope import Scope, scope_of
from config.settings import Settings
from storage.models import (
    Event,
    EventForm,
    EventScope,
    EventSession,
    EventStatus,
    Municipality,
    Person,
)
from storage.repositories.event_admin import EventAdminRepo, Listener
from storage.repositories.event_reminders import EventRemindersRepo
from storage.repositories.events import EventsRepo

SESSIONS_MAX = 12


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- the draft the form fills in -------------------------------------------------------------


@dataclass
class Draft:
    """The form's answers so far. Moments are ISO strings in UTC; a «десант» program's parts
    keep their times relative to the event's start, so a new start (a copy, an edit) moves them
    along."""

    type_id: str = ""
    title: str = ""
    starts_at: str | None = None
    ends_at: str | None = None
    duration_hours: float | None = None
    form: str | None = None
    scope: str | None = None
    host_school_id: int | None = None
    address: str | None = None
    online_url: str | None = None
    capacity: int | None = None  # None: no limit
    deadline: str | None = None  # None: until the start
    audience: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    organiser: str | None = None
    topics: list[str] = field(default_factory=list)
    # Each: {"id", "kind", "title", "presenter", "offset", "length", "place", "capacity"}
    # (minutes from the event's start; id 0 for a new part).
    sessions: list[dict[str, Any]] = field(default_factory=list)
    copied_from_id: int | None = None
    # A copy's length in minutes: the end step offers «the same length».
    length_minutes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Draft:
        known = {name: value for name, value in (data or {}).items() if name in _DRAFT_FIELDS}
        return cls(**known)

    def moment(self, name: str) -> datetime | None:
        raw = getattr(self, name)
        return datetime.fromisoformat(raw) if raw else None

    @property
    def has_sessions(self) -> bool:
        kind = event_types.get(self.type_id)
        return bool(kind and kind.sessions)


_DRAFT_FIELDS = set(Draft.__dataclass_fields__)


def iso(moment: datetime) -> str:
    return _aware(moment).astimezone(UTC).isoformat()


# --- whose events ---------------------------------------------------------------------------


async def organiser_zone(session: AsyncSession, person: Person, settings: Settings) -> ZoneInfo:
    """The zone an organiser types times in: their one municipality's, else the one they live
    in, else the deployment's."""
    scope = await scope_of(session, person)
    candidates = list(scope.municipality_ids) if len(scope.municipality_ids) == 1 else []
    if person.municipality_id is not None:
        candidates.append(person.municipality_id)
    for municipality_id in candidates:
        municipality = await session.get(Municipality, municipality_id)
        if municipality is not None and municipality.timezone:
            return ZoneInfo(municipality.timezone)
    return settings.tz


async def organiser_scope(session: AsyncSession, person: Person) -> Scope:
    scope = await scope_of(session, person)
    if scope.is_empty:
        raise DomainError("events_admin.not_found")
    return scope


async def visible_event(
    session: AsyncSession, viewer: Person, event_id: int, *, lock: bool = False
) -> Event:
    scope = await organiser_scope(session, viewer)
    repo = EventAdminRepo(session)
    event = await (repo.get_for_update(event_id) if lock else EventsRepo(session).get(event_id))
    if event is None or not scope.owns(event):
        raise DomainError("events_admin.not_found")
    return event


# --- host schools -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolChoice:
    id: int
    label: str


async def host_schools(session: AsyncSession, person: Person) -> list[SchoolChoice]:
    scope = await organiser_scope(session, person)
    schools = await EventAdminRepo(session).schools_in(scope.municipality_ids)
    return [SchoolChoice(s.id, s.label) for s in schools]


async def check_host_school(session: AsyncSession, person: Person, school_id: int) -> int:
    scope = await organiser_scope(session, person)
    school = await EventAdminRepo(session).school(school_id)
    if school is None or not scope.covers_municipality(school.municipality_id):
        raise DomainError("events_admin.foreign_school")
    return school.id


# --- the whole draft -------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A draft's values as the event's columns, and its program's parts."""

    values: dict[str, Any]
    parts: list[dict[str, Any]]


async def check_draft(
    session: AsyncSession, person: Person, draft: Draft, *, now: datetime | None = None
) -> Checked:
    """Every field again (a form may be old, a button forged): the first problem refuses."""
    now = now or _now()
    kind = check_type(draft.type_id)
    title = check_title(draft.title)
    start, end = draft.moment("starts_at"), draft.moment("ends_at")
    if start is None or end is None:
        raise DomainError("events_admin.date_unreadable")
    if start <= now:
        raise DomainError("events_admin.date_past")
    if end <= start:
        raise DomainError("events_admin.end_before_start")
    hours = draft.duration_hours if draft.duration_hours is not None else kind.hours
    if not 0 < hours <= HOURS_MAX:
        raise DomainError("events_admin.hours_format", high=HOURS_MAX)
    form = check_form(draft.form or kind.form.value)
    scope_value = check_scope(draft.scope or EventScope.MUNICIPAL.value)
    host = draft.host_school_id
    if host is not None:
        await check_host_school(session, person, host)
    address = check_line(draft.address, ADDRESS_MAX) if draft.address else None
    url = check_url(draft.online_url) if draft.online_url else None
    if form is EventForm.ONLINE and url is None:
        raise DomainError("events_admin.url_needed")
    if form is not EventForm.ONLINE and host is None and address is None:
        raise DomainError("events_admin.place_needed")
    capacity = draft.capacity
    if capacity is not None and not CAPACITY_MIN <= capacity <= CAPACITY_MAX:
        raise DomainError("events_admin.capacity_range", low=CAPACITY_MIN, high=CAPACITY_MAX)
    deadline = draft.moment("deadline")
    if deadline is not None and deadline >= start:
        raise DomainError("events_admin.deadline_after_start")
    description = check_description(draft.description) if draft.description else None
    organiser = check_line(draft.organiser, NAME_MAX) if draft.organiser else None
    known_topics = {t.id for t in topics("ru")}
    chosen_topics = [t for t in draft.topics if t in known_topics]
    scope = await organiser_scope(session, person)
    target = audiences.Audience.from_dict(draft.audience)
    await audiences.validate(session, scope, target)
    parts = _checked_parts(draft, start, end) if kind.sessions else []
    municipality_id, region_id = await audiences.home_of(session, scope, target)
    values = {
        "type": kind.id,
        "scope": scope_value,
        "form": form,
        "title": title,
        "description": description,
        "topics": chosen_topics,
        "starts_at": start,
        "ends_at": end,
        "duration_hours": hours,
        "host_school_id": host,
        "address": address,
        "online_url": url,
        "organiser": organiser,
        "capacity": capacity,
        "registration_deadline": deadline,
        "audience": target.to_dict(),
        "municipality_id": municipality_id,
        "region_id": region_id,
    }
    return Checked(values, parts)


def _checked_parts(draft: Draft, start: datetime, end: datetime) -> list[dict[str, Any]]:
    if len(draft.sessions) > SESSIONS_MAX:
        raise DomainError("events_admin.too_many_sessions", limit=SESSIONS_MAX)
    parts = []
    for raw in draft.sessions:
        begin = start + timedelta(minutes=int(raw["offset"]))
        finish = begin + timedelta(minutes=int(raw["length"]))
        if begin < start or finish > end or finish <= begin:
            raise DomainError("events_admin.session_outside")
        capacity = raw.get("capacity")
        if capacity is not None and not CAPACITY_MIN <= int(capacity) <= CAPACITY_MAX:
            raise DomainError("events_admin.capacity_range", low=CAPACITY_MIN, high=CAPACITY_MAX)
        parts.append(
            {
                "id": int(raw.get("id") or 0),
                "kind": check_session_kind(str(raw["kind"])),
                "title": check_title(str(raw["title"])),
                "presenter": check_line(raw["presenter"], NAME_MAX)
                if raw.get("presenter")
                else None,
                "starts_at": begin,
                "ends_at": finish,
                "place": check_line(raw["place"], NAME_MAX) if raw.get("place") else None,
                "capacity": int(capacity) if capacity is not None else None,
            }
        )
    return parts


async def audience_count(session: AsyncSession, person: Person, draft: Draft) -> int:
    scope = await organiser_scope(session, person)
    return await audiences.count(session, scope, audiences.Audience.from_dict(draft.audience))


# --- saving and publishing -------------------------------------------------------------------


async def save(
    session: AsyncSession,
    author: Person,
    draft: Draft,
    *,
    create_key: str,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Event:
    """The form's event as a draft: made once per form (`create_key`), changed by a second
    save of the same form while it is still a draft."""
    now = now or _now()
    checked = await check_draft(session, author, draft, now=now)
    repo = EventAdminRepo(session)
    event = await repo.by_create_key(create_key)
    if event is not None:
        if event.author_id != author.id:
            raise DomainError("events_admin.not_found")
        if event.status is not EventStatus.DRAFT:
            return event
        for name, value in checked.values.items():
            setattr(event, name, value)
        event.updated_at = now
    else:
        event = Event(
            **checked.values,
            timezone=str(zone),
            status=EventStatus.DRAFT,
            author_id=author.id,
            copied_from_id=draft.copied_from_id,
            create_key=create_key,
            created_at=now,
            seats_taken=0,
            next_queue_no=1,
            version=0,
        )
        session.add(event)
        await session.flush()
    await repo.replace_sessions(event.id, checked.parts)
    return event


def _checkin_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


@dataclass(frozen=True)
class Announcement:
    """Whom to send the announcement (empty when it went out before)."""

    event: Event
    recipients: list[tuple[Recipient, str]]


async def _with_locales(
    session: AsyncSession, settings: Settings, recipients: Sequence[Recipient]
) -> list[tuple[Recipient, str]]:
    locales = await EventAdminRepo(session).locales_of([r.person_id for r in recipients])
    return [(r, locales.get(r.person_id) or settings.default_locale) for r in recipients]


async def audience_of(
    session: AsyncSession, settings: Settings, person: Person, event: Event
) -> list[tuple[Recipient, str]]:
    scope = await organiser_scope(session, person)
    target = audiences.Audience.from_dict(event.audience)
    await audiences.validate(session, scope, target)
    return await _with_locales(
        session, settings, await audiences.recipients(session, scope, target, settings)
    )


async def publish(
    session: AsyncSession,
    settings: Settings,
    viewer: Person,
    event_id: int,
    *,
    now: datetime | None = None,
) -> Announcement:
    """Published once: a second tap finds it published and announces nothing again."""
    now = now or _now()
    event = await visible_event(session, viewer, event_id, lock=True)
    if event.status is EventStatus.PUBLISHED:
        return Announcement(event, [])
    if event.status is not EventStatus.DRAFT:
        raise DomainError("events_admin.not_editable")
    if _aware(event.starts_at) <= now:
        raise DomainError("events_admin.date_past")
    deadline = event.registration_deadline
    if deadline is not None and _aware(deadline) <= now:
        raise DomainError("events_admin.deadline_passed")
    recipients = await audience_of(session, settings, viewer, event)
    if not recipients:
        raise DomainError("events_admin.nobody")
    event.status = EventStatus.PUBLISHED
    event.published_at = now
    event.checkin_code = _checkin_code()
    for part in await EventsRepo(session).sessions_of(event.id):
        part.checkin_code = _checkin_code()
    await session.flush()
    return Announcement(event, recipients)


async def publish_form(
    session: AsyncSession,
    settings: Settings,
    author: Person,
    draft: Draft,
    *,
    create_key: str,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Announcement:
    event = await save(session, author, draft, create_key=create_key, zone=zone, now=now)
    return await publish(session, settings, author, event.id, now=now)


# --- the organiser's lists and card ----------------------------------------------------------

SHELVES = ("upcoming", "drafts", "past")
PER_PAGE = 8


@dataclass(frozen=True)
class EventLine:
    id: int
    type_id: str
    title: str
    starts_at: datetime
    status: EventStatus
    seats_taken: int
    capacity: int | None


@dataclass(frozen=True)
class Shelf:
    name: str
    items: list[EventLine]
    page: int
    pages: int
    total: int


async def shelf(
    session: AsyncSession, viewer: Person, name: str, page: int, now: datetime | None = None
) -> Shelf:
    if name not in SHELVES:
        raise DomainError("error.stale_button")
    scope = await organiser_scope(session, viewer)
    total_pages = 1
    page = max(page, 0)
    rows, total = await EventAdminRepo(session).page(
        author_id=viewer.id,
        municipality_ids=scope.municipality_ids,
        region_ids=scope.region_ids,
        shelf=name,
        now=now or _now(),
        offset=page * PER_PAGE,
        limit=PER_PAGE,
    )
    total_pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    items = [
        EventLine(e.id, e.type, e.title, _aware(e.starts_at), e.status, e.seats_taken, e.capacity)
        for e in rows
    ]
    return Shelf(name, items, min(page, total_pages - 1), total_pages, total)


def is_under_way(event: Event, now: datetime) -> bool:
    return _aware(event.starts_at) <= now


def has_ended(event: Event, now: datetime | None = None) -> bool:
    return _aware(event.ends_at) <= (now or _now())


# --- editing ---------------------------------------------------------------------------------


async def draft_of(session: AsyncSession, viewer: Person, event_id: int) -> Draft:
    """The event as the form's draft (to change one field)."""
    event = await visible_event(session, viewer, event_id)
    return await _as_draft(session, event)


async def _as_draft(session: AsyncSession, event: Event) -> Draft:
    start = _aware(event.starts_at)
    parts = [
        {
            "id": part.id,
            "kind": part.kind.value,
            "title": part.title,
            "presenter": part.presenter,
            "offset": int((_aware(part.starts_at) - start).total_seconds() // 60),
            "length": int((_aware(part.ends_at) - _aware(part.starts_at)).total_seconds() // 60),
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
        return _aware(a) == _aware(b)
    return bool(a == b)


async def _program_lines(session: AsyncSession, event_id: int) -> list[tuple[Any, ...]]:
    return [
        (p.kind, p.title, p.presenter, _aware(p.starts_at), _aware(p.ends_at), p.place, p.capacity)
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
    now = now or _now()
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
    old_capacity, old_start = event.capacity, _aware(event.starts_at)
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
    if not _same(old_start, event.starts_at):
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
            _aware(p["starts_at"]),
            _aware(p["ends_at"]),
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
    start = _aware(event.starts_at)
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
            starts_at=_aware(part.starts_at if part is not None else event.starts_at),
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
    now = now or _now()
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
    length = int((_aware(event.ends_at) - _aware(event.starts_at)).total_seconds() // 60)
    draft.starts_at = draft.ends_at = draft.deadline = None
    draft.sessions = [{**part, "id": 0} for part in draft.sessions]
    draft.copied_from_id = event.id
    draft.length_minutes = length
    return draft


# --- the calendar file -----------------------------------------------------------------------


def calendar_domain(settings: Settings) -> str:
    """The host part of the calendar UID: the webhook's host, or a fixed name."""
    host = urlsplit(settings.webhook_base_url or "").hostname
    return host or "nastavnik.bot"


def calendar_name(event: Event) -> str:
    return f"event-{event.id}.ics"


async def location_of(session: AsyncSession, event: Event) -> str | None:
    school = await EventsRepo(session).school_label(event.host_school_id)
    parts = [p for p in (school, event.address) if p]
    return ", ".join(parts) if parts else event.online_url


# --- the preview -------------------------------------------------------------------------------


async def preview_card(session: AsyncSession, person: Person, draft: Draft) -> EventCard:
    """The card of the form's event exactly as teachers will read it once published."""
    checked = await check_draft(session, person, draft)
    values = checked.values
    return EventCard(
        id=0,
        type_id=values["type"],
        title=values["title"],
        description=values["description"],
        scope=values["scope"],
        form=values["form"],
        starts_at=values["starts_at"],
        ends_at=values["ends_at"],
        duration_hours=values["duration_hours"],
        host_school=await EventsRepo(session).school_label(values["host_school_id"]),
        address=values["address"],
        online_url=values["online_url"],
        organiser=values["organiser"],
        capacity=values["capacity"],
        seats_left=values["capacity"],
        waiting=0,
        registration_deadline=values["registration_deadline"],
        status=EventStatus.PUBLISHED,
        sessions=tuple(
            SessionLine(
                id=0,
                kind=part["kind"],
                title=part["title"],
                presenter=part["presenter"],
                starts_at=part["starts_at"],
                ends_at=part["ends_at"],
                place=part["place"],
                capacity=part["capacity"],
                seats_left=part["capacity"],
            )
            for part in sorted(checked.parts, key=lambda p: p["starts_at"])
        ),
    )


async def organiser_card(
    session: AsyncSession, viewer: Person, event_id: int
) -> tuple[Event, EventCard]:
    event = await visible_event(session, viewer, event_id)
    return event, await card_of(session, event)


def check_place(draft: Draft) -> None:
    """An online event needs its link; one in person a host school or an address."""
    kind = event_types.get(draft.type_id)
    form = draft.form or (kind.form.value if kind else EventForm.IN_PERSON.value)
    if form == EventForm.ONLINE.value and not draft.online_url:
        raise DomainError("events_admin.url_needed")
    if form != EventForm.ONLINE.value and draft.host_school_id is None and not draft.address:
        raise DomainError("events_admin.place_needed")


def check_field_editable(event: Event, field_name: str, now: datetime | None = None) -> None:
    """Before the form opens: a held or cancelled event is not changed, and one under way
    keeps its time, capacity and program."""
    if event.status in (EventStatus.CANCELLED, EventStatus.HELD):
        raise DomainError("events_admin.not_editable")
    fixed = ("when", "capacity", "program")
    if (
        event.status is EventStatus.PUBLISHED
        and is_under_way(event, now or _now())
        and field_name in fixed
    ):
        raise DomainError("events_admin.under_way")
