"""The real entry point, `python -m bot`, run as a subprocess against a local Bot API stub."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.botapi_stub import BotApiStub, RecordedCall, free_port

# Its own SQLite file whatever DATABASE_URL says: run once, in the SQLite suite.
pytestmark = pytest.mark.database_independent

REPO_ROOT = Path(__file__).resolve().parent.parent
FAKE_TOKEN = "123456:AAE-fake-token-for-the-local-stub-0000"
ANNA = 700_001
# Generous: a child process imports the whole bot, which takes a few seconds on a quiet machine
# and many more while CI runs the two suites side by side. These are waits, not timings: each
# returns as soon as what it waits for happens.
START_SECONDS = 90
STOP_SECONDS = 20
# Settings the outer environment may carry that must not leak into the child.
OUTER_SETTINGS = ("BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "TELEGRAM_API_URL", "TIMEZONE")


def child_env(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in OUTER_SETTINGS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(settings)
    return env


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    server = BotApiStub()
    await server.start()
    yield server
    await server.stop()


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append((int(entry.name), (entry / "cmdline").read_bytes().decode()))
    return found


def _consent_to_anna(call: RecordedCall) -> bool:
    return (
        call.method == "sendMessage"
        and int(call.params.get("chat_id", 0)) == ANNA
        and "персональных данных" in str(call.params.get("text", ""))
    )


async def test_run_answers_start_and_stops_cleanly_on_sigterm(
    stub: BotApiStub, tmp_path: Path
) -> None:
    database = tmp_path / "x.sqlite3"
    stub.queue_text(ANNA, "/start")  # update id 1
    process = await _start_bot(tmp_path, stub, database)
    try:
        try:
            await stub.wait_for(_consent_to_anna, within=START_SECONDS)
        except TimeoutError:
            process.kill()
            _, stderr = await process.communicate()
            pytest.fail(f"no consent message; calls={stub.calls}\n{stderr.decode()}")
        # Slow jobs (roster, history, exports) run in a child process of their own.
        jobs = [pid for pid, args in _children(process.pid) if "jobs" in args]
        assert len(jobs) == 1, _children(process.pid)
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_SECONDS):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert stub.calls_of("deleteWebhook"), "polling starts by removing any webhook"
    # The engine was disposed: SQLite folded its write-ahead log back into the database.
    wal = database.with_name(database.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # SIGTERM came while the /start was still being handled: it was finished and committed.
    with contextlib.closing(sqlite3.connect(database)) as connection:
        handled = connection.execute(
            "SELECT update_id FROM inbox_updates WHERE status = 'done'"
        ).fetchall()
    assert handled == [(1,)]


def _start_bot(tmp_path: Path, stub: BotApiStub, database: Path) -> Any:
    """`python -m bot run --migrate` against the stub, on this SQLite file."""
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--migrate",
        cwd=tmp_path,
        env=child_env(
            BOT_TOKEN=FAKE_TOKEN,
            TELEGRAM_API_URL=stub.url,
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _inbox(database: Path) -> list[tuple[int, str, int]]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return connection.execute(
            "SELECT update_id, status, attempts FROM inbox_updates ORDER BY update_id"
        ).fetchall()


async def test_kill_9_mid_update_runs_it_again_once_after_restart(
    stub: BotApiStub, tmp_path: Path
) -> None:
    database = tmp_path / "x.sqlite3"
    stub.hold_sends()
    stub.queue_text(ANNA, "/start")  # update id 1
    process = await _start_bot(tmp_path, stub, database)
    try:
        # The reply is on its way but not answered: the update was stored, not finished.
        await stub.wait_for(lambda call: call.method == "held:sendMessage", START_SECONDS)
        process.kill()
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert _inbox(database) == [(1, "pending", 0)]

    stub.release_sends()
    restarted = await _start_bot(tmp_path, stub, database)
    try:
        await stub.wait_for(_consent_to_anna, START_SECONDS)
        await asyncio.sleep(0.5)  # a second run of the update would answer again by now
        restarted.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_SECONDS):
            _, stderr = await restarted.communicate()
    finally:
        if restarted.returncode is None:
            restarted.kill()
            await restarted.wait()

    assert restarted.returncode == 0, stderr.decode()
    assert len([call for call in stub.calls if _consent_to_anna(call)]) == 1
    assert _inbox(database) == [(1, "done", 1)]


async def test_a_jobs_process_that_dies_is_started_again(stub: BotApiStub, tmp_path: Path) -> None:
    process = await _start_bot(tmp_path, stub, tmp_path / "x.sqlite3")
    try:
        first = await _jobs_child_of(process.pid, within=START_SECONDS)
        os.kill(first, signal.SIGKILL)
        second = await _jobs_child_of(process.pid, within=START_SECONDS, other_than=first)
        assert second != first
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_SECONDS * 2):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert "starting it again" in stderr.decode()


async def _jobs_child_of(pid: int, *, within: float, other_than: int | None = None) -> int:
    async with asyncio.timeout(within):
        while True:
            for child, args in _children(pid):
                if "jobs" in args and child != other_than:
                    return child
            await asyncio.sleep(0.2)


async def test_webhook_serves_updates_and_stops_cleanly_on_sigterm(
    stub: BotApiStub, tmp_path: Path
) -> None:
    port, secret = free_port(), "entrypoint-secret-0123456789"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "webhook",
        "--migrate",
        cwd=tmp_path,
        env=child_env(
            BOT_TOKEN=FAKE_TOKEN,
            TELEGRAM_API_URL=stub.url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}",
            WEBHOOK_BASE_URL="https://bot.example.org",
            WEBHOOK_SECRET=secret,
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": ANNA, "type": "private", "first_name": "Анна"},
            "from": {"id": ANNA, "is_bot": False, "first_name": "Анна", "language_code": "ru"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    try:
        set_webhook = await stub.wait_for(lambda c: c.method == "setWebhook", START_SECONDS)
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            ) as response,
        ):
            assert response.status == 200
        await stub.wait_for(_consent_to_anna, STOP_SECONDS)
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_SECONDS):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert set_webhook.params["url"] == "https://bot.example.org/telegram/webhook"
    assert set_webhook.params["secret_token"] == secret
    assert not stub.calls_of("deleteWebhook"), "other processes still serve the webhook"


async def _run_cli(tmp_path: Path, **settings: str) -> tuple[int, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=child_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", **settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(START_SECONDS):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stderr.decode().splitlines()


async def test_run_without_token_says_where_to_get_one(tmp_path: Path) -> None:
    code, lines = await _run_cli(tmp_path)

    assert code != 0
    assert len(lines) == 1, lines
    assert "BOT_TOKEN" in lines[0]
    assert "@BotFather" in lines[0]
    assert not (tmp_path / "x.sqlite3").exists(), "nothing is touched before the token is known"


async def test_run_with_malformed_token_is_one_line(tmp_path: Path) -> None:
    code, lines = await _run_cli(tmp_path, BOT_TOKEN="not-a-token")

    assert code != 0
    assert len(lines) == 1, lines
    assert "BOT_TOKEN" in lines[0]
    assert "Traceback" not in lines[0]


async def test_unknown_timezone_is_one_line_naming_it(tmp_path: Path) -> None:
    code, lines = await _run_cli(tmp_path, BOT_TOKEN=FAKE_TOKEN, TIMEZONE="Mars/Olympus")

    assert code != 0
    assert len(lines) == 1, lines
    assert "TIMEZONE" in lines[0]
    assert "Mars/Olympus" in lines[0]
