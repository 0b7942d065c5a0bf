"""Two rules for every Bot API call made while an update is handled, kept in one place.

1. Nothing is held while waiting on the network: the update's open transaction is committed
   before the call goes out (its writes become final, its connection returns to the pool), so
   on SQLite no other person's write waits on Telegram's latency. The usual order in a handler
   is read → decide → write → send; what a send returns (a relayed message id) is stored after
   it in a second short transaction, which the update path commits when the handler returns.
2. A reply that meets 429, a 5xx or a network error waits and is tried again (bounded). If it
   still fails, the error reaches the update path, which keeps the update stored and runs it
   again later: the person's message is never dropped.

Calls made outside an update (the outbox sender, scheduled sweeps, background jobs) pass
through untouched: they have their own transactions and their own retry rules.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from storage.db import current_session

log = logging.getLogger(__name__)

# One reply may wait this long in all for Telegram before the update is put back for later.
REPLY_PATIENCE_SECONDS = 90.0
REPLY_ATTEMPTS = 5


class CommitBeforeSend(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        session = current_session.get()
        if session is not None and session.in_transaction():
            await session.commit()
        return await make_request(bot, method)


class RetryReplies(BaseRequestMiddleware):
    """Retries a reply on 429 (after `retry_after`) and on 5xx or network errors (short
    backoff). A network error may mean Telegram got the message: one duplicate reply is a
    smaller harm than a lost one.

    A reply's 429 does not pause the outbox: most are Telegram's limit for one chat (a card and
    a copy to the same tutor), and pausing every broadcast for those stalled them for minutes
    in the benchmark. The outbox leaves replies `REPLY_HEADROOM_PER_SECOND` of the budget and
    pauses itself on its own 429s.
    """

    def __init__(
        self, *, attempts: int = REPLY_ATTEMPTS, patience: float = REPLY_PATIENCE_SECONDS
    ) -> None:
        self.attempts = attempts
        self.patience = patience

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if current_session.get() is None:
            return await make_request(bot, method)
        waited = 0.0
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                delay = float(error.retry_after)
                if attempt >= self.attempts or waited + delay > self.patience:
                    raise
            except (TelegramServerError, TelegramNetworkError):
                delay = 0.5 * 2 ** (attempt - 1)
                if attempt >= self.attempts or waited + delay > self.patience:
                    raise
            log.info("%s: waiting %.1f s before try %d", type(method).__name__, delay, attempt + 1)
            waited += delay
            attempt += 1
            await asyncio.sleep(delay)


class TapAnswersNeverFail(BaseRequestMiddleware):
    """Answering a button's tap is a courtesy (the spinner stops, a toast shows): when Telegram
    refuses it (a query too old, as after a restart that handles stored updates late), the
    refusal is logged and the handler goes on. Otherwise the handler would stop half-way,
    after its decision was committed (rule 1) and before the people concerned were told."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            if not isinstance(method, AnswerCallbackQuery):
                raise
            log.warning("callback query not answered: %s", error.message)
            # What Telegram answers to answerCallbackQuery: True (as the session returns it).
            return cast("Response[TelegramType]", True)


class KeepResponseModels(BaseRequestMiddleware):
    """aiogram reads every answer with `Response[T]`, a pydantic generic model that pydantic
    caches only weakly: under load the model is collected and built again (~7 ms of CPU each
    time, a tenth of the bot's CPU in the polling benchmark). A strong reference per answer
    type keeps it built once."""

    def __init__(self) -> None:
        self._kept: dict[object, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
