"""Telegram's webhook served by aiohttp, for running several bot processes behind one address.

Telegram hears "200" as soon as the update is stored in the inbox (not after it was handled):
the update path then handles it in the background, each person's updates in order across all
processes (see `bot.updates`). A process that dies leaves its stored updates to the others.
On SIGTERM the process answers 503 to new updates and to /healthz (Telegram retries, the
balancer moves on to another process), finishes the updates being handled, and only then
closes. The webhook is never deleted on stop: the other processes behind it still serve it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from bot.runner import freeze_start_up_objects
from bot.updates import UpdatePath
from config.settings import Settings

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
# How long requests in flight may take to finish once a stop was asked for.
SHUTDOWN_TIMEOUT_SECONDS = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class UpdateGate:
    """Counts the updates being handled and, once closed, turns new ones away with 503.

    aiohttp would run the application's shutdown (closing the bot's session) before waiting
    for requests in flight, so `serve` drains this gate first.
    """

    # What `@web.middleware` marks: a new-style aiohttp middleware (request, handler).
    __middleware_version__ = 1

    def __init__(self, webhook_path: str) -> None:
        self.webhook_path = webhook_path
        self.closed = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != self.webhook_path:
            return await handler(request)
        if self.closed:
            raise web.HTTPServiceUnavailable()
        self._in_flight += 1
        self._idle.clear()
        try:
            return await handler(request)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def close(self) -> None:
        self.closed = True

    async def drain(self) -> None:
        """Wait until every update let in has been handled."""
        await self._idle.wait()

    async def healthz(self, _request: web.Request) -> web.Response:
        if self.closed:
            return web.Response(status=503, text="stopping")
        return web.Response(text="ok")


GATE = web.AppKey("update_gate", UpdateGate)
PATH = web.AppKey("update_path", UpdatePath)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_webhook_app(
    dp: Dispatcher, bot: Bot, settings: Settings, secret: str
) -> web.Application:
    """The aiohttp application: updates at `settings.webhook_path`, a health check at /healthz."""
    gate = UpdateGate(settings.webhook_path)
    path = UpdatePath.for_dispatcher(dp, bot)
    app = web.Application(middlewares=[gate])
    app[GATE] = gate
    app[PATH] = path

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401, text="Unauthorized")
        try:
            payload: dict[str, Any] = await request.json()
            update = Update.model_validate(payload, context={"bot": bot})
        except (ValueError, ValidationError):
            return web.Response(status=400, text="Bad update")
        await path.intake.accept([update], [payload])
        return web.json_response({})

    async def on_startup(_app: web.Application) -> None:
        await dp.emit_startup(bot=bot, **dp.workflow_data)
        await path.start()

    async def on_shutdown(_app: web.Application) -> None:
        await path.stop()
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)

    app.router.add_post(settings.webhook_path, receive)
    app.router.add_get(HEALTH_PATH, gate.healthz)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app


async def serve(dp: Dispatcher, bot: Bot, settings: Settings, *, url: str, secret: str) -> None:
    """Serve the webhook on WEBHOOK_HOST:WEBHOOK_PORT until SIGTERM or SIGINT."""
    app = create_webhook_app(dp, bot, settings, secret)
    gate = app[GATE]
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
    await runner.setup()
    freeze_start_up_objects()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info(
            "Webhook served on %s:%s%s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_path,
        )
        await stop.wait()
        log.info("Stopping: finishing the updates in flight")
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
        gate.close()
        try:
            async with asyncio.timeout(SHUTDOWN_TIMEOUT_SECONDS):
                await gate.drain()
                await app[PATH].stop()
        except TimeoutError:
            log.warning(
                "Updates still in flight after %s s; closing anyway", SHUTDOWN_TIMEOUT_SECONDS
            )
        await runner.cleanup()
