"""Telegram's webhook served by aiohttp, for running several bot processes behind one address.

Each update is handled inside its request (not in the background), so Telegram hears "200" only
after the handler finished and delivers the update again if a process died half-way; on SIGTERM
the server stops accepting connections and lets the requests in flight finish before closing.
The webhook is never deleted on stop: the other processes behind the balancer still serve it.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from config.settings import Settings

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
# How long requests in flight may take to finish once a stop was asked for.
SHUTDOWN_TIMEOUT_SECONDS = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def _healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_webhook_app(
    dp: Dispatcher, bot: Bot, settings: Settings, secret: str
) -> web.Application:
    """The aiohttp application: updates at `settings.webhook_path`, a health check at /healthz."""
    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=settings.webhook_path)
    app.router.add_get(HEALTH_PATH, _healthz)
    setup_application(app, dp, bot=bot)
    return app


async def serve(dp: Dispatcher, bot: Bot, settings: Settings, *, url: str, secret: str) -> None:
    """Serve the webhook on WEBHOOK_HOST:WEBHOOK_PORT until SIGTERM or SIGINT."""
    runner = web.AppRunner(
        create_webhook_app(dp, bot, settings, secret),
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
    )
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
        await runner.cleanup()
