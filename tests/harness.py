"""Drive the real dispatcher as people would: "Anna sends /start", "Anna presses «Согласен»"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.limiter import LocalRateLimiter
from bot.delivery.sender import OutboxSender
from bot.jobs import JobRunner
from bot.scheduler import JobContext, resolve
from bot.updates import UpdatePath
from tests.factories import (
    make_callback,
    make_contact_message,
    make_document_message,
    make_message,
    make_user,
    update_with,
)
from tests.recording_session import BOT_USER, RecordingSession


def text_of(request: TelegramMethod[Any]) -> str:
    return str(getattr(request, "text", None) or getattr(request, "caption", None) or "")


def chat_of(request: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(request, "chat_id", None)
    return int(chat_id) if chat_id is not None else None


@dataclass
class Harness:
    dp: Dispatcher
    bot: Bot
    api: RecordingSession
    session_pool: async_sessionmaker[AsyncSession]
    # The update path of this "process"; built and started at the first update if not given.
    path: UpdatePath | None = None
    users: dict[int, User] = field(default_factory=dict)

    # --- people act -----------------------------------------------------------------------
    def user(
        self, user_id: int, first_name: str = "Анна", language_code: str | None = "ru"
    ) -> User:
        if user_id not in self.users:
            self.users[user_id] = make_user(user_id, first_name, language_code)
        return self.users[user_id]

    async def feed(self, update: Update) -> None:
        """Deliver one update the way Telegram would and wait until the bot has handled it."""
        await self.feed_many([update])

    async def feed_many(self, updates: list[Update]) -> None:
        """One batch of `getUpdates`: stored, then handled concurrently across people."""
        path = await self.started_path()
        await path.intake.accept(updates)
        await path.idle()

    async def started_path(self) -> UpdatePath:
        if self.path is None:
            self.path = UpdatePath.for_dispatcher(self.dp, self.bot)
            await self.path.start()
        return self.path

    async def send(self, user_id: int, text: str) -> Any:
        return await self.feed(update_with(message=make_message(self.user(user_id), text)))

    async def send_message(self, message: Message) -> Any:
        return await self.feed(update_with(message=message))

    async def share_contact(self, user_id: int, phone: str, *, owner_id: int | None = None) -> Any:
        message = make_contact_message(self.user(user_id), phone, owner_id=owner_id)
        return await self.feed(update_with(message=message))

    async def upload(
        self, user_id: int, file_name: str, content: bytes, *, mime_type: str | None = None
    ) -> Any:
        file_id = f"upload-{len(self.api.files)}"
        self.api.files[file_id] = content
        message = make_document_message(
            self.user(user_id), file_name, len(content), mime_type=mime_type, file_id=file_id
        )
        return await self.feed(update_with(message=message))

    async def press(self, user_id: int, button_text: str) -> Any:
        """Press the inline button whose text contains `button_text` in the newest message
        (sent or edited) to `user_id` that has one."""
        request, data = self._find_button(user_id, button_text)
        return await self.callback(user_id, data, message_id=self._message_id(request))

    def button_data(self, user_id: int, button_text: str) -> str:
        """The callback data of the inline button `press` would press."""
        return self._find_button(user_id, button_text)[1]

    async def callback(self, user_id: int, data: str, *, message_id: int = 1) -> Any:
        user = self.user(user_id)
        message = Message(
            message_id=message_id,
            date=make_message(user).date,
            chat=make_message(user).chat,
            from_user=BOT_USER,
            text="…",
        )
        return await self.feed(update_with(callback_query=make_callback(user, data, message)))

    async def deliver(self) -> int:
        """Run the outbox sender over everything due now, without pacing (tests need no waits)."""
        settings = self.dp["settings"]
        sender = OutboxSender(
            self.bot,
            self.session_pool,
            settings,
            LocalRateLimiter(rate_per_second=1_000_000, chat_interval=0),
        )
        return await sender.drain()

    async def run_jobs(self) -> int:
        """Run every background job due now to its end, without pacing (tests need no waits);
        the number of jobs run."""
        runner = JobRunner(
            self.bot,
            self.session_pool,
            self.dp["settings"],
            self.dp["texts"],
            self.dp["templates"],
            limiter=LocalRateLimiter(rate_per_second=1_000_000, chat_interval=0),
        )
        return await runner.drain()

    async def run_job(self, path: str) -> None:
        """Run a scheduled job once, as the scheduler would ("bot.delivery.progress:tick")."""
        context = JobContext(
            bot=self.bot,
            session_pool=self.session_pool,
            settings=self.dp["settings"],
            texts=self.dp["texts"],
            templates=self.dp["templates"],
        )
        await resolve(path)(context)

    # --- what the bot did -------------------------------------------------------------------
    @property
    def requests(self) -> list[TelegramMethod[Any]]:
        return self.api.requests

    def sent_to(self, chat_id: int) -> list[TelegramMethod[Any]]:
        return [r for r in self.api.requests if chat_of(r) == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [text_of(r) for r in self.sent_to(chat_id) if text_of(r)]

    def last_text(self, chat_id: int) -> str:
        texts = self.texts_to(chat_id)
        assert texts, f"nothing was sent to {chat_id}"
        return texts[-1]

    def clear(self) -> None:
        self.api.take()

    def buttons(self, chat_id: int) -> list[str]:
        """Texts of the inline and reply buttons of the newest message to `chat_id` with any."""
        for request in reversed(self.sent_to(chat_id)):
            markup = getattr(request, "reply_markup", None)
            if isinstance(markup, InlineKeyboardMarkup):
                return [b.text for row in markup.inline_keyboard for b in row]
            if isinstance(markup, ReplyKeyboardMarkup):
                return [b.text for row in markup.keyboard for b in row]
        return []

    def _find_button(self, chat_id: int, button_text: str) -> tuple[TelegramMethod[Any], str]:
        for request in reversed(self.sent_to(chat_id)):
            markup = getattr(request, "reply_markup", None)
            if not isinstance(markup, InlineKeyboardMarkup):
                continue
            for button in _flat(markup):
                if button_text in button.text and button.callback_data:
                    return request, button.callback_data
        raise AssertionError(f"no button {button_text!r} in messages to {chat_id}")

    def _message_id(self, request: TelegramMethod[Any]) -> int:
        answer = self.api.answers.get(id(request))
        if isinstance(answer, Message):
            return answer.message_id
        return int(getattr(request, "message_id", 1) or 1)


def _flat(markup: InlineKeyboardMarkup) -> Iterable[Any]:
    for row in markup.inline_keyboard:
        yield from row
