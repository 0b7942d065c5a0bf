"""Anything unexpected: the person gets a short apology, the log gets the update id."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.middlewares.domain_errors import reply
from bot.texts import Texts, t

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.errors()
async def on_error(event: ErrorEvent, texts: Texts) -> bool:
    update = event.update
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
