"""Broadcast progress: starts scheduled broadcasts, edits the author's progress message every
few seconds ("Отправлено 1 240 из 5 000") and sends the final report when nothing is left."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Priority, enqueue_message
from bot.keyboards.broadcasts import progress_keyboard, report_keyboard
from bot.scheduler import JobContext
from bot.services import broadcasts
from bot.texts import Templates
from storage.models import Broadcast, BroadcastStatus, Person

log = logging.getLogger(__name__)

# Last text shown per broadcast, so an unchanged count costs no request.
_shown: dict[int, str] = {}


async def tick(context: JobContext) -> None:
    texts, templates = context.texts, context.templates
    async with context.session_pool.begin() as session:
        running = await session.scalars(
            select(Broadcast)
            .where(
                (Broadcast.status == BroadcastStatus.SENDING)
                | (
                    (Broadcast.status == BroadcastStatus.SCHEDULED)
                    & (Broadcast.scheduled_at <= datetime.now(UTC))
                )
                # Stopped while sending: the author still gets what went out before the stop.
                | (
                    (Broadcast.status == BroadcastStatus.CANCELLED)
                    & Broadcast.started_at.is_not(None)
                    & Broadcast.report_sent.is_(False)
                )
            )
            # With several processes each broadcast is advanced by one of them at a time, so a
            # scheduled one gets one progress message and one report.
            .with_for_update(skip_locked=True)
        )
        for broadcast in running.all():
            author = await session.get(Person, broadcast.author_id) if broadcast.author_id else None
            locale = (author.locale if author else None) or context.settings.default_locale
            with texts.context(), texts.use_locale(locale):
                await _advance(session, context, templates, broadcast, author, locale)


async def _advance(
    session: AsyncSession,
    context: JobContext,
    templates: Templates,
    broadcast: Broadcast,
    author: Person | None,
    locale: str,
) -> None:
    state = await broadcasts.progress(session, broadcast)
    text = templates.render("broadcast_progress.html", locale, broadcast=broadcast, p=state)
    if broadcast.status == BroadcastStatus.SCHEDULED:
        broadcast.status = BroadcastStatus.SENDING
        broadcast.started_at = datetime.now(UTC)
        await _open_progress_message(context, broadcast, author, text)
    if state.finished and broadcast.status == BroadcastStatus.SENDING:
        broadcast.status = BroadcastStatus.DONE
        broadcast.finished_at = datetime.now(UTC)
    await _show(context, broadcast, text, finished=state.finished)
    if state.finished and author is not None and not broadcast.report_sent:
        broadcast.report_sent = True
        report = templates.render("broadcast_report.html", locale, broadcast=broadcast, p=state)
        await enqueue_message(
            session,
            context.settings,
            author,
            report,
            kind="broadcast_report",
            priority=Priority.URGENT,
            reply_markup=report_keyboard(broadcast.id) if state.total > state.sent else None,
            dedup_key=f"broadcast_report:{broadcast.id}",
        )


async def _open_progress_message(
    context: JobContext, broadcast: Broadcast, author: Person | None, text: str
) -> None:
    """A scheduled broadcast starts: its author gets a fresh progress message to watch."""
    if author is None or author.telegram_id is None:
        return
    try:
        message = await context.bot.send_message(
            author.telegram_id, text, reply_markup=progress_keyboard(broadcast.id)
        )
    except TelegramAPIError:
        log.warning("no progress message for broadcast %s", broadcast.id, exc_info=True)
        return
    broadcast.progress_chat_id, broadcast.progress_message_id = message.chat.id, message.message_id
    _shown[broadcast.id] = text


async def _show(context: JobContext, broadcast: Broadcast, text: str, *, finished: bool) -> None:
    chat_id, message_id = broadcast.progress_chat_id, broadcast.progress_message_id
    if chat_id is None or message_id is None or _shown.get(broadcast.id) == text:
        return
    try:
        await context.bot.edit_message_text(
            text=text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=None if finished else progress_keyboard(broadcast.id),
        )
    except TelegramBadRequest as error:
        if "not modified" not in error.message:
            log.warning("progress of broadcast %s not shown: %s", broadcast.id, error.message)
    except TelegramAPIError:
        log.warning("progress of broadcast %s not shown", broadcast.id, exc_info=True)
    _shown[broadcast.id] = text
    if finished:
        _shown.pop(broadcast.id, None)
