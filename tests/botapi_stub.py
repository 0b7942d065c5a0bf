"""A tiny local Bot API server, so the real entry point can run end to end in a subprocess.

It speaks just enough of `/bot<token>/<method>`: getMe, deleteWebhook, getUpdates (queued
updates first, then short long-polls), and records every other call (sendMessage returns a
plausible Message; the rest return True).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Long polls are kept short so a stopping bot is not held up by a pending getUpdates.
MAX_POLL_SECONDS = 1.0
BOT_ID = 123456


def free_port() -> int:
    """A TCP port nobody listens on right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RecordedCall:
    method: str
    params: dict[str, Any]


@dataclass
class BotApiStub:
    calls: list[RecordedCall] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000))
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _recorded: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    # While set, sendMessage is recorded as "held" and not answered: a bot stuck mid-update.
    _holding: asyncio.Event | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- arranging and checking ----------------------------------------------------------
    def queue_text(self, user_id: int, text: str, first_name: str = "Анна") -> None:
        """A private message from `user_id`, delivered by the next getUpdates."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._updates.append({"update_id": next(self._update_ids), "message": message})
        self._new_update.set()

    def hold_sends(self) -> None:
        self._holding = asyncio.Event()

    def release_sends(self) -> None:
        if self._holding is not None:
            self._holding.set()
            self._holding = None

    def calls_of(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    async def wait_for(
        self, predicate: Callable[[RecordedCall], bool], within: float
    ) -> RecordedCall:
        """The first recorded call matching `predicate`, waiting up to `within` seconds."""

        def found() -> RecordedCall | None:
            return next((call for call in self.calls if predicate(call)), None)

        async with asyncio.timeout(within), self._recorded:
            await self._recorded.wait_for(lambda: found() is not None)
        call = found()
        assert call is not None
        return call

    # --- the API -------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = {name: _decoded(value) for name, value in (await request.post()).items()}
        holding = self._holding
        if holding is not None and method.lower() == "sendmessage":
            async with self._recorded:
                self.calls.append(RecordedCall("held:" + method, params))
                self._recorded.notify_all()
            await holding.wait()
            # Whoever sent it may be gone (a killed bot): it counts only as held.
            return web.json_response({"ok": False, "error_code": 500, "description": "held"})
        result = await self._answer(method.lower(), params)
        async with self._recorded:
            self.calls.append(RecordedCall(method, params))
            self._recorded.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getme":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Наставник",
                "username": "nastavnik_stub_bot",
            }
        if method == "getupdates":
            return await self._poll(params)
        if method in ("sendmessage", "editmessagetext"):
            chat_id = int(params.get("chat_id", 0))
            return {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Наставник"},
                "text": str(params.get("text", "")),
            }
        return True

    async def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        # Telegram forgets updates once a later offset confirms them.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            wait = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
            try:
                await asyncio.wait_for(self._new_update.wait(), wait)
            except TimeoutError:
                return []
        return list(self._updates)


def _decoded(value: Any) -> Any:
    """aiogram sends nested objects (reply_markup, allowed_updates) as JSON strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
