"""Putting messages into the outbox, in the caller's transaction."""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.quiet_hours import next_daytime
from config.settings import Settings
from storage.db import insert_ignoring_conflicts
from storage.models import Broadcast, Delivery, DeliveryStatus, Municipality, Person, PersonStatus

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
_MARKUP_KINDS: dict[str, type[Markup]] = {
    "inline": InlineKeyboardMarkup,
    "reply": ReplyKeyboardMarkup,
    "remove": ReplyKeyboardRemove,
}


def dump_markup(markup: Markup) -> dict[str, Any]:
    kind = next(k for k, cls in _MARKUP_KINDS.items() if isinstance(markup, cls))
    return {"kind": kind, "data": markup.model_dump(mode="json", exclude_none=True)}


def load_markup(stored: dict[str, Any] | None) -> Markup | None:
    if not stored:
        return None
    return _MARKUP_KINDS[stored["kind"]].model_validate(stored["data"])


class Priority(enum.IntEnum):
    """Lower goes first."""

    INTERACTIVE = 0  # someone is waiting for it: a decision on their request, an answer
    URGENT = 10  # escalations, last-minute changes
    ROUTINE = 50  # reminders
    BROADCAST = 100


@dataclass(frozen=True)
class Recipient:
    person_id: int
    chat_id: int
    timezone: str


async def recipient_timezones(
    session: AsyncSession, municipality_ids: Iterable[int | None], default: str
) -> dict[int | None, str]:
    ids = {m for m in municipality_ids if m is not None}
    zones: dict[int | None, str] = {None: default}
    if ids:
        rows = await session.execute(
            select(Municipality.id, Municipality.timezone).where(Municipality.id.in_(ids))
        )
        zones.update({mid: tz or default for mid, tz in rows.all()})
    return zones


def _zone_of(municipality_id: int | None, default: str) -> ColumnElement[str]:
    zone = select(Municipality.timezone).where(Municipality.id == municipality_id)
    return func.coalesce(zone.scalar_subquery(), default)


def _first_attempt(
    settings: Settings, timezone: str, urgent: bool, not_before: datetime
) -> datetime:
    if urgent:
        return not_before
    return next_daytime(
        not_before, ZoneInfo(timezone), settings.quiet_hours_start, settings.quiet_hours_end
    )


async def enqueue_message(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    text: str,
    *,
    kind: str,
    priority: Priority = Priority.INTERACTIVE,
    urgent: bool = True,
    reply_markup: Markup | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue `text` for `person`; False when they cannot receive it or it is already queued."""
    if person.telegram_id is None or person.status != PersonStatus.ACTIVE:
        return False
    now = datetime.now(UTC)
    timezone: str | ColumnElement[str]
    if urgent:
        # Quiet hours do not hold it back, so the zone is only kept with the row: read inside
        # the insert, not by a query of its own.
        timezone = _zone_of(person.municipality_id, settings.timezone)
        first_attempt = not_before or now
    else:
        zones = await recipient_timezones(session, [person.municipality_id], settings.timezone)
        timezone = zones.get(person.municipality_id, settings.timezone)
        first_attempt = _first_attempt(settings, timezone, urgent, not_before or now)
    payload: dict[str, Any] = {"text": text}
    if reply_markup is not None:
        payload["markup"] = dump_markup(reply_markup)
    values = {
        "person_id": person.id,
        "chat_id": person.telegram_id,
        "kind": kind,
        "priority": int(priority),
        "urgent": urgent,
        "timezone": timezone,
        "payload": payload,
        "dedup_key": dedup_key,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": first_attempt,
    }
    if dedup_key is None:
        await session.execute(insert(Delivery).values(**values))
        return True
    result = await session.execute(insert_ignoring_conflicts(session, Delivery).values(**values))
    return bool(getattr(result, "rowcount", 0))


async def enqueue_broadcast(
    session: AsyncSession,
    settings: Settings,
    broadcast: Broadcast,
    recipients: Iterable[Recipient],
    *,
    not_before: datetime | None = None,
) -> int:
    """One row per recipient, written in bulk (10,000 rows is one statement, not 10,000)."""
    start = not_before or datetime.now(UTC)
    rows = [
        {
            "person_id": r.person_id,
            "chat_id": r.chat_id,
            "kind": "broadcast",
            "priority": int(Priority.BROADCAST),
            "urgent": False,
            "timezone": r.timezone,
            "broadcast_id": broadcast.id,
            "payload": {},
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": _first_attempt(settings, r.timezone, False, start),
        }
        for r in recipients
    ]
    if rows:
        await session.execute(insert(Delivery), rows)
    return len(rows)


# A generated file carried in the delivery row itself (an .ics): small, or it belongs elsewhere.
INLINE_FILE_MAX_BYTES = 20 * 1024


@dataclass(frozen=True)
class InlineFile:
    """A small file made for the message (an event's .ics), sent as the message's document:
    with the text as its caption, or after the text when that is longer than a caption."""

    name: str
    data: bytes

    def __post_init__(self) -> None:
        if len(self.data) > INLINE_FILE_MAX_BYTES:
            raise ValueError(
                f"{self.name}: {len(self.data)} bytes, at most {INLINE_FILE_MAX_BYTES}"
            )
        if not self.name or "/" in self.name or len(self.name) > 64:
            raise ValueError(f"not a file name: {self.name!r}")


def dump_file(file: InlineFile) -> dict[str, str]:
    return {"name": file.name, "data": base64.b64encode(file.data).decode("ascii")}


def load_file(stored: dict[str, Any] | None) -> InlineFile | None:
    if not stored:
        return None
    return InlineFile(str(stored["name"]), base64.b64decode(str(stored["data"])))


@dataclass(frozen=True)
class Outgoing:
    """One message of many (invitations, reminders): its own text and buttons per recipient,
    and optionally a small generated file (`InlineFile`)."""

    recipient: Recipient
    text: str
    reply_markup: Markup | None = None
    dedup_key: str | None = None
    file: InlineFile | None = None


async def enqueue_messages(
    session: AsyncSession,
    settings: Settings,
    messages: Iterable[Outgoing],
    *,
    kind: str,
    priority: Priority = Priority.ROUTINE,
    not_before: datetime | None = None,
    urgent: bool = False,
) -> int:
    """Messages to many people, written in bulk; one with a dedup key already queued is
    skipped. They wait for the recipient's daytime unless `urgent` (a reminder an hour before
    an event cannot wait for the morning)."""
    start = not_before or datetime.now(UTC)
    rows = []
    for message in messages:
        payload: dict[str, Any] = {"text": message.text}
        if message.reply_markup is not None:
            payload["markup"] = dump_markup(message.reply_markup)
        if message.file is not None:
            payload["file"] = dump_file(message.file)
        rows.append(
            {
                "person_id": message.recipient.person_id,
                "chat_id": message.recipient.chat_id,
                "kind": kind,
                "priority": int(priority),
                "urgent": urgent,
                "timezone": message.recipient.timezone,
                "payload": payload,
                "dedup_key": message.dedup_key,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": _first_attempt(
                    settings, message.recipient.timezone, urgent, start
                ),
            }
        )
    for first in range(0, len(rows), 2000):
        await session.execute(
            insert_ignoring_conflicts(session, Delivery), rows[first : first + 2000]
        )
    return len(rows)
