"""Event messages to people other than the one who tapped, through the outbox: a seat offered
from the waiting list (or given straight away, the start being close), and an offer that
lapsed. In the recipient's language and time zone; at once, whatever the hour (an offer runs
out)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Priority, enqueue_message, recipient_timezones
from bot.keyboards.events import offer_keyboard
from bot.services.event_registration import Promoted
from bot.texts import format_moment, t
from config.settings import Settings
from storage.models import Event, EventSession, Person


async def tell_promoted(
    session: AsyncSession, settings: Settings, promoted: Sequence[Promoted]
) -> int:
    told = 0
    for item in promoted:
        person = await session.get(Person, item.person_id)
        event = await session.get(Event, item.event_id)
        if person is None or event is None:
            continue
        title = event.title
        if item.session_id is not None:
            part = await session.get(EventSession, item.session_id)
            title = f"{event.title}: {part.title}" if part is not None else title
        locale = person.locale or settings.default_locale
        zones = await recipient_timezones(session, [person.municipality_id], settings.timezone)
        zone = ZoneInfo(zones.get(person.municipality_id, settings.timezone))
        start = format_moment(event.starts_at, zone, locale)
        if item.expires_at is not None:
            text = t(
                "events.offer",
                locale=locale,
                title=title,
                start=start,
                until=format_moment(item.expires_at, zone, locale),
            )
        else:
            text = t("events.promoted_registered", locale=locale, title=title, start=start)
        told += await enqueue_message(
            session,
            settings,
            person,
            text,
            kind="event_offer",
            priority=Priority.URGENT,
            reply_markup=offer_keyboard(
                event.id, item.session_id, offered=item.expires_at is not None, locale=locale
            ),
            dedup_key=f"event:{event.id}:offer:{item.registration_id}:{item.expires_at or 0}",
        )
    return told


async def tell_expired(
    session: AsyncSession, settings: Settings, expired: Sequence[tuple[int, int]]
) -> None:
    for person_id, event_id in expired:
        person = await session.get(Person, person_id)
        event = await session.get(Event, event_id)
        if person is None or event is None:
            continue
        locale = person.locale or settings.default_locale
        await enqueue_message(
            session,
            settings,
            person,
            t("events.offer_lapsed", locale=locale, title=event.title),
            kind="event_offer_lapsed",
            priority=Priority.ROUTINE,
            urgent=False,
        )
