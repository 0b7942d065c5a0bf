"""Events as organisers run them: the form's draft checked field by field, saved, published to
its audience. Editing, cancelling and copying are `bot.services.event_changes`'s.

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

from bot.delivery.outbox import Recipient
from bot.errors import DomainError
from bot.services import audience as audiences
from bot.services import event_types
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
    check_reminder_offsets,
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
    EventStatus,
    Municipality,
    Person,
)
from storage.repositories.event_admin import EventAdminRepo
from storage.repositories.events import EventsRepo

SESSIONS_MAX = 12


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
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
    # Minutes before the start to remind registrants; None: the deployment's
    # EVENT_REMINDER_MINUTES.
    reminder_offsets: list[int] | None = None

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
    return as_utc(moment).astimezone(UTC).isoformat()


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
    now = now or now_utc()
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
        "reminder_offsets": (
            None
            if draft.reminder_offsets is None
            else check_reminder_offsets(draft.reminder_offsets)
        ),
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
    now = now or now_utc()
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
    now = now or now_utc()
    event = await visible_event(session, viewer, event_id, lock=True)
    if event.status is EventStatus.PUBLISHED:
        return Announcement(event, [])
    if event.status is not EventStatus.DRAFT:
        raise DomainError("events_admin.not_editable")
    if as_utc(event.starts_at) <= now:
        raise DomainError("events_admin.date_past")
    deadline = event.registration_deadline
    if deadline is not None and as_utc(deadline) <= now:
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
        now=now or now_utc(),
        offset=page * PER_PAGE,
        limit=PER_PAGE,
    )
    total_pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    items = [
        EventLine(e.id, e.type, e.title, as_utc(e.starts_at), e.status, e.seats_taken, e.capacity)
        for e in rows
    ]
    return Shelf(name, items, min(page, total_pages - 1), total_pages, total)


def is_under_way(event: Event, now: datetime) -> bool:
    return as_utc(event.starts_at) <= now


def has_ended(event: Event, now: datetime | None = None) -> bool:
    return as_utc(event.ends_at) <= (now or now_utc())


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
        and is_under_way(event, now or now_utc())
        and field_name in fixed
    ):
        raise DomainError("events_admin.under_way")
