from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.middlewares.user_context import EVENT_FROM_USER_KEY, UserContextMiddleware
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.fsm_storage import DatabaseStorage
from storage.models import PersonStatus
from storage.repositories.people import PeopleRepo

# Session info: (telegram id, Person or None) read by `preload_sender` before the dispatcher.
SENDER = "sender"


async def preload_sender(
    session: AsyncSession, update: Update, bot: Bot, storage: BaseStorage
) -> None:
    """The hot path's one query: the sender, their roles and subjects and, with dialog state in
    the database, that state too (the FSM middleware then reads it without a query)."""
    context = UserContextMiddleware.resolve_event_context(update)
    user, chat = context.user, context.chat
    if user is None or user.is_bot:
        return
    repo = PeopleRepo(session)
    if isinstance(storage, DatabaseStorage) and chat is not None:
        person, records = await repo.sender_with_dialogs(user.id)
        if person is not None:
            DatabaseStorage.preloaded_all(session, user.id, records)
    else:
        person = await repo.by_telegram_id(user.id)
    session.info[SENDER] = (user.id, person)


class PersonMiddleware(BaseMiddleware):
    """Puts the sender's `Person` (or None) into handler data as `person`.

    Works for every update type: those without a sender (channel posts, polls) get None.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get(EVENT_FROM_USER_KEY)
        session: AsyncSession = data["session"]
        person = None
        if user is not None and not user.is_bot:
            preloaded = session.info.pop(SENDER, None)
            if preloaded is not None and preloaded[0] == user.id:
                person = preloaded[1]
            else:
                person = await PeopleRepo(session).by_telegram_id(user.id)
            if person is not None and person.status == PersonStatus.BLOCKED_BOT:
                # They wrote again, so they unblocked the bot.
                person.status = PersonStatus.ACTIVE
        data["person"] = person
        return await handler(event, data)
