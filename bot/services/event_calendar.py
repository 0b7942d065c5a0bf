"""An event as an .ics file: sent on registration and after every change.

The UID is stable (one per event) and SEQUENCE is the event's `version`, so a calendar that
already holds the event updates it instead of adding a twin; a cancelled event goes out with
STATUS:CANCELLED and removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar
from icalendar import Event as IcsEvent
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, EventStatus
from storage.repositories.events import EventsRepo

PRODUCT_ID = "-//Nastavnik//events//RU"
# The .ics UID's domain for participants: fixed, so an event keeps its UID whatever address
# the bot runs at.
ICS_DOMAIN = "nastavnik.events"


def uid_of(event_id: int, domain: str) -> str:
    return f"event-{event_id}@{domain}"


def ics_bytes(
    event: Event,
    *,
    domain: str,
    location: str | None,
    description: str | None,
    now: datetime | None = None,
) -> bytes:
    """The calendar file for `event`. `location` is the address, or the online link;
    `description` the text people read in the calendar (already in their language)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    cancelled = event.status is EventStatus.CANCELLED
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    item = IcsEvent()
    item.add("uid", uid_of(event.id, domain))
    item.add("sequence", event.version)
    item.add("dtstamp", now or datetime.now(UTC))
    item.add("dtstart", event.starts_at.astimezone(UTC))
    item.add("dtend", event.ends_at.astimezone(UTC))
    item.add("summary", event.title)
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        item.add("location", location)
    if event.online_url:
        item.add("url", event.online_url)
    if description:
        item.add("description", description)
    calendar.add_component(item)
    ics: bytes = calendar.to_ical()
    return ics


@dataclass(frozen=True)
class Registered:
    """What «Вы записаны» shows: the title, the start, the link, and the .ics attached."""

    title: str
    starts_at: datetime
    online_url: str | None
    ics: bytes


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


async def registered_view(session: AsyncSession, event: Event) -> Registered:
    return Registered(event.title, event.starts_at, event.online_url, await ics_of(session, event))
