"""Telegram's webhook served by aiohttp, for running several bot processes behind one address.

Each update is handled inside its request (not in the background), so Telegram hears "200" only
after the handler finished and delivers the update again if a process died half-way. On SIGTERM
the process answers 503 to new updates and to /healthz (Telegram retries, the balancer moves on
to another process), lets the updates in flight finish and commit, and only then closes.
The webhook is never deleted on stop: the other processes behind the balancer still serve it.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from aiohttp.typedefs import Handler

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


def create_webhook_app(
    dp: Dispatcher, bot: Bot, settings: Settings, secret: str
) -> web.Application:
    """The aiohttp application: updates at `settings.webhook_path`, a health check at /healthz."""
    gate = UpdateGate(settings.webhook_path)
    app = web.Application(middlewares=[gate])
    app[GATE] = gate
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=settings.webhook_path)
    app.router.add_get(HEALTH_PATH, gate.healthz)
    setup_application(app, dp, bot=bot)
    return app


async def serve(dp: Dispatcher, bot: Bot, settings: Settings, *, url: str, secret: str) -> None:
    """Serve the webhook on WEBHOOK_HOST:WEBHOOK_PORT until SIGTERM or SIGINT."""
    app = create_webhook_app(dp, bot, settings, secret)
    gate = app[GATE]
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
    await runner.setup()
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
        except TimeoutError:
            log.warning(
                "Updates still in flight after %s s; closing anyway", SHUTDOWN_TIMEOUT_SECONDS
            )
        await runner.cleanup()
