"""Broadcast progress: starts scheduled broadcasts, edits the author's progress message every
few seconds ("Отправлено 1 240 из 5 000") and sends the final report when nothing is left.

Each tick reads the broadcasts in progress, renders their counts and shows them: what a tick
changes on a broadcast is the service's (`bot.services.broadcasts.advance`), the messages the
transport's (`bot.transport.broadcasts`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobContext
from bot.services import broadcasts
from bot.transport import broadcasts as relay
from storage.models import Broadcast, Person


async def tick(context: JobContext) -> None:
    async with context.session_pool.begin() as session:
        for broadcast, author in await broadcasts.in_progress(session, datetime.now(UTC)):
            locale = (author.locale if author else None) or context.settings.default_locale
            with context.texts.context(), context.texts.use_locale(locale):
                await _advance(session, context, broadcast, author, locale)


async def _advance(
    session: AsyncSession,
    context: JobContext,
    broadcast: Broadcast,
    author: Person | None,
    locale: str,
) -> None:
    state = await broadcasts.progress(session, broadcast)
    text = context.templates.render("broadcast_progress.html", locale, broadcast=broadcast, p=state)
    step = broadcasts.advance(broadcast, state, author, datetime.now(UTC))
    if step.started:
        await relay.open_progress_message(context.bot, broadcast, author, text)
    await relay.show_progress(context.bot, broadcast, text, finished=state.finished)
    if step.report_to is not None:
        unjoined = await broadcasts.unjoined_count(session, step.report_to, broadcast)
        report = context.templates.render(
            "broadcast_report.html", locale, broadcast=broadcast, p=state, unjoined=unjoined
        )
        await relay.queue_report(
            session, context.settings, broadcast, step.report_to, report, state, unjoined
        )
