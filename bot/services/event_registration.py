"""What a participant's tap does to their place in an event: one tap to register, «Не смогу»,
the waiting list with offers; who may register (`in_audience`). What they see (the lists, the
card, the .ics) is `bot.services.event_views`.

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

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import audience as audiences
from bot.services.event_calendar import Registered, registered_view
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

# An offer is held at most until this long before the start.
OFFER_CLOSES_BEFORE_START = timedelta(hours=1)
EVENT_SEGMENT = "event_registrants"

REGISTERED = RegistrationStatus.REGISTERED
WAITING = RegistrationStatus.WAITING
OFFERED = RegistrationStatus.OFFERED
DECLINED = RegistrationStatus.DECLINED
EXPIRED = RegistrationStatus.EXPIRED
ACTIVE = (REGISTERED, OFFERED, WAITING)


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What a tap did. `kind`: registered, waiting, already, already_waiting, refused (then
    `reason` is a locale key), declined (said «не смогу» before registering), withdrawn (gave
    up a seat or a place in line), already_declined. A seat of the event just taken comes with
    its «Вы записаны» (`registered`), built from the event the tap read."""

    kind: str
    event_id: int
    session_id: int | None = None
    place: int | None = None
    reason: str | None = None
    promoted: list[Promoted] = field(default_factory=list)
    registered: Registered | None = None


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


async def in_audience(session: AsyncSession, event: Event, person: Person) -> bool:
    """Whether the event's audience includes the person, in one query at most. The audience is
    drawn from the municipalities chosen, else the event's municipality, else its region's; for
    one person that is: their municipality is one of those."""
    if person.municipality_id is None:
        return False
    chosen = audiences.Audience.from_dict(event.audience or {})
    region_id = None
    if not chosen.municipality_ids:
        if event.municipality_id is not None:
            if event.municipality_id != person.municipality_id:
                return False
        elif event.region_id is not None:
            region_id = event.region_id
        else:
            return False
    # The chosen municipalities narrow the query themselves; otherwise the person's own
    # municipality stands for the scope (and, for a regional event, must be in its region).
    scope = Scope(None, (person.municipality_id,))
    return await EventRegistrationsRepo(session).includes(
        audiences.people_ids(scope, chosen), person.id, region_id
    )


def refusal(event: Event | None, now: datetime, *, registering: bool) -> str | None:
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


async def _open_event(
    session: AsyncSession,
    event_id: int,
    session_id: int | None,
    person: Person,
    now: datetime,
    *,
    registering: bool,
) -> tuple[Event, EventRegistration | None] | Result:
    """What every tap starts with: the event, read once, and the person's registration for it
    (or for its session); or the refusal when the event takes no taps now. No row is locked:
    the seat and every change of status are conditional UPDATEs (the repository's)."""
    event = await EventsRepo(session).get(event_id)
    reason = refusal(event, now, registering=registering)
    if event is None or reason is not None:
        return Result("refused", event_id, session_id, reason=reason)
    existing = await EventRegistrationsRepo(session).of_person(event.id, person.id, session_id)
    return event, existing


async def _schedule_reminders(
    session: AsyncSession, event: Event, registration_id: int, person_id: int, settings: Settings,
    now: datetime,
) -> None:  # fmt: skip
    await EventRemindersRepo(session).schedule(
        registration_id=registration_id,
        event_id=event.id,
        person_id=person_id,
        starts_at=event.starts_at,
        offsets_minutes=list(event.reminder_offsets or settings.event_reminder_minutes),
        now=now,
    )


async def _seated(
    session: AsyncSession,
    event: Event,
    registration_id: int,
    person: Person,
    session_id: int | None,
    settings: Settings,
    now: datetime,
) -> Result:
    """A seat taken: for the event itself its reminders, and «Вы записаны» with the .ics."""
    if session_id is not None:
        return Result("registered", event.id, session_id)
    await _schedule_reminders(session, event, registration_id, person.id, settings, now)
    return Result("registered", event.id, None, registered=await registered_view(session, event))


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
    now = now or now_utc()
    opened = await _open_event(session, event_id, session_id, person, now, registering=True)
    if isinstance(opened, Result):
        return opened
    event, existing = opened
    repo = EventRegistrationsRepo(session)
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
        return await _take_offer(session, event, existing, person, session_id, settings, now)
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
    return await _seated(session, event, registration.id, person, session_id, settings, now)


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
    now = now or now_utc()
    opened = await _open_event(session, event_id, session_id, person, now, registering=False)
    if isinstance(opened, Result):
        return opened
    event, existing = opened
    return await _take_offer(session, event, existing, person, session_id, settings, now)


async def _take_offer(
    session: AsyncSession,
    event: Event,
    existing: EventRegistration | None,
    person: Person,
    session_id: int | None,
    settings: Settings,
    now: datetime,
) -> Result:
    if existing is not None and existing.status is REGISTERED:
        return Result("already", event.id, session_id)
    if (
        existing is None
        or existing.status is not OFFERED
        or (existing.offer_expires_at is not None and existing.offer_expires_at <= now)
    ):
        return Result("refused", event.id, session_id, reason="events.refused.offer_gone")
    repo = EventRegistrationsRepo(session)
    if not await repo.move(existing.id, [OFFERED], REGISTERED, now, offer_expires_at=None):
        return Result("refused", event.id, session_id, reason="events.refused.offer_gone")
    return await _seated(session, event, existing.id, person, session_id, settings, now)


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
    now = now or now_utc()
    opened = await _open_event(session, event_id, session_id, person, now, registering=False)
    if isinstance(opened, Result):
        return opened
    event, existing = opened
    repo = EventRegistrationsRepo(session)
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
    now = now or now_utc()
    repo = EventRegistrationsRepo(session)
    event = await EventsRepo(session).get(event_id)
    if event is None or refusal(event, now, registering=False) is not None:
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
    now = now or now_utc()
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
    now = now or now_utc()
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


# --- the broadcast segment ----------------------------------------------------------------------
# --- the broadcast segment ----------------------------------------------------------------------


async def _segment_choices(
    session: AsyncSession, scope: Scope, chosen: audiences.Audience
) -> list[audiences.Choice]:
    events = await EventRegistrationsRepo(session).in_scope(
        scope.municipality_ids, scope.region_ids, scope.person_id, now_utc() - timedelta(days=30)
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
