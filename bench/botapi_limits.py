"""A local Bot API server that enforces Telegram's sending limits, for the outbox benchmark.

It speaks just enough of the Bot API (`/bot<token>/getMe`, `/bot<token>/sendMessage`) for
aiogram, and answers HTTP 429 ("retry after N") to any message that would exceed
`overall_per_second` messages in a sliding window of one second, or `chat_per_second` to one
chat. Every accepted message is recorded, so duplicates and losses can be counted afterwards.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

WINDOW_SECONDS = 1.0


@dataclass(frozen=True)
class Accepted:
    chat_id: int
    text: str
    at: float


class LimitedBotApi:
    def __init__(
        self,
        *,
        overall_per_second: int = 30,
        chat_per_second: int = 1,
        retry_after: int = 1,
        latency_seconds: float = 0.0,
        on_accept: Callable[[int], None] | None = None,
    ) -> None:
        self.overall_per_second = overall_per_second
        self.chat_per_second = chat_per_second
        self.retry_after = retry_after
        # Delay before each answer, to imitate the round trip to Telegram's servers.
        self.latency_seconds = latency_seconds
        # Called with the number accepted so far, before the answer goes out (run B kills
        # the sender there, so a message arrives whose answer the sender never sees).
        self.on_accept = on_accept
        self.accepted: list[Accepted] = []
        self.too_many_requests = 0
        self._recent: deque[float] = deque()
        self._recent_by_chat: dict[int, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://{host}:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- what arrived ---------------------------------------------------------------------
    def received_chats(self) -> Counter[int]:
        return Counter(message.chat_id for message in self.accepted)

    def duplicates(self) -> int:
        """Messages beyond the first one each chat received."""
        return sum(count - 1 for count in self.received_chats().values() if count > 1)

    def missing(self, expected_chats: set[int]) -> set[int]:
        return expected_chats - set(self.received_chats())

    # --- the API --------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fields = dict(await request.post()) if request.can_read_body else {}
        if method == "getMe":
            return await self._answer(
                {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
            )
        if method != "sendMessage":
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        chat_id = int(str(fields.get("chat_id", "0")))
        text = str(fields.get("text", ""))
        now = time.monotonic()
        if not self._admit(chat_id, now):
            self.too_many_requests += 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
                status=429,
            )
        self.accepted.append(Accepted(chat_id, text, now))
        if self.on_accept is not None:
            self.on_accept(len(self.accepted))
        return await self._answer(
            {
                "message_id": len(self.accepted),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": text,
            }
        )

    def _admit(self, chat_id: int, now: float) -> bool:
        """Take a slot when both windows have room; rejected requests take none."""
        _forget_before(self._recent, now - WINDOW_SECONDS)
        chat_recent = self._recent_by_chat.setdefault(chat_id, deque())
        _forget_before(chat_recent, now - WINDOW_SECONDS)
        if len(self._recent) >= self.overall_per_second:
            return False
        if len(chat_recent) >= self.chat_per_second:
            return False
        self._recent.append(now)
        chat_recent.append(now)
        return True

    async def _answer(self, result: dict[str, Any]) -> web.Response:
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        return web.json_response({"ok": True, "result": result})


def _forget_before(moments: deque[float], cutoff: float) -> None:
    while moments and moments[0] <= cutoff:
        moments.popleft()
