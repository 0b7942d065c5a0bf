"""Who came to an event: the organiser ticks people in the registrant list (paged, searchable;
per event and per session of a «десант»), or people check in themselves with the six-digit
code shown at the venue.

A code is accepted only within the event's (or session's) window: from 30 minutes before the
start to the end. Codes are per event, so a typed code is looked up among the events and sessions
of the person's municipality and region that start or end around now; the person must be in the
event's audience (registration is not required: someone who came without registering counts as
attended, a walk-in). Wrong codes are counted (`CheckinAttempt`): after
`settings.checkin_max_failures` of them within `settings.checkin_window_minutes` the person waits
that long before the next try. A right code at the wrong time is refused with the times and is
not counted: it is no guess.

Every attendance row copies the person's municipality and school as they are when they came
(districts of attendees, host schools). Checking in to a session counts as coming to the event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import recipient_timezones
from bot.errors import DomainError
from bot.services import event_registration
from bot.services.event_cards import checkin_window
from bot.services.scope import scope_of
from config.settings import Settings
from storage.models import AttendanceMethod, Event, EventSession, EventStatus, Person
from storage.repositories.event_attendance import AttendanceRepo, ListedPerson
from storage.repositories.events import EventsRepo
from storage.repositories.places import PlacesRepo

PER_PAGE = 10
SEARCH_MIN = 2
SEARCH_MAX = 60
CODE_DIGITS = 6
# The code is accepted from this long before the start until the end.
# Events around now a typed code is looked up among (for «not yet» and «already over»).
LOOKUP_SPAN = timedelta(days=7)
# A new code differs from the codes of events running within this span of the event.
CODE_SPAN = timedelta(days=1)
_CODE_TRIES = 20


def _now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- whose event ------------------------------------------------------------------------------


async def organiser_event(session: AsyncSession, viewer: Person, event_id: int) -> Event:
    """The event if the viewer organises it (their scope); otherwise «not found», whatever
    the reason, so a foreign id tells nothing."""
    event = await session.get(Event, event_id)
    scope = await scope_of(session, viewer)
    if event is None or scope.is_empty or not scope.owns(event):
        raise DomainError("event_attendance.not_found")
    return event


async def event_part(session: AsyncSession, event: Event, session_id: int) -> EventSession | None:
    """The session `session_id` of the event (0: none); a session of another event is refused."""
    if not session_id:
        return None
    part = await AttendanceRepo(session).event_session(session_id)
    if part is None or part.event_id != event.id:
        raise DomainError("event_attendance.not_found")
    return part


async def zone_of(session: AsyncSession, person: Person, settings: Settings) -> ZoneInfo:
    zones = await recipient_timezones(session, [person.municipality_id], settings.timezone)
    return ZoneInfo(zones.get(person.municipality_id, settings.timezone))


# --- the organiser's list ---------------------------------------------------------------------


@dataclass(frozen=True)
class AttendancePage:
    event_id: int
    event_title: str
    session_id: int  # 0: the event
    session_title: str | None
    people: list[ListedPerson]  # this page's
    page: int
    pages: int
    total: int  # in the list (after the search)
    attended: int  # of the whole event (or session), whatever the search
    search: str | None
    sessions: list[tuple[int, str]]  # the «десант»'s parts, to switch to


def clean_search(raw: str) -> str:
    text = " ".join((raw or "").split())
    if len(text) < SEARCH_MIN:
        raise DomainError("event_attendance.search_short", min=SEARCH_MIN)
    return text[:SEARCH_MAX]


async def registrant_page(
    session: AsyncSession,
    viewer: Person,
    event_id: int,
    session_id: int,
    page: int,
    search: str | None = None,
) -> AttendancePage:
    event = await organiser_event(session, viewer, event_id)
    part = await event_part(session, event, session_id)
    repo = AttendanceRepo(session)
    # A session with its own registration lists its registrants; otherwise the event's.
    registration_of = part.id if part is not None and part.capacity is not None else None
    listed = await repo.listed(event.id, part.id if part else None, registration_of)
    attended = sum(1 for p in listed if p.attended)
    if search:
        folded = search.casefold()
        listed = [p for p in listed if folded in p.name.casefold()]
    pages = max(1, (len(listed) + PER_PAGE - 1) // PER_PAGE)
    page = min(max(page, 0), pages - 1)
    sessions = [(s.id, s.title) for s in await EventsRepo(session).sessions_of(event.id)]
    return AttendancePage(
        event_id=event.id,
        event_title=event.title,
        session_id=part.id if part else 0,
        session_title=part.title if part else None,
        people=listed[page * PER_PAGE : (page + 1) * PER_PAGE],
        page=page,
        pages=pages,
        total=len(listed),
        attended=attended,
        search=search,
        sessions=sessions,
    )


async def toggle(
    session: AsyncSession,
    viewer: Person,
    event_id: int,
    session_id: int,
    person_id: int,
    now: datetime | None = None,
) -> bool:
    """Marks the person as come, or unmarks them; True: they are marked now. Only people of
    the list (registrants and those who came) can be ticked; the event must not be a draft or
    cancelled."""
    event = await organiser_event(session, viewer, event_id)
    if event.status not in (EventStatus.PUBLISHED, EventStatus.HELD):
        raise DomainError("event_attendance.not_open")
    part = await event_part(session, event, session_id)
    repo = AttendanceRepo(session)
    registration_of = part.id if part is not None and part.capacity is not None else None
    listed = {
        p.person_id for p in await repo.listed(event.id, part.id if part else None, registration_of)
    }
    if person_id not in listed:
        raise DomainError("event_attendance.not_in_list")
    part_id = part.id if part else None
    if await repo.remove(event.id, part_id, person_id):
        return False
    person = await session.get(Person, person_id)
    if person is None:
        raise DomainError("event_attendance.not_in_list")
    at = now or _now()
    await repo.add(event.id, part_id, person, AttendanceMethod.MARKED, at, marked_by_id=viewer.id)
    if part_id is not None:
        await repo.add(event.id, None, person, AttendanceMethod.MARKED, at, marked_by_id=viewer.id)
    return True


# --- the code at the venue --------------------------------------------------------------------


@dataclass(frozen=True)
class CodeView:
    event_id: int
    session_id: int
    title: str
    session_title: str | None
    code: str
    opens_at: datetime
    closes_at: datetime


def _window(event: Event, part: EventSession | None) -> tuple[datetime, datetime]:
    starts = aware(part.starts_at if part else event.starts_at)
    ends = aware(part.ends_at if part else event.ends_at)
    return checkin_window(starts, ends)


async def new_code(
    session: AsyncSession, starts_at: datetime, ends_at: datetime, avoid: str | None = None
) -> str:
    """Six random digits no other event or session around that time has (nor `avoid`, the
    code being replaced)."""
    repo = AttendanceRepo(session)
    code = ""
    for _ in range(_CODE_TRIES):
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code != avoid and not await repo.code_taken(
            code, aware(starts_at) - CODE_SPAN, aware(ends_at) + CODE_SPAN
        ):
            break
    return code


async def code_view(
    session: AsyncSession, viewer: Person, event_id: int, session_id: int, *, renew: bool = False
) -> CodeView:
    """The code to show at the venue (made on first asking); `renew`: a new one, the old one
    stops working."""
    event = await organiser_event(session, viewer, event_id)
    if event.status in (EventStatus.DRAFT, EventStatus.CANCELLED):
        raise DomainError("event_attendance.not_open")
    part = await event_part(session, event, session_id)
    holder: Event | EventSession = part if part is not None else event
    code = holder.checkin_code
    if renew or not code:
        code = await new_code(session, holder.starts_at, holder.ends_at, avoid=code)
        await AttendanceRepo(session).set_code(event.id, part.id if part else None, code)
    opens, closes = _window(event, part)
    return CodeView(
        event.id,
        part.id if part else 0,
        event.title,
        part.title if part else None,
        code,
        opens,
        closes,
    )


# --- checking in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedIn:
    event_id: int
    title: str
    session_title: str | None
    walk_in: bool  # came without registering
    again: bool  # had checked in already


@dataclass(frozen=True)
class Choice:
    """Two events under way with the code: the person says which one."""

    event_id: int
    session_id: int
    title: str


def clean_code(raw: str) -> str:
    code = "".join((raw or "").split())
    if len(code) != CODE_DIGITS or not (code.isascii() and code.isdigit()):
        raise DomainError("event_attendance.code_format", digits=CODE_DIGITS)
    return code


def _locked_until(
    failures: int, started: datetime, settings: Settings, now: datetime
) -> datetime | None:
    until = aware(started) + timedelta(minutes=settings.checkin_window_minutes)
    if failures >= settings.checkin_max_failures and now < until:
        return until
    return None


async def _refuse_locked(
    session: AsyncSession, person: Person, settings: Settings, until: datetime
) -> DomainError:
    zone = await zone_of(session, person, settings)
    return DomainError(
        "event_attendance.locked", keep_writes=True, until=until.astimezone(zone).strftime("%H:%M")
    )


async def check_in(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    raw: str,
    now: datetime | None = None,
    *,
    chosen: tuple[int, int] | None = None,
) -> CheckedIn | list[Choice]:
    """The person's typed code: checked in, or (two events with this code at once, both the
    person's) the events to choose from; refusals are `DomainError`s (a wrong code is counted
    and kept, whatever the update does after)."""
    now = now or _now()
    code = clean_code(raw)
    repo = AttendanceRepo(session)
    attempt = await repo.attempts(person.id)
    if attempt is not None:
        until = _locked_until(attempt.failures, attempt.window_started_at, settings, now)
        if until is not None:
            raise await _refuse_locked(session, person, settings, until)
    region_id = None
    if person.municipality_id is not None:
        home = await PlacesRepo(session).municipality(person.municipality_id)
        region_id = home.region_id if home is not None else None
    found = [
        (event, part)
        for event, part in await repo.by_code(
            code, now - LOOKUP_SPAN, now + LOOKUP_SPAN, person.municipality_id, region_id
        )
        if await event_registration.in_audience(session, event, person)
    ]
    if not found:
        window = timedelta(minutes=settings.checkin_window_minutes)
        failures = await repo.record_failure(person.id, now, now - window)
        if failures >= settings.checkin_max_failures:
            row = await repo.attempts(person.id)
            assert row is not None
            row.window_started_at = now  # the wait starts at the last wrong code
            await session.flush()
            raise await _refuse_locked(session, person, settings, now + window)
        raise DomainError(
            "event_attendance.wrong_code",
            keep_writes=True,
            left=settings.checkin_max_failures - failures,
        )
    open_now = [(e, p) for e, p in found if _window(e, p)[0] <= now <= _window(e, p)[1]]
    if not open_now:
        raise await _out_of_window(session, settings, person, found, now)
    if chosen is not None:
        open_now = [(e, p) for e, p in open_now if (e.id, p.id if p else 0) == chosen]
        if not open_now:
            raise DomainError("event_attendance.stale_choice")
    if len(open_now) > 1:
        return [Choice(e.id, p.id if p else 0, p.title if p else e.title) for e, p in open_now]
    event, part = open_now[0]
    registered = await repo.listed(event.id, None, None)
    walk_in = person.id not in {p.person_id for p in registered if p.registered}
    part_id = part.id if part else None
    added = await repo.add(event.id, part_id, person, AttendanceMethod.CODE, now)
    if part_id is not None:
        await repo.add(event.id, None, person, AttendanceMethod.CODE, now)
    return CheckedIn(event.id, event.title, part.title if part else None, walk_in, not added)


async def _out_of_window(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    found: list[tuple[Event, EventSession | None]],
    now: datetime,
) -> DomainError:
    """«Not yet: from 9:30» or «over: it ended 16.03 at 15:00», for the nearest of them."""
    zone = await zone_of(session, person, settings)
    windows = [_window(e, p) for e, p in found]
    ahead = sorted(w for w in windows if w[0] > now)
    if ahead:
        opens, closes = ahead[0]
        return DomainError(
            "event_attendance.too_early",
            opens=opens.astimezone(zone).strftime("%d.%m %H:%M"),
            ends=closes.astimezone(zone).strftime("%d.%m %H:%M"),
        )
    _opens, closes = max(windows, key=lambda w: w[1])
    return DomainError(
        "event_attendance.ended", ended=closes.astimezone(zone).strftime("%d.%m %H:%M")
    )


# --- the individual route (ИОМ) ---------------------------------------------------------------

ROUTE_EVENTS_LOOKED_AT = 200
ROUTE_EVENTS_PER_BLOCK = 3


@dataclass(frozen=True)
class RouteEvent:
    event_id: int
    title: str
    starts_at: datetime
    zone: ZoneInfo  # the person's municipality's (the event's when it has none)


async def upcoming_for_blocks(
    session: AsyncSession, person: Person, section_ids: list[str], now: datetime | None = None
) -> dict[str, list[RouteEvent]]:
    """Per self-check block, the upcoming published events whose topics name it and whose
    audience includes the person, soonest first (a few per block)."""
    if not section_ids or person.municipality_id is None:
        return {}
    now = now or _now()
    home = await PlacesRepo(session).municipality(person.municipality_id)
    region_id = home.region_id if home is not None else None
    found: dict[str, list[RouteEvent]] = {}
    wanted = set(section_ids)
    for event in await AttendanceRepo(session).upcoming_near(
        person.municipality_id, region_id, now, ROUTE_EVENTS_LOOKED_AT
    ):
        blocks = [b for b in (event.topics or []) if b in wanted]
        blocks = [b for b in blocks if len(found.get(b, [])) < ROUTE_EVENTS_PER_BLOCK]
        if not blocks or not await event_registration.in_audience(session, event, person):
            continue
        for block in blocks:
            found.setdefault(block, []).append(
                RouteEvent(
                    event.id,
                    event.title,
                    aware(event.starts_at),
                    ZoneInfo((home.timezone if home else None) or event.timezone),
                )
            )
    return found


# --- the person's own data (/mydata, /forget) ----------------------------------------------------


async def own_data(session: AsyncSession, person: Person) -> list[dict[str, object]]:
    """/mydata: the events (and «десант» sessions) the person came to, and how it was noted."""
    return [
        {
            "event_id": row.event_id,
            "event": title,
            "session_id": row.session_id,
            "session": part,
            "method": row.method.value,
            "checked_in_at": aware(row.checked_in_at).isoformat(),
        }
        for row, title, part in await AttendanceRepo(session).of_person(person.id)
    ]


async def forget_person(session: AsyncSession, person: Person) -> None:
    """/forget: the wrong-code counter goes; attendance rows stay as anonymous counts (the
    person row they point to has no name, phone or Telegram id any more)."""
    await AttendanceRepo(session).clear_failures(person.id)
