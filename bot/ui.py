"""Showing a person where they are: their main menu and their command list."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import (
    BotCommandScopeChat,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MediaUnion,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.delivery.split import split_text
from bot.keyboards.menus import command_list, main_menu
from bot.texts import Templates
from storage.models import Person

if TYPE_CHECKING:
    from bot.update_context import UpdateContext

log = logging.getLogger(__name__)

# Whatever Telegram takes as a message's buttons: inline ones, a reply keyboard, or its removal.
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


async def set_person_commands(bot: Bot, person: Person, locale: str) -> None:
    """The chat's own command list (a chat scope), in the person's language; a Bot API call
    only when their language or roles changed since it was last set."""
    if person.telegram_id is None:
        return
    key = ":".join([locale, *sorted(person.role_set)])
    if person.commands_key == key:
        return
    try:
        await bot.set_my_commands(
            command_list(person.role_set, locale),
            scope=BotCommandScopeChat(chat_id=person.telegram_id),
        )
        person.commands_key = key
    except TelegramAPIError:
        # The menu still works without the command list; not worth failing the update over.
        log.warning("could not set commands for person %s", person.id, exc_info=True)


def main_menu_message(
    person: Person, templates: Templates, locale: str, *, greeting: bool = False
) -> tuple[str, ReplyKeyboardMarkup]:
    text = templates.render(
        "menu.html", locale, person=person, roles=sorted(person.role_set), greeting=greeting
    )
    return text, main_menu(person.role_set)


async def send_long(bot: Bot, chat_id: int, text: str, markup: ReplyMarkup | None = None) -> None:
    """A direct reply that may exceed one Telegram message: cut at line ends, buttons last."""
    *first, last = split_text(text)
    for part in first:
        await bot.send_message(chat_id, part)
    await bot.send_message(chat_id, last, reply_markup=markup)


async def send_main_menu(
    bot: Bot, person: Person, templates: Templates, locale: str, *, greeting: bool = False
) -> None:
    """To the person who is talking to the bot right now (a direct reply)."""
    if person.telegram_id is None:
        return
    text, keyboard = main_menu_message(person, templates, locale, greeting=greeting)
    await bot.send_message(person.telegram_id, text, reply_markup=keyboard)
    await set_person_commands(bot, person, locale)


async def show_main_menu(
    ctx: UpdateContext, person: Person | None = None, *, greeting: bool = False
) -> None:
    """`send_main_menu` from a handler: to the sender (or `person`, whom they have just become),
    in the language of the update."""
    await send_main_menu(ctx.bot, person or ctx.me, ctx.templates, ctx.locale, greeting=greeting)


async def set_buttons(callback: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Changes the buttons of the message pressed, or with None takes them away (they have
    done their part; a second press must not repeat it). A message the bot can no longer
    edit (too old) or that already shows these buttons is left as it is."""
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=markup)


async def show_instead(
    bot: Bot, callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """The pressed message shows `text` and `markup` now: edited in place when the text fits
    one message; else its buttons are taken away and the text comes anew in parts, the buttons
    on the last (an edit cannot grow into several messages)."""
    message = callback.message
    if not isinstance(message, Message):
        return
    if len(split_text(text)) == 1:
        await message.edit_text(text, reply_markup=markup)
        return
    await set_buttons(callback, None)
    await send_long(bot, message.chat.id, text, markup)


PHOTOS_PER_ALBUM = 10  # Telegram's most photos in one album


async def send_photos(bot: Bot, chat_id: int, photos: list[InputMediaPhoto]) -> None:
    """Pictures as albums of up to ten; a lone one as a photo (an album takes two to ten)."""
    for first in range(0, len(photos), PHOTOS_PER_ALBUM):
        album = photos[first : first + PHOTOS_PER_ALBUM]
        if len(album) == 1:
            await bot.send_photo(chat_id, album[0].media, caption=album[0].caption)
        else:
            await bot.send_media_group(chat_id, list[MediaUnion](album))
