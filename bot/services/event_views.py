"""Events as participants see them: the list of their audience's events, «Мои мероприятия»,
one event's card as this person sees it (their place, the «десант» sessions with their own
seats, «✅ Я на месте» while the venue's code is accepted) and the .ics.

What a tap does is `bot.services.event_registration`'s; who may see an event is its
`in_audience`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import recipient_timezones
from bot.errors import DomainError
from bot.services.event_calendar import Registered, ics_of, registered_view
from bot.services.event_cards import EventCard, card_of, checkin_window
from bot.services.event_registration import (
    ACTIVE,
    OFFERED,
    REGISTERED,
    WAITING,
    in_audience,
    now_utc,
    refusal,
)
from config.settings import Settings
from storage.models import SEAT_HOLDING, Event, EventStatus, Person, RegistrationStatus
from storage.repositories.event_registrations import EventRegistrationsRepo
from storage.repositories.events import EventsRepo
from storage.repositories.places import PlacesRepo

# Ended events stay in «Мероприятия» and «Мои мероприятия» this long.
RECENT_PAST = timedelta(days=3)


async def zone_of(session: AsyncSession, person: Person, settings: Settings) -> ZoneInfo:
    """The person's municipality's zone (the deployment's when it has none)."""
    zones = await recipient_timezones(session, [person.municipality_id], settings.timezone)
    return ZoneInfo(zones.get(person.municipality_id, settings.timezone))


# --- the lists ----------------------------------------------------------------------------------


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
    now = now or now_utc()
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
    now = now or now_utc()
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


# --- one event ----------------------------------------------------------------------------------


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
    now = now or now_utc()
    repo = EventRegistrationsRepo(session)
    event = await EventsRepo(session).fresh(event_id)
    if event is None or event.status is EventStatus.DRAFT:
        raise DomainError("events.refused.gone")
    mine = await repo.of_person(event.id, person.id)
    if (mine is None or mine.status not in ACTIVE) and not await in_audience(
        session, event, person
    ):
        raise DomainError("events.refused.audience")
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
        open=refusal(event, now, registering=False) is None,
        sessions=sessions,
        checkin_open=event.status is EventStatus.PUBLISHED and opens_at <= now <= closes_at,
    )


async def _held(session: AsyncSession, person: Person, event_id: int) -> Event:
    """The event, read once, for someone holding a seat in it."""
    event = await EventsRepo(session).fresh(event_id)
    if event is None or event.status is EventStatus.DRAFT:
        raise DomainError("events.refused.gone")
    mine = await EventRegistrationsRepo(session).of_person(event.id, person.id)
    if mine is None or mine.status not in SEAT_HOLDING:
        raise DomainError("events.ics_registrants_only")
    return event


async def calendar_file(
    session: AsyncSession, person: Person, event_id: int, now: datetime | None = None
) -> bytes:
    """The event's .ics, for someone holding a seat (the online link is in it)."""
    return await ics_of(session, await _held(session, person, event_id), now=now)


async def registered(session: AsyncSession, person: Person, event_id: int) -> Registered:
    """«Вы записаны» for someone holding a seat (a tap that took the seat carries it already)."""
    return await registered_view(session, await _held(session, person, event_id))
