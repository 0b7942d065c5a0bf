"""Coordinators' announcements: composing rules, creating, cancelling, progress and reports."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue_broadcast
from bot.delivery.split import visible_length
from bot.errors import DomainError
from bot.services import audience as audiences
from bot.services.scope import Scope
from bot.services.xlsx_cells import append_row
from bot.texts import t
from config.settings import Settings
from storage.models import (
    Broadcast,
    BroadcastStatus,
    DeliveryStatus,
    Municipality,
    Person,
    Role,
)
from storage.repositories.outbox import OutboxRepo
from storage.repositories.people import PeopleRepo

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ATTACHMENT_KINDS = ("photo", "document")
MAX_SCHEDULE_AHEAD = timedelta(days=365)
SCHEDULE_FORMAT = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?\s+(\d{1,2})[:.](\d{2})", re.ASCII)


@dataclass(frozen=True)
class Draft:
    text: str
    attachment_kind: str | None = None
    attachment_file_id: str | None = None


def check_draft(draft: Draft) -> Draft:
    if draft.attachment_kind is not None and draft.attachment_kind not in ATTACHMENT_KINDS:
        raise DomainError("broadcast.unsupported")
    if draft.attachment_kind is None and not draft.text.strip():
        raise DomainError("broadcast.empty")
    limit = CAPTION_LIMIT if draft.attachment_kind else TEXT_LIMIT
    length = visible_length(draft.text)
    if length > limit:
        raise DomainError("broadcast.too_long", limit=limit, length=length)
    return draft


def parse_schedule(raw: str, tz: ZoneInfo, now: datetime) -> datetime:
    """ "25.12 09:30" or "25.12.2026 09:30", local time of the sender's municipality."""
    match = SCHEDULE_FORMAT.fullmatch(raw.strip())
    if match is None:
        raise DomainError("broadcast.schedule_format")
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(tz)
    try:
        moment = datetime(
            int(year) if year else local_now.year,
            int(month),
            int(day),
            int(hour),
            int(minute),
            tzinfo=tz,
        )
    except ValueError:
        raise DomainError("broadcast.schedule_format") from None
    if not year and moment < local_now:
        try:
            moment = moment.replace(year=moment.year + 1)
        except ValueError:  # 29.02, already passed this leap year
            raise DomainError("broadcast.schedule_past") from None
    if moment <= local_now:
        raise DomainError("broadcast.schedule_past")
    if moment - local_now > MAX_SCHEDULE_AHEAD:
        raise DomainError("broadcast.schedule_too_far")
    return moment.astimezone(UTC)


async def sender_timezone(session: AsyncSession, scope: Scope, settings: Settings) -> ZoneInfo:
    if len(scope.municipality_ids) == 1:
        municipality = await session.get(Municipality, scope.municipality_ids[0])
        if municipality is not None and municipality.timezone:
            return ZoneInfo(municipality.timezone)
    return settings.tz


async def create(
    session: AsyncSession,
    settings: Settings,
    author: Person,
    *,
    draft_key: str,
    draft: Draft,
    audience: audiences.Audience,
    scheduled_at: datetime | None = None,
) -> Broadcast:
    """The broadcast and one queued delivery per recipient, in one transaction."""
    check_draft(draft)
    if await OutboxRepo(session).draft_was_sent(draft_key):
        raise DomainError("broadcast.already_sent")
    scope = await audiences.sender_scope(session, author)
    await audiences.validate(session, scope, audience)
    recipients = await audiences.recipients(session, scope, audience, settings)
    if not recipients:
        raise DomainError("broadcast.empty_audience")
    now = datetime.now(UTC)
    if scheduled_at is not None and scheduled_at <= now:
        raise DomainError("broadcast.schedule_past")
    reached = audience.municipality_ids or list(scope.municipality_ids)
    broadcast = Broadcast(
        author_id=author.id,
        municipality_id=reached[0] if len(reached) == 1 else None,
        region_id=await OutboxRepo(session).region_of(reached[0]),
        text=draft.text,
        attachment_kind=draft.attachment_kind,
        attachment_file_id=draft.attachment_file_id,
        audience=audience.to_dict(),
        recipients=len(recipients),
        status=BroadcastStatus.SCHEDULED if scheduled_at else BroadcastStatus.SENDING,
        scheduled_at=scheduled_at,
        started_at=None if scheduled_at else now,
        draft_key=draft_key,
    )
    session.add(broadcast)
    try:
        await session.flush()
    except IntegrityError:
        # The same draft sent from two devices at once: the other press won.
        raise DomainError("broadcast.already_sent") from None
    await enqueue_broadcast(session, settings, broadcast, recipients, not_before=scheduled_at)
    return broadcast


async def visible(session: AsyncSession, person: Person, broadcast_id: int) -> Broadcast:
    """A broadcast the person may see and stop: one sent to their own scope."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise DomainError("broadcast.not_found")
    scope = await audiences.sender_scope(session, person)
    reached = audiences.Audience.from_dict(broadcast.audience).municipality_ids
    if broadcast.author_id != person.id and not (
        scope.covers_municipality(broadcast.municipality_id)
        or (reached and all(scope.covers_municipality(m) for m in reached))
    ):
        raise DomainError("broadcast.not_found")
    return broadcast


async def cancel(session: AsyncSession, person: Person, broadcast_id: int) -> int:
    """Stop what has not gone out yet; the number of messages that will not be sent."""
    broadcast = await visible(session, person, broadcast_id)
    if broadcast.status not in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        raise DomainError("broadcast.not_running")
    broadcast.status = BroadcastStatus.CANCELLED
    broadcast.finished_at = datetime.now(UTC)
    return await OutboxRepo(session).cancel_pending(broadcast.id)


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    blocked: int
    failed: int
    unknown: int
    waiting: int
    cancelled: int

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed + self.unknown + self.cancelled

    @property
    def finished(self) -> bool:
        return self.waiting == 0


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    counts = await OutboxRepo(session).counts_by_status(broadcast.id)
    return _progress(broadcast, counts)


def _progress(broadcast: Broadcast, counts: dict[DeliveryStatus, int]) -> Progress:
    return Progress(
        total=broadcast.recipients,
        sent=counts.get(DeliveryStatus.SENT, 0),
        blocked=counts.get(DeliveryStatus.BLOCKED, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        unknown=counts.get(DeliveryStatus.UNKNOWN, 0),
        waiting=counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0),
        cancelled=counts.get(DeliveryStatus.CANCELLED, 0),
    )


async def in_progress(
    session: AsyncSession, now: datetime
) -> list[tuple[Broadcast, Person | None]]:
    """The broadcasts whose progress moves now, each with its author (None once removed)."""
    people = PeopleRepo(session)
    return [
        (broadcast, await people.get(broadcast.author_id) if broadcast.author_id else None)
        for broadcast in await OutboxRepo(session).broadcasts_in_progress(now)
    ]


@dataclass(frozen=True)
class ProgressStep:
    """What a progress tick did to a broadcast, for its author to see."""

    # A scheduled broadcast began: its author gets a fresh progress message to watch.
    started: bool
    # Nothing is left to send and the author has not had the report: they get it now, once.
    report_to: Person | None


def advance(
    broadcast: Broadcast, state: Progress, author: Person | None, now: datetime
) -> ProgressStep:
    started = broadcast.status == BroadcastStatus.SCHEDULED
    if started:
        broadcast.status = BroadcastStatus.SENDING
        broadcast.started_at = now
    if state.finished and broadcast.status == BroadcastStatus.SENDING:
        broadcast.status = BroadcastStatus.DONE
        broadcast.finished_at = now
    report_to = author if state.finished and not broadcast.report_sent else None
    if report_to is not None:
        broadcast.report_sent = True
    return ProgressStep(started, report_to)


async def history(
    session: AsyncSession, person: Person, limit: int = 10
) -> list[tuple[Broadcast, Progress]]:
    """The newest broadcasts the person may see, each with how far it got (two queries)."""
    scope = await audiences.sender_scope(session, person)
    repo = OutboxRepo(session)
    found = await repo.recent_broadcasts(person.id, list(scope.municipality_ids), limit)
    counts = await repo.counts_by_status_of([b.id for b in found])
    return [(b, _progress(b, counts[b.id])) for b in found]


class FailureReason(StrEnum):
    """Why a message did not reach someone, in the words a coordinator can act on."""

    BLOCKED = "blocked"
    ACCOUNT_DELETED = "account_deleted"
    NOT_STARTED = "not_started"
    TELEGRAM_ERROR = "telegram_error"


def failure_reason(error: str | None) -> FailureReason:
    """The reason behind the error the sender stored («TelegramForbiddenError: Forbidden: bot
    was blocked by the user»): Telegram's descriptions are stable, their wording is not ours
    to show."""
    text = (error or "").lower()
    if "blocked by the user" in text:
        return FailureReason.BLOCKED
    if "deactivated" in text:
        return FailureReason.ACCOUNT_DELETED
    if "chat not found" in text or "can't initiate conversation" in text:
        return FailureReason.NOT_STARTED
    return FailureReason.TELEGRAM_ERROR


async def _reached_audience(
    session: AsyncSession, viewer: Person, broadcast: Broadcast
) -> tuple[Scope, audiences.Audience] | None:
    """The sent broadcast's audience within the viewer's own scope (None: none of it is)."""
    scope = await audiences.sender_scope(session, viewer)
    audience = audiences.Audience.from_dict(broadcast.audience)
    named = audience.municipality_ids or (
        [broadcast.municipality_id] if broadcast.municipality_id else list(scope.municipality_ids)
    )
    # An empty list would mean «all of the scope»: an audience outside it is nobody instead.
    audience.municipality_ids = [m for m in named if scope.covers_municipality(m)]
    if not audience.municipality_ids:
        return None
    # Only the segments that still exist can be asked again.
    audience.segments = {
        n: a for n, a in audience.segments.items() if n in audiences.known_segments()
    }
    return scope, audience


async def unjoined_count(session: AsyncSession, viewer: Person, broadcast: Broadcast) -> int:
    """How many of a sent broadcast's audience have still not joined the bot: for the report."""
    reached = await _reached_audience(session, viewer, broadcast)
    return await audiences.unjoined_count(session, *reached) if reached else 0


async def unjoined_of(
    session: AsyncSession, viewer: Person, broadcast_id: int
) -> list[audiences.Unjoined]:
    """Who of a sent broadcast's audience has not joined the bot, for personal invites."""
    broadcast = await visible(session, viewer, broadcast_id)
    reached = await _reached_audience(session, viewer, broadcast)
    return await audiences.unjoined(session, *reached, viewer) if reached else []


def unjoined_workbook(
    people: Sequence[audiences.Unjoined], headers: Sequence[str], role_names: dict[Role, str]
) -> bytes:
    """The list of those who have not joined: name, school, role, and the phone where the
    coordinator may see it; the safe writer keeps every value plain text."""
    book = Workbook()
    sheet = book.active
    # `t()` escapes for Telegram's HTML; a spreadsheet wants the characters themselves.
    append_row(sheet, [html.unescape(header) for header in headers])
    for someone in people:
        roles = ", ".join(html.unescape(role_names[r]) for r in someone.roles)
        append_row(
            sheet, [someone.name or "—", someone.school or "—", roles or "—", someone.phone or ""]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def failures_workbook(
    session: AsyncSession,
    person: Person,
    broadcast_id: int,
    headers: Sequence[str],
    status_names: dict[DeliveryStatus, str],
) -> bytes:
    """The recipients the broadcast did not reach, for the coordinator's report."""
    broadcast = await visible(session, person, broadcast_id)
    rows = await OutboxRepo(session).failures(broadcast.id)
    book = Workbook()
    sheet = book.active
    # `t()` escapes for Telegram's HTML; a spreadsheet wants the characters themselves.
    append_row(sheet, [html.unescape(header) for header in headers])
    for name, school, status, error in rows:
        # Names and schools are what people typed: the safe writer keeps them plain text.
        reason = html.unescape(t(f"broadcast.reason.{failure_reason(error)}"))
        status_name = html.unescape(status_names[status])
        append_row(sheet, [name or "—", school or "—", status_name, reason])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
