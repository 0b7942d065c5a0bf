"""A fake Bot API session: records every request in order and answers like Telegram would.

Requests are kept first-in-first-out (aiogram's own MockedBot pops last-in-first-out, which
reads backwards in tests). Whatever Telegram would refuse (see `tests/telegram_limits.py`) is
refused the same way and listed in `limit_violations`. Queue an exception with `fail_next(...)`
to simulate Telegram errors, time-outs or a person who blocked the bot.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections import deque
from collections.abc import AsyncGenerator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, File, Message, MessageId, User

from tests.telegram_limits import LimitViolation, check_method

if TYPE_CHECKING:
    from aiogram import Bot

BOT_USER = User(id=42, is_bot=True, first_name="Наставник", username="nastavnik_test_bot")


def _writable(database: str) -> bool:
    """Whether a writer gets the lock within two seconds. Other people's short writes finish in
    milliseconds, or a few hundred on a machine busy with other suites (the event loop runs on
    meanwhile); a lock held by whoever is waiting on this very request is never released, and
    is caught however long the wait."""
    probe = sqlite3.connect(database, timeout=2.0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._failures: deque[tuple[type[TelegramMethod[Any]] | None, Exception]] = deque()
        self._message_ids: Iterator[int] = itertools.count(1000)
        self.files: dict[str, bytes] = {}
        # What each request was answered with, by id(request): message ids for pressing buttons.
        self.answers: dict[int, Any] = {}
        # Chats whose person blocked the bot: every request to them is refused with 403.
        self.blocked_chats: set[int] = set()
        # With a SQLite file set, every request first checks from a second connection that
        # nobody holds the write lock while waiting on Telegram; offenders are listed here.
        self.probe_database: str | None = None
        self.write_locked_during: list[str] = []
        # Requests Telegram would refuse (too long, bad HTML, long callback data…): each is
        # refused with Telegram's 400 and listed here, so a refusal the bot swallows still
        # fails the test.
        self.limit_violations: list[str] = []

    def fail_next(
        self, error: Exception, *, method: type[TelegramMethod[Any]] | None = None
    ) -> None:
        """The next request (of `method`, if given) raises `error` instead of succeeding."""
        self._failures.append((method, error))

    def take(self) -> list[TelegramMethod[Any]]:
        """Every request since the last take, oldest first."""
        taken, self.requests = self.requests, []
        return taken

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        if self.probe_database is not None and not await asyncio.to_thread(
            _writable, self.probe_database
        ):
            self.write_locked_during.append(type(method).__name__)
        self.requests.append(method)
        try:
            check_method(method, bot.default["parse_mode"])
        except LimitViolation as violation:
            self.limit_violations.append(f"{type(method).__name__}: {violation.description}")
            raise TelegramBadRequest(method=method, message=violation.description) from None
        chat_id = getattr(method, "chat_id", None)
        if chat_id is not None and int(chat_id) in self.blocked_chats:
            raise TelegramForbiddenError(
                method=method, message="Forbidden: bot was blocked by the user"
            )
        if self._failures:
            wanted, error = self._failures[0]
            if wanted is None or isinstance(method, wanted):
                self._failures.popleft()
                raise error
        answer = self._answer(method)
        self.answers[id(method)] = answer
        return cast("TelegramType", answer)

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, GetFile):
            return File(
                file_id=method.file_id, file_unique_id=method.file_id, file_path=method.file_id
            )
        if isinstance(method, (SendMessage, SendDocument, SendPhoto, EditMessageText)):
            return self._message_for(method)
        if isinstance(method, CopyMessage):
            return MessageId(message_id=next(self._message_ids))
        if isinstance(method, (AnswerCallbackQuery, EditMessageReplyMarkup)):
            return True
        return True

    def _message_for(self, method: Any) -> Message:
        chat_id = int(method.chat_id) if method.chat_id is not None else 0
        message_id = getattr(method, "message_id", None) or next(self._message_ids)
        return Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            from_user=BOT_USER,
            text=getattr(method, "text", None),
            caption=getattr(method, "caption", None),
        )

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        file_path = url.rsplit("/", 1)[-1]
        content = self.files[file_path]
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]
