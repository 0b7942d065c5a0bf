"""Messages of the organiser's events to many people, through the outbox: the announcement with
«Записаться» and «Подробнее», what changed (with a new .ics), the cancellation (an .ics that
removes it from calendars). Each in its recipient's language and zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import InlineFile, Outgoing, Priority, Recipient, enqueue_messages
from bot.keyboards.events_admin import announcement_keyboard
from bot.services import event_calendar, event_cards, event_changes, event_types, events
from bot.texts import Templates, format_moment, format_number, t
from config.settings import Settings
from storage.models import Event

# How much of a changed description the message quotes.
QUOTE_MAX = 120


def card_text(
    templates: Templates, card: event_cards.EventCard, locale: str, tz: ZoneInfo, *, show_link: bool
) -> str:
    """THE card, as the reader sees it (their language and zone)."""
    return templates.render(
        "event_card.html",
        locale,
        card=card,
        tz=tz,
        kind=event_types.title(card.type_id, locale),
        show_link=show_link,
    )


async def send_announcement(
    session: AsyncSession,
    settings: Settings,
    templates: Templates,
    event: Event,
    recipients: Sequence[tuple[Recipient, str]],
) -> int:
    """One announcement per person of the audience, at most once each (a wider audience after
    an edit reaches only those who have not had it)."""
    if not recipients:
        return 0
    card = await event_cards.card_of(session, event)
    texts: dict[tuple[str, str], str] = {}
    messages = []
    for recipient, locale in recipients:
        key = (locale, recipient.timezone)
        if key not in texts:
            texts[key] = card_text(
                templates, card, locale, ZoneInfo(recipient.timezone), show_link=False
            )
        messages.append(
            Outgoing(
                recipient,
                texts[key],
                announcement_keyboard(event.id, locale),
                f"event:{event.id}:announce:{recipient.person_id}",
            )
        )
    return await enqueue_messages(
        session, settings, messages, kind="event_announcement", priority=Priority.BROADCAST
    )


def _value(name: str, value: Any, locale: str, tz: ZoneInfo) -> str:
    """A field's value as the card shows it."""
    if value is None or value == "":
        empty = {"capacity": "unlimited", "registration_deadline": "until_start"}
        return t(f"events_admin.{empty.get(name, 'unset')}", locale=locale)
    if isinstance(value, datetime):
        return format_moment(value, tz, locale)
    if name == "type":
        return event_types.title(str(value), locale)
    if name in ("form", "scope"):
        return t(f"event_card.{name}.{getattr(value, 'value', value)}", locale=locale)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value, locale)
    text = str(value)
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


def _lines(
    changes: Sequence[event_changes.Change], locale: str, tz: ZoneInfo
) -> list[tuple[str, str, str]]:
    return [
        (
            t(f"events_admin.field.{change.field}", locale=locale),
            _value(change.field, change.old, locale, tz),
            _value(change.field, change.new, locale, tz),
        )
        for change in changes
    ]


async def _calendar_file(session: AsyncSession, settings: Settings, event: Event) -> InlineFile:
    data = event_calendar.ics_bytes(
        event,
        domain=events.calendar_domain(settings),
        location=await events.location_of(session, event),
        description=event.description,
    )
    return InlineFile(events.calendar_name(event), data)


async def send_changes(
    session: AsyncSession, settings: Settings, templates: Templates, changed: event_changes.Changed
) -> int:
    """One message per registrant and person waiting: every change, old → new, and the .ics."""
    event = changed.event
    if not changed.changes or not changed.listeners:
        return 0
    file = await _calendar_file(session, settings, event)
    messages = []
    for recipient, locale in changed.listeners:
        tz = ZoneInfo(recipient.timezone)
        text = templates.render(
            "event_admin_changed.html",
            locale,
            title=event.title,
            lines=_lines(changed.changes, locale, tz),
        )
        messages.append(
            Outgoing(
                recipient,
                text,
                None,
                f"event:{event.id}:v{event.version}:change:{recipient.person_id}",
                file,
            )
        )
    return await enqueue_messages(
        session, settings, messages, kind="event_change", priority=Priority.URGENT
    )


async def send_cancelled(
    session: AsyncSession,
    settings: Settings,
    templates: Templates,
    cancelled: event_changes.Cancelled,
) -> int:
    event = cancelled.event
    if not cancelled.listeners:
        return 0
    file = await _calendar_file(session, settings, event)
    messages = [
        Outgoing(
            recipient,
            templates.render(
                "event_admin_cancelled.html",
                locale,
                title=event.title,
                start=format_moment(event.starts_at, ZoneInfo(recipient.timezone), locale),
            ),
            None,
            f"event:{event.id}:cancelled:{recipient.person_id}",
            file,
        )
        for recipient, locale in cancelled.listeners
    ]
    return await enqueue_messages(
        session, settings, messages, kind="event_cancelled", priority=Priority.URGENT
    )


def organiser_card_text(
    templates: Templates,
    locale: str,
    tz: ZoneInfo,
    event: Event,
    card: event_cards.EventCard,
) -> str:
    """The organiser's view: the status and the numbers, then the card with the link."""
    return templates.render(
        "event_admin_card.html",
        locale,
        event=event,
        card=card,
        tz=tz,
        kind=event_types.title(card.type_id, locale),
        show_link=True,
    )
