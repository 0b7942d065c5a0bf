"""Anything unexpected: the person gets a short apology, the log gets the update id.

Transient failures (Telegram or the database briefly away) are not answered here: they leave
the dispatcher, and the update path keeps the update stored and runs it again.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot.middlewares.domain_errors import reply
from bot.texts import Texts, t
from bot.updates.workers import TRANSIENT_ERRORS
from storage.db import current_session

log = logging.getLogger(__name__)


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.errors.register(on_error, ~ExceptionTypeFilter(*TRANSIENT_ERRORS))  # type: ignore[arg-type]
    return router


async def on_error(event: ErrorEvent, texts: Texts) -> bool:
    update = event.update
    # Half of a failed update's writes must not become final with the apology's commit.
    session = current_session.get()
    if session is not None:
        await session.rollback()
    log.error(
        "update %s failed: %s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    user = update.event.from_user if hasattr(update.event, "from_user") else None
    language = ((user.language_code or "")[:2] if user else "") or texts.default_locale
    locale = language if language in texts.available_locales else texts.default_locale
    try:
        with texts.context(), texts.use_locale(locale):
            await reply(update, t("error.unexpected"))
    except TelegramAPIError:
        log.warning("could not apologise for update %s", update.update_id)
    return True
