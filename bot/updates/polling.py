"""Long polling that confirms an update to Telegram only after it is stored.

Telegram forgets a batch when the next `getUpdates` asks for an offset past it; that call is
made only after `Intake.accept` committed the batch. A crash in between means Telegram sends
the batch again, and the intake ignores the ids it already has.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.methods import GetUpdates

from bot.updates.intake import Intake

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 30
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0


async def poll(
    bot: Bot,
    intake: Intake,
    allowed_updates: list[str],
    *,
    wait_seconds: int = POLL_TIMEOUT_SECONDS,
) -> None:
    """Fetch, store and queue updates until cancelled; each long poll waits `wait_seconds`."""
    offset: int | None = None
    backoff = BACKOFF_FIRST_SECONDS
    request_timeout = int(bot.session.timeout or 0) + wait_seconds
    while True:
        try:
            updates = await bot(
                GetUpdates(offset=offset, timeout=wait_seconds, allowed_updates=allowed_updates),
                request_timeout=request_timeout,
            )
            if updates:
                await intake.accept(updates)
                offset = updates[-1].update_id + 1
            backoff = BACKOFF_FIRST_SECONDS
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Telegram or the database unreachable: nothing was confirmed, so nothing is lost.
            log.warning("polling: %s; again in %.0f s", type(error).__name__, backoff)
            await asyncio.sleep(backoff)
            backoff = min(BACKOFF_MAX_SECONDS, backoff * 2)
