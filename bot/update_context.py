"""What a handler needs of the update it handles, as one parameter: `ctx`.

Instead of seven injected parameters (bot, session, person, settings, templates, i18n, …) and
the locale passed by hand to every template, a handler takes `ctx: UpdateContext` and writes
`await ctx.reply(ctx.render("menu.html", person=ctx.me))`. `ContextMiddleware` builds it once
per update from what the outer middlewares put in the handler data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.middlewares.user_context import EVENT_CHAT_KEY
from aiogram.types import Chat, TelegramObject
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import Templates
from bot.ui import ReplyMarkup, send_long
from config.settings import Settings
from storage.models import Person


@dataclass(frozen=True)
class UpdateContext:
    bot: Bot
    session: AsyncSession
    settings: Settings
    templates: Templates
    i18n: I18n
    person: Person | None
    chat: Chat | None

    @property
    def me(self) -> Person:
        """The sender, where the router's role filter has made sure they are registered."""
        if self.person is None:
            raise LookupError("this handler is reached by registered people only")
        return self.person

    @property
    def locale(self) -> str:
        # Read each time: a language switch changes it in the middle of an update.
        return self.i18n.current_locale

    @property
    def chat_id(self) -> int:
        if self.chat is None:
            raise LookupError("this update has no chat")
        return self.chat.id

    def render(self, template: str, **context: Any) -> str:
        """A template from `locales/templates/` in the person's language."""
        return self.templates.render(template, self.locale, **context)

    @contextmanager
    def speaking_to(self, person: Person) -> Iterator[str]:
        """Texts and `render` in another person's language for the block (a message to them);
        yields that locale."""
        with self.i18n.use_locale(person.locale or self.i18n.default_locale):
            yield self.locale

    async def reply(self, text: str, markup: ReplyMarkup | None = None) -> None:
        """A message to the chat the update came from, cut where Telegram needs it."""
        await send_long(self.bot, self.chat_id, text, markup)


class ContextMiddleware(BaseMiddleware):
    """Puts `ctx` into the handler data; runs after the session, person and locale."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["ctx"] = UpdateContext(
            bot=data["bot"],
            session=data["session"],
            settings=data["settings"],
            templates=data["templates"],
            i18n=data["i18n"],
            person=data.get("person"),
            chat=data.get(EVENT_CHAT_KEY),
        )
        return await handler(event, data)
