"""Events as participants meet them: the list of their audience's events, a card, one tap to
register, «Не смогу», the waiting list with offers, «Мои мероприятия», the .ics.

The seat rule (storage/repositories/event_registrations.py): a seat is one conditional UPDATE,
a place in line a number handed out once, so the last seat goes to exactly one of two people
tapping at once and the waiting list keeps the order people asked in.

When a seat is given up the first in line is offered it (`promote_waiting`): the seat is held
for them until `offer_expires_at` = min(now + `event_offer_hours`, start − 1 h); they confirm
(«Подтверждаю») or decline («Не смогу»), and silence passes it on (`expire_offers`, swept by
bot/scheduler/event_offers.py). When the start is less than an hour away there is no time for
a round of offers: the first in line is registered straight away and told so, with «Не смогу».

A «десант» session with its own capacity has its own registration (`session_id`), open to
those registered for the event; withdrawing from the event gives those seats up too. Reminders
are written for the event's registration only (a day and an hour before the event).

The people who hold a seat of one event are the broadcast segment «Зарегистрированные на
мероприятие» (`EVENT_SEGMENT`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import recipient_timezones
from bot.errors import DomainError
from bot.services import audience as audiences
from bot.services.event_calendar import ics_bytes
from bot.services.event_cards import EventCard, card_of, checkin_window
from bot.services.scope import Scope
from config.settings import Settings
from storage.models import (
    SEAT_HOLDING,
    Event,
    EventRegistration,
    EventSession,
    EventStatus,
    Person,
    RegistrationStatus,
)
from storage.repositories.event_registrations import EventRegistrationsRepo, registrants
from storage.repositories.event_reminders import EventRemindersRepo
from storage.repositories.events import EventsRepo
from storage.repositories.places import PlacesRepo

# The .ics UID's domain: fixed, so an event keeps its UID whatever address the bot runs at.
ICS_DOMAIN = "nastavnik.events"
# Ended events stay in «Мероприятия» and «Мои мероприятия» this long.
RECENT_PAST = timedelta(days=3)
# An offer is held at most until this long before the start.
OFFER_CLOSES_BEFORE_START = timedelta(hours=1)
EVENT_SEGMENT = "event_registrants"

REGISTERED = RegistrationStatus.REGISTERED
WAITING = RegistrationStatus.WAITING
OFFERED = RegistrationStatus.OFFERED
DECLINED = RegistrationStatus.DECLINED
EXPIRED = RegistrationStatus.EXPIRED
ACTIVE = (REGISTERED, OFFERED, WAITING)


def _now() -> datetime:
    return datetime.now(UTC)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What a tap did. `kind`: registered, waiting, already, already_waiting, refused (then
    `reason` is a locale key), declined (said «не смогу» before registering), withdrawn (gave
    up a seat or a place in line), already_declined."""

    kind: str
    event_id: int
    session_id: int | None = None
    place: int | None = None
    reason: str | None = None
    promoted: list[Promoted] = field(default_factory=list)


@dataclass(frozen=True)
class Promoted:
    """Someone moved up from the waiting list: offered a seat until `expires_at`, or (the start
    too close for an offer) registered straight away (`expires_at` None)."""

    registration_id: int
    person_id: int
    event_id: int
    session_id: int | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Swept:
    """What the offers sweep did: offers that lapsed, and who moved up instead."""

    expired: list[tuple[int, int]]  # (person, event)
    promoted: list[Promoted]


# --- who may see and register -------------------------------------------------------------------


async def _event_scope(session: AsyncSession, event: Event, chosen: audiences.Audience) -> Scope:
    """The municipalities the event's audience is drawn from (its organiser's scope)."""
    if chosen.municipality_ids:
        return Scope(None, tuple(sorted(chosen.municipality_ids)))
    if event.municipality_id is not None:
        return Scope(None, (event.municipality_id,))
    if event.region_id is not None:
        ids = await PlacesRepo(session).municipality_ids_in([event.region_id])
        return Scope(None, tuple(sorted(ids)), (event.region_id,))
    return Scope(None, ())


async def in_audience(session: AsyncSession, event: Event, person: Person) -> bool:
    chosen = audiences.Audience.from_dict(event.audience or {})
    scope = await _event_scope(session, event, chosen)
    if scope.is_empty:
        return False
    return await EventRegistrationsRepo(session).includes(
        audiences.people_ids(scope, chosen), person.id
    )


def _refusal(event: Event | None, now: datetime, *, registering: bool) -> str | None:
    """Why nobody may register (or change their place) now, as a locale key; None: they may."""
    if event is None:
        return "events.refused.gone"
    if event.status is EventStatus.DRAFT:
        return "events.refused.draft"
    if event.status is EventStatus.CANCELLED:
        return "events.refused.cancelled"
    if event.status is EventStatus.HELD:
        return "events.refused.held"
    if event.starts_at <= now:
        return "events.refused.begun"
    if registering and event.registration_deadline and event.registration_deadline <= now:
        return "events.refused.deadline"
    return None


def _offsets(event: Event, settings: Settings) -> list[int]:
    return list(event.reminder_offsets or settings.event_reminder_minutes)


async def _schedule_reminders(
    session: AsyncSession, event: Event, registration_id: int, person_id: int, settings: Settings,
    now: datetime,
) -> None:  # fmt: skip
    await EventRemindersRepo(session).schedule(
        registration_id=registration_id,
        event_id=event.id,
        person_id=person_id,
        starts_at=event.starts_at,
        offsets_minutes=_offsets(event, settings),
        now=now,
    )


# --- registering --------------------------------------------------------------------------------


async def register(
    session: AsyncSession,
    person: Person,
    event_id: int,
    session_id: int | None = None,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Result:
    """One tap on «Записаться»: a seat, or the next place in line; a second tap changes nothing.
    An offered seat is confirmed by it."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    event = await EventsRepo(session).get(event_id)
    reason = _refusal(event, now, registering=True)
    if event is None or reason is not None:
        return Result("refused", event_id, session_id, reason=reason)
    existing = await repo.of_person(event.id, person.id, session_id)
    # Someone outside the audience may keep a place they already have (the audience was
    # edited), but takes no new one.
    if (existing is None or existing.status not in ACTIVE) and not await in_audience(
        session, event, person
    ):
        return Result("refused", event_id, session_id, reason="events.refused.audience")
    if session_id is not None:
        part = await _session_of(session, event, session_id)
        if part.capacity is None:
            return Result("refused", event_id, session_id, reason="events.refused.open_session")
        holder = await repo.of_person(event.id, person.id, None)
        if holder is None or holder.status is not REGISTERED:
            return Result("refused", event_id, session_id, reason="events.refused.event_first")
    if existing is not None and existing.status is OFFERED:
        return await confirm(session, person, event_id, session_id, settings=settings, now=now)
    if existing is not None and existing.status is REGISTERED:
        return Result("already", event_id, session_id)
    if existing is not None and existing.status is WAITING:
        place = await repo.place_in_line(existing)
        return Result("already_waiting", event_id, session_id, place=place)

    seated = await repo.take_seat(event.id, session_id)
    queue_no = None if seated else await repo.next_queue_no(event.id, session_id)
    status = REGISTERED if seated else WAITING
    if existing is None:
        registration = await repo.add(
            EventRegistration(
                event_id=event.id,
                session_id=session_id,
                person_id=person.id,
                status=status,
                queue_no=queue_no,
                municipality_id=person.municipality_id,
                school_id=person.school_id,
                created_at=now,
            )
        )
    else:
        # Back after «Не смогу» or a lapsed offer: a new place, at the end of the line.
        registration = existing
        registration.status = status
        registration.queue_no = queue_no
        registration.offer_expires_at = None
        registration.municipality_id = person.municipality_id
        registration.school_id = person.school_id
        registration.updated_at = now
        await session.flush()
    if not seated:
        return Result("waiting", event_id, session_id, place=await repo.place_in_line(registration))
    if session_id is None:
        await _schedule_reminders(session, event, registration.id, person.id, settings, now)
    return Result("registered", event_id, session_id)


async def _session_of(session: AsyncSession, event: Event, session_id: int) -> EventSession:
    for part in await EventsRepo(session).sessions_of(event.id):
        if part.id == session_id:
            return part
    raise DomainError("events.refused.gone")


async def confirm(
    session: AsyncSession,
    person: Person,
    event_id: int,
    session_id: int | None = None,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Result:
    """«Подтверждаю» on an offered seat, while the offer holds."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    event = await EventsRepo(session).get(event_id)
    reason = _refusal(event, now, registering=False)
    if event is None or reason is not None:
        return Result("refused", event_id, session_id, reason=reason)
    existing = await repo.of_person(event.id, person.id, session_id)
    if existing is not None and existing.status is REGISTERED:
        return Result("already", event_id, session_id)
    if (
        existing is None
        or existing.status is not OFFERED
        or (existing.offer_expires_at is not None and existing.offer_expires_at <= now)
    ):
        return Result("refused", event_id, session_id, reason="events.refused.offer_gone")
    if not await repo.move(existing.id, [OFFERED], REGISTERED, now, offer_expires_at=None):
        return Result("refused", event_id, session_id, reason="events.refused.offer_gone")
    if session_id is None:
        await _schedule_reminders(session, event, existing.id, person.id, settings, now)
    return Result("registered", event_id, session_id)


async def decline(
    session: AsyncSession,
    person: Person,
    event_id: int,
    session_id: int | None = None,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Result:
    """«Не смогу»: before registering it is remembered (the person is not asked again); after,
    the seat (or the place in line, or the offer) is given up and the next in line moves up.
    Giving up the event gives up its sessions too."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    event = await EventsRepo(session).get(event_id)
    reason = _refusal(event, now, registering=False)
    if event is None or reason is not None:
        return Result("refused", event_id, session_id, reason=reason)
    existing = await repo.of_person(event.id, person.id, session_id)
    if existing is None:
        if session_id is not None:
            return Result("already_declined", event_id, session_id)
        if not await in_audience(session, event, person):
            return Result("refused", event_id, session_id, reason="events.refused.audience")
        await repo.add(
            EventRegistration(
                event_id=event.id,
                session_id=None,
                person_id=person.id,
                status=DECLINED,
                municipality_id=person.municipality_id,
                school_id=person.school_id,
                created_at=now,
            )
        )
        return Result("declined", event_id, session_id)
    if existing.status not in ACTIVE:
        return Result("already_declined", event_id, session_id)
    promoted = await _give_up(session, event, existing, DECLINED, settings, now)
    if session_id is None:
        for part in await repo.sessions_of_person(event.id, person.id):
            if part.status in ACTIVE:
                promoted += await _give_up(session, event, part, DECLINED, settings, now)
    return Result("withdrawn", event_id, session_id, promoted=promoted)


async def _give_up(
    session: AsyncSession,
    event: Event,
    registration: EventRegistration,
    to_status: RegistrationStatus,
    settings: Settings,
    now: datetime,
) -> list[Promoted]:
    """The registration leaves (declined or expired); a seat it held goes to the next in line."""
    repo = EventRegistrationsRepo(session)
    held = registration.status in SEAT_HOLDING
    if not await repo.move(
        registration.id, [registration.status], to_status, now, offer_expires_at=None
    ):
        return []
    await session.refresh(registration)
    await EventRemindersRepo(session).drop_unsent(registration.id)
    if not held:
        return []
    await repo.free_seat(event.id, registration.session_id)
    return await promote_waiting(
        session, event.id, registration.session_id, settings=settings, now=now
    )


async def promote_waiting(
    session: AsyncSession,
    event_id: int,
    session_id: int | None = None,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> list[Promoted]:
    """While a seat is free, the first in line (by number) is offered it, or registered when
    the start is under an hour away. Nothing moves for an event that is not open any more."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    event = await EventsRepo(session).get(event_id)
    if event is None or _refusal(event, now, registering=False) is not None:
        return []
    closes = event.starts_at - OFFER_CLOSES_BEFORE_START
    expires: datetime | None = min(now + timedelta(hours=settings.event_offer_hours), closes)
    if closes <= now:
        expires = None
    promoted: list[Promoted] = []
    while True:
        line = await repo.first_waiting(event.id, session_id)
        if not line:
            return promoted
        if not await repo.take_seat(event.id, session_id):
            return promoted
        moved = None
        for candidate in line:
            status = OFFERED if expires is not None else REGISTERED
            if await repo.move(candidate.id, [WAITING], status, now, offer_expires_at=expires):
                moved = candidate
                break
        if moved is None:
            # Everyone read was taken by another update in the meantime: give the seat back
            # and read the line again.
            await repo.free_seat(event.id, session_id)
            continue
        if expires is None and session_id is None:
            await _schedule_reminders(session, event, moved.id, moved.person_id, settings, now)
        promoted.append(Promoted(moved.id, moved.person_id, event.id, session_id, expires))


async def expire_offers(
    session: AsyncSession, now: datetime | None = None, *, settings: Settings
) -> Swept:
    """Offers not taken up in time lapse and pass their seat on; a free seat with someone in
    line (given up while they were joining it) is offered too."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    expired: list[tuple[int, int]] = []
    promoted: list[Promoted] = []
    for offer in await repo.expired_offers(now):
        event = await EventsRepo(session).get(offer.event_id)
        if event is None:
            continue
        held = await repo.move(offer.id, [OFFERED], EXPIRED, now, offer_expires_at=None)
        if not held:
            continue
        expired.append((offer.person_id, offer.event_id))
        await repo.free_seat(event.id, offer.session_id)
        promoted += await promote_waiting(
            session, event.id, offer.session_id, settings=settings, now=now
        )
    for event_id, session_id in await repo.lines_with_free_seats(now):
        promoted += await promote_waiting(session, event_id, session_id, settings=settings, now=now)
    return Swept(expired, promoted)


async def forget_person(session: AsyncSession, person: Person, now: datetime | None = None) -> int:
    """/forget: the person's seats and places in events not begun are given up (the rows stay,
    anonymous, for the counts); the offers sweep offers the freed seats to the next in line.
    The number given up."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    given_up = 0
    for held in await repo.active_of_person(person.id, now):
        seat = held.status in SEAT_HOLDING
        if not await repo.move(held.id, [held.status], DECLINED, now, offer_expires_at=None):
            continue
        await EventRemindersRepo(session).drop_unsent(held.id)
        if seat:
            await repo.free_seat(held.event_id, held.session_id)
        given_up += 1
    return given_up


# --- what people see ----------------------------------------------------------------------------


async def zone_of(session: AsyncSession, person: Person, settings: Settings) -> ZoneInfo:
    """The person's municipality's zone (the deployment's when it has none)."""
    zones = await recipient_timezones(session, [person.municipality_id], settings.timezone)
    return ZoneInfo(zones.get(person.municipality_id, settings.timezone))


@dataclass(frozen=True)
class ListItem:
    event_id: int
    title: str
    type_id: str
    starts_at: datetime
    seats_left: int | None
    status: RegistrationStatus | None  # the person's own
    past: bool  # begun
    ended: bool


async def visible_to(
    session: AsyncSession, person: Person, now: datetime | None = None
) -> list[ListItem]:
    """Published events whose audience includes the person: upcoming first (soonest first),
    then those under way or ended in the last few days (latest first)."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    region_id = None
    if person.municipality_id is not None:
        place = await PlacesRepo(session).municipality(person.municipality_id)
        region_id = place.region_id if place is not None else None
    upcoming: list[ListItem] = []
    past: list[ListItem] = []
    for event in await repo.published_since(now - RECENT_PAST, person.municipality_id, region_id):
        mine = await repo.of_person(event.id, person.id)
        if (mine is None or mine.status not in ACTIVE) and not await in_audience(
            session, event, person
        ):
            continue
        item = ListItem(
            event.id,
            event.title,
            event.type,
            event.starts_at,
            None if event.capacity is None else max(event.capacity - event.seats_taken, 0),
            mine.status if mine is not None else None,
            event.starts_at <= now,
            event.ends_at <= now,
        )
        (past if item.past else upcoming).append(item)
    return upcoming + sorted(past, key=lambda i: i.starts_at, reverse=True)


@dataclass(frozen=True)
class MyItem:
    event_id: int
    title: str
    starts_at: datetime
    status: RegistrationStatus
    event_status: EventStatus
    place: int | None  # in line
    offer_expires_at: datetime | None


async def mine(session: AsyncSession, person: Person, now: datetime | None = None) -> list[MyItem]:
    """«Мои мероприятия»: the person's seats, offers and places in line, soonest first."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    items = []
    for registration, event in await repo.mine(person.id, now - RECENT_PAST):
        place = await repo.place_in_line(registration) if registration.status is WAITING else None
        items.append(
            MyItem(
                event.id,
                event.title,
                event.starts_at,
                registration.status,
                event.status,
                place,
                registration.offer_expires_at,
            )
        )
    return items


@dataclass(frozen=True)
class SessionChoice:
    """A «десант» session with its own registration, as the card's button shows it."""

    session_id: int
    title: str
    status: RegistrationStatus | None
    full: bool


@dataclass(frozen=True)
class CardView:
    card: EventCard
    status: RegistrationStatus | None  # the person's place in the event
    place: int | None
    offer_expires_at: datetime | None
    open: bool  # registering and declining are possible now
    sessions: tuple[SessionChoice, ...]
    # The venue's code is accepted now: the card offers «✅ Я на месте».
    checkin_open: bool = False

    @property
    def show_link(self) -> bool:
        return self.status in (REGISTERED, OFFERED)


async def view(
    session: AsyncSession, person: Person, event_id: int, now: datetime | None = None
) -> CardView:
    """The card as this person sees it; someone outside the audience without a place in the
    event sees nothing of it."""
    now = now or _now()
    repo = EventRegistrationsRepo(session)
    event = await EventsRepo(session).get(event_id)
    if event is None or event.status is EventStatus.DRAFT:
        raise DomainError("events.refused.gone")
    mine = await repo.of_person(event.id, person.id)
    if mine is None and not await in_audience(session, event, person):
        raise DomainError("events.refused.audience")
    if (
        mine is not None
        and mine.status not in ACTIVE
        and not await in_audience(session, event, person)
    ):
        raise DomainError("events.refused.audience")
    await session.refresh(event)
    card = await card_of(session, event)
    opens_at, closes_at = checkin_window(event.starts_at, event.ends_at)
    own = {r.session_id: r.status for r in await repo.sessions_of_person(event.id, person.id)}
    sessions = tuple(
        SessionChoice(
            part.id,
            part.title,
            own.get(part.id),
            part.seats_left is not None and part.seats_left <= 0,
        )
        for part in card.sessions
        if part.capacity is not None
    )
    return CardView(
        card=card,
        status=mine.status if mine is not None else None,
        place=await repo.place_in_line(mine)
        if mine is not None and mine.status is WAITING
        else None,
        offer_expires_at=mine.offer_expires_at if mine is not None else None,
        open=_refusal(event, now, registering=False) is None,
        sessions=sessions,
        checkin_open=event.status is EventStatus.PUBLISHED and opens_at <= now <= closes_at,
    )


async def calendar_file(
    session: AsyncSession, person: Person, event_id: int, now: datetime | None = None
) -> bytes:
    """The event's .ics, for someone holding a seat (the online link is in it)."""
    event = await EventsRepo(session).get(event_id)
    if event is None or event.status is EventStatus.DRAFT:
        raise DomainError("events.refused.gone")
    mine = await EventRegistrationsRepo(session).of_person(event.id, person.id)
    if mine is None or mine.status not in SEAT_HOLDING:
        raise DomainError("events.ics_registrants_only")
    await session.refresh(event)
    return await ics_of(session, event, now=now)


@dataclass(frozen=True)
class Registered:
    """What «Вы записаны» shows: the title, the start, the link, and the .ics attached."""

    title: str
    starts_at: datetime
    online_url: str | None
    ics: bytes


async def registered(session: AsyncSession, person: Person, event_id: int) -> Registered:
    ics = await calendar_file(session, person, event_id)
    event = await EventsRepo(session).get(event_id)
    assert event is not None  # calendar_file has found it
    return Registered(event.title, event.starts_at, event.online_url, ics)


async def ics_of(session: AsyncSession, event: Event, now: datetime | None = None) -> bytes:
    """The .ics of `event`: the address (or the host school, or the link) as its location."""
    location = event.address or await EventsRepo(session).school_label(event.host_school_id)
    return ics_bytes(
        event,
        domain=ICS_DOMAIN,
        location=location or event.online_url,
        description=event.description,
        now=now,
    )


# --- the broadcast segment ----------------------------------------------------------------------


async def _segment_choices(
    session: AsyncSession, scope: Scope, chosen: audiences.Audience
) -> list[audiences.Choice]:
    events = await EventRegistrationsRepo(session).in_scope(
        scope.municipality_ids, scope.region_ids, scope.person_id, _now() - timedelta(days=30)
    )
    picked = chosen.segments.get(EVENT_SEGMENT)
    return [
        audiences.Choice(event.id, f"{event.title} · {event.starts_at:%d.%m}", event.id == picked)
        for event in events
    ]


async def _segment_owned(session: AsyncSession, scope: Scope, event_id: int) -> bool:
    event = await EventsRepo(session).get(event_id)
    return event is not None and scope.owns(event)


audiences.register_segment_kind(
    "event",
    audiences.SegmentKind(EVENT_SEGMENT, registrants, _segment_choices, _segment_owned),
)
