"""The webhook server: POSTs carrying the shared secret are stored and handled, others not."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.methods import DeleteWebhook, SendMessage, SetWebhook, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot, create_dispatcher
from bot.webhook import GATE, HEALTH_PATH, PATH, create_webhook_app, serve
from config.settings import Settings
from storage.models import InboxStatus, InboxUpdate
from tests.botapi_stub import free_port
from tests.factories import make_message, make_user, update_with
from tests.harness import text_of
from tests.recording_session import RecordingSession

SECRET = "webhook-secret-for-tests-0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ANNA = 710_001

WebhookClient = TestClient[web.Request, web.Application]


class HeldSession(RecordingSession):
    """Holds every sendMessage until released: an update still in flight at shutdown."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.release = asyncio.Event()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (the signature of BaseSession)
    ) -> TelegramType:
        if isinstance(method, SendMessage):
            self.sending.set()
            await self.release.wait()
        return await super().make_request(bot, method, timeout)


@pytest.fixture
def api() -> RecordingSession:
    return HeldSession()


def held(api: RecordingSession) -> HeldSession:
    assert isinstance(api, HeldSession)
    return api


@pytest.fixture
async def client(
    settings: Settings,
    session_pool: async_sessionmaker[AsyncSession],
    redis: Redis | None,
    api: RecordingSession,
) -> AsyncIterator[WebhookClient]:
    bot = create_bot(settings, session=api)
    dp = create_dispatcher(settings, session_pool, redis=redis)
    app = create_webhook_app(dp, bot, settings, SECRET)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    await dp.storage.close()


def start_update() -> dict[str, object]:
    update = update_with(message=make_message(make_user(ANNA), "/start"))
    return update.model_dump(mode="json", by_alias=True, exclude_none=True)


def sent_to_anna(api: RecordingSession) -> list[str]:
    return [
        text_of(request)
        for request in api.requests
        if isinstance(request, SendMessage) and request.chat_id == ANNA
    ]


async def test_update_with_the_secret_is_stored_before_the_answer_then_handled(
    client: WebhookClient, settings: Settings, api: RecordingSession, db: AsyncSession
) -> None:
    assert client.app is not None
    response = await client.post(
        settings.webhook_path, json=start_update(), headers={SECRET_HEADER: SECRET}
    )

    assert response.status == 200
    # Telegram heard 200 only once the update was in the inbox (its reply is still held).
    stored = await db.scalar(select(func.count()).select_from(InboxUpdate))
    assert stored == 1
    held(api).release.set()
    await client.app[PATH].idle()
    texts = sent_to_anna(api)
    assert len(texts) == 1
    assert "персональных данных" in texts[0]


async def test_the_same_update_delivered_twice_is_handled_once(
    client: WebhookClient, settings: Settings, api: RecordingSession
) -> None:
    assert client.app is not None
    held(api).release.set()
    update = start_update()
    answers = await asyncio.gather(
        *(
            client.post(settings.webhook_path, json=update, headers={SECRET_HEADER: SECRET})
            for _ in range(2)
        )
    )
    await client.app[PATH].idle()

    assert [answer.status for answer in answers] == [200, 200]
    assert len(sent_to_anna(api)) == 1


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong-secret-0123456789"}])
async def test_update_without_the_secret_is_refused(
    client: WebhookClient,
    settings: Settings,
    api: RecordingSession,
    headers: dict[str, str],
) -> None:
    response = await client.post(settings.webhook_path, json=start_update(), headers=headers)

    assert response.status == 401
    assert api.requests == []


async def test_health_check_answers_ok(client: WebhookClient) -> None:
    response = await client.get(HEALTH_PATH)

    assert response.status == 200
    assert await response.text() == "ok"


async def test_serve_sets_the_webhook_and_stops_on_sigterm_keeping_it(
    settings: Settings,
    session_pool: async_sessionmaker[AsyncSession],
    redis: Redis | None,
    api: RecordingSession,
) -> None:
    settings = settings.model_copy(
        update={"webhook_host": "127.0.0.1", "webhook_port": free_port()}
    )
    bot = create_bot(settings, session=api)
    dp = create_dispatcher(settings, session_pool, redis=redis)
    url = "https://bot.example.org" + settings.webhook_path
    serving = asyncio.create_task(serve(dp, bot, settings, url=url, secret=SECRET))
    held(api).release.set()
    base = f"http://127.0.0.1:{settings.webhook_port}"
    async with aiohttp.ClientSession() as http:
        # The recording session has no event to wait on; serve() is up once it set the webhook.
        async with asyncio.timeout(10):
            while not any(isinstance(r, SetWebhook) for r in api.requests):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        async with http.get(base + HEALTH_PATH) as health:
            assert health.status == 200
        async with http.post(
            base + settings.webhook_path, json=start_update(), headers={SECRET_HEADER: SECRET}
        ) as response:
            assert response.status == 200
        async with asyncio.timeout(10):
            while not sent_to_anna(api):  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    os.kill(os.getpid(), signal.SIGTERM)
    async with asyncio.timeout(10):
        await serving
    await dp.storage.close()

    set_webhook = next(r for r in api.requests if isinstance(r, SetWebhook))
    assert set_webhook.url == url
    assert set_webhook.secret_token == SECRET
    assert set_webhook.drop_pending_updates is False
    assert set_webhook.allowed_updates is not None
    assert {"message", "callback_query"} <= set(set_webhook.allowed_updates)
    assert len(sent_to_anna(api)) == 1
    # Other processes behind the balancer keep serving the webhook.
    assert not any(isinstance(r, DeleteWebhook) for r in api.requests)


async def test_stopping_finishes_updates_in_flight_and_turns_new_ones_away(
    client: WebhookClient, settings: Settings, api: RecordingSession, db: AsyncSession
) -> None:
    session = held(api)
    assert client.app is not None
    gate = client.app[GATE]
    accepted = await client.post(
        settings.webhook_path, json=start_update(), headers={SECRET_HEADER: SECRET}
    )
    async with asyncio.timeout(10):
        await session.sending.wait()

    gate.close()
    late = await client.post(
        settings.webhook_path, json=start_update(), headers={SECRET_HEADER: SECRET}
    )
    health = await client.get(HEALTH_PATH)
    stopping = asyncio.create_task(client.app[PATH].stop())
    await asyncio.sleep(0.05)
    assert not stopping.done(), "the update being handled is finished first"

    session.release.set()
    async with asyncio.timeout(10):
        await stopping

    # Telegram retries a 503 later; the balancer takes this process out of rotation.
    assert late.status == 503
    assert health.status == 503
    assert accepted.status == 200
    assert len(sent_to_anna(api)) == 1
    status = await db.scalar(select(InboxUpdate.status))
    assert status == InboxStatus.DONE
