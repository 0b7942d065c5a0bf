"""Anything unexpected: the person gets a short apology, the log gets the update id.

Transient failures (Telegram or the database briefly away) are not answered here: they leave
the dispatcher, and the update path keeps the update stored and runs it again.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent

from bot.middlewares.domain_errors import reply
from bot.texts import Texts, t
from bot.updates.workers import TRANSIENT_ERRORS
from storage.db import current_session

log = logging.getLogger(__name__)


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.errors.register(on_old_form_button, ExceptionTypeFilter(UnknownIntent, OutdatedIntent))
    router.errors.register(on_error, ~ExceptionTypeFilter(*TRANSIENT_ERRORS))  # type: ignore[arg-type]
    return router


async def on_old_form_button(event: ErrorEvent, texts: Texts) -> bool:
    """A button of a form that was finished, cancelled or replaced: the same polite alert as
    any other old button."""
    query = event.update.callback_query
    if query is not None:
        with texts.context(), texts.use_locale(_senders_locale(event.update, texts)):
            await query.answer(t("error.stale_button"), show_alert=True)
    return True


def _senders_locale(update: Update, texts: Texts) -> str:
    """Errors are handled outside the locale middleware: the sender's Telegram language."""
    user = update.event.from_user if hasattr(update.event, "from_user") else None
    language = ((user.language_code or "")[:2] if user else "") or texts.default_locale
    return language if language in texts.available_locales else texts.default_locale


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
    try:
        with texts.context(), texts.use_locale(_senders_locale(update, texts)):
            await reply(update, t("error.unexpected"))
    except TelegramAPIError:
        log.warning("could not apologise for update %s", update.update_id)
    return True
