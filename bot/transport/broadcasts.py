"""A broadcast's progress as its author sees it: one message edited in place ("Отправлено
1 240 из 5 000") with a stop button while it runs, then the report through the outbox; and
the file of those it cannot reach because they never joined the bot."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import BufferedInputFile
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Priority, enqueue_message
from bot.keyboards.broadcasts import progress_keyboard, report_keyboard
from bot.services import broadcasts
from bot.services.audience import Unjoined
from bot.services.broadcasts import Progress
from bot.texts import t
from config.settings import Settings
from storage.models import Broadcast, Person, Role

log = logging.getLogger(__name__)

# Last text shown per broadcast, so an unchanged count costs no request.
_shown: dict[int, str] = {}


async def open_progress_message(
    bot: Bot, broadcast: Broadcast, author: Person | None, text: str
) -> None:
    """A scheduled broadcast starts: its author gets a fresh progress message to watch."""
    if author is None or author.telegram_id is None:
        return
    try:
        message = await bot.send_message(
            author.telegram_id, text, reply_markup=progress_keyboard(broadcast.id)
        )
    except TelegramAPIError:
        log.warning("no progress message for broadcast %s", broadcast.id, exc_info=True)
        return
    broadcast.progress_chat_id, broadcast.progress_message_id = message.chat.id, message.message_id
    _shown[broadcast.id] = text


async def show_progress(bot: Bot, broadcast: Broadcast, text: str, *, finished: bool) -> None:
    chat_id, message_id = broadcast.progress_chat_id, broadcast.progress_message_id
    if chat_id is None or message_id is None or _shown.get(broadcast.id) == text:
        return
    try:
        await bot.edit_message_text(
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


async def queue_report(
    session: AsyncSession,
    settings: Settings,
    broadcast: Broadcast,
    author: Person,
    text: str,
    state: Progress,
    unjoined: int,
) -> None:
    """The report, with the buttons for the files of those it did not reach and of those who
    never joined the bot, if there are any."""
    await enqueue_message(
        session,
        settings,
        author,
        text,
        kind="broadcast_report",
        priority=Priority.URGENT,
        reply_markup=report_keyboard(
            broadcast.id, undelivered=state.total > state.sent, unjoined=unjoined > 0
        ),
        dedup_key=f"broadcast_report:{broadcast.id}",
    )


def unjoined_file(people: list[Unjoined], name: str) -> BufferedInputFile:
    """The .xlsx of those the broadcast cannot reach, in the reader's language."""
    content = broadcasts.unjoined_workbook(
        people,
        headers=[
            t("broadcast.col_name"),
            t("broadcast.col_school"),
            t("broadcast.col_role"),
            t("broadcast.col_phone"),
        ],
        role_names={role: t(f"role.{role.value}") for role in Role},
    )
    return BufferedInputFile(content, filename=name)
