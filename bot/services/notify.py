"""Messages to people who did not just write to the bot (a coordinator about a join request,
an applicant about the decision). Telegram refusing because the person blocked the bot marks
them so nothing more is attempted until they come back."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup

from storage.models import Person, PersonStatus

log = logging.getLogger(__name__)


async def notify(
    bot: Bot,
    person: Person,
    text: str,
    reply_markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None,
) -> bool:
    """Send `text`; True when Telegram accepted it."""
    if person.telegram_id is None or person.status != PersonStatus.ACTIVE:
        return False
    try:
        await bot.send_message(person.telegram_id, text, reply_markup=reply_markup)
    except TelegramForbiddenError:
        person.status = PersonStatus.BLOCKED_BOT
        log.info("person %s blocked the bot", person.id)
        return False
    except (TelegramBadRequest, TelegramRetryAfter, TelegramServerError, TelegramNetworkError):
        log.warning("could not notify person %s", person.id, exc_info=True)
        return False
    return True
