"""The delivery outbox against Telegram's limits: `python -m bench.outbox [--quick] [--runs A,B,C]`.

A local Bot API server (bench.botapi_limits) enforces 30 messages a second overall and one a
second per chat, answering 429 beyond that, and records every message it accepts. Against it:

A. the outbox sender (`OutboxSender`, LocalRateLimiter) delivers one broadcast to
   N recipients (default 10,000) from a fresh SQLite file;
B. the same, with the sender in a subprocess that is SIGKILLed when about half has arrived; a
   new subprocess runs `recover()` and finishes the job (the restart is counted in the time);
C. the baseline: a plain loop of `send_message` + `sleep(1/30)`, no outbox; a 429 loses that
   message (no retry), as a naive loop would.

Each run reports its time, rate, 429s, duplicates (a chat that got the message twice) and
losses (a recipient that never got it). Rows left UNKNOWN by the kill are counted as
delivered when the server did receive their chat, as lost otherwise. The table goes to stdout
and bench/results/outbox.md. Everything else lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from pydantic import SecretStr
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import bot.delivery.sender as sender_module
from bench.botapi_limits import LimitedBotApi
from bot.app import create_bot, create_outbox_limiter
from bot.delivery.outbox import Recipient, enqueue_broadcast
from bot.delivery.sender import OutboxSender
from config.settings import Settings
from storage.db import create_engine, create_session_pool
from storage.models import (
    Base,
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Municipality,
    Person,
    PersonStatus,
    Region,
    School,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_FILE = REPO_ROOT / "bench" / "results" / "outbox.md"
FAKE_TOKEN = "123456:" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"
FIRST_CHAT_ID = 700_000_000
TEXT = "Уважаемые коллеги! Напоминаем о сетевом семинаре наставников в четверг в 15:00."
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
ALL_RUNS = ("A", "B", "C")

log = logging.getLogger("bench.outbox")


@dataclass
class RunResult:
    name: str
    seconds: float
    accepted: int
    limit: float
    too_many_requests: int
    duplicates: int
    lost: int
    unknown: int = 0
    unknown_arrived: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def fraction(self) -> float:
        return self.rate / self.limit


# --- setup ------------------------------------------------------------------------------------
def make_settings(db_path: Path, api_url: str, rate: float) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=SecretStr(FAKE_TOKEN),
        database_url=f"sqlite+aiosqlite:///{db_path}",
        redis_url=None,
        telegram_api_url=api_url,
        outbox_rate_per_second=rate,
        reply_headroom_per_second=0,  # the outbox alone: no replies to leave room for
        outbox_chat_interval_seconds=1.0,
        quiet_hours_start=clock_time(0, 0),
        quiet_hours_end=clock_time(0, 0),
    )


def open_db(settings: Settings) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    return engine, create_session_pool(engine)


async def prepare(settings: Settings, recipients: int) -> set[int]:
    """A fresh database with one broadcast queued for `recipients` people; their chat ids."""
    engine, pool = open_db(settings)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with pool.begin() as session:
        region = Region(name="Ставропольский край")
        session.add(region)
        await session.flush()
        municipality = Municipality(region_id=region.id, name="Город Ставрополь")
        session.add(municipality)
        await session.flush()
        school = School(municipality_id=municipality.id, name="МБОУ СОШ № 1")
        session.add(school)
        await session.flush()
        await session.execute(
            insert(Person),
            [
                {
                    "telegram_id": FIRST_CHAT_ID + index,
                    "full_name": f"Педагог {index}",
                    "municipality_id": municipality.id,
                    "school_id": school.id,
                    "locale": "ru",
                    "status": PersonStatus.ACTIVE,
                }
                for index in range(recipients)
            ],
        )
        people = (await session.execute(select(Person.id, Person.telegram_id))).all()
        broadcast = Broadcast(
            municipality_id=municipality.id,
            region_id=region.id,
            text=TEXT,
            recipients=recipients,
            status=BroadcastStatus.SENDING,
        )
        session.add(broadcast)
        await session.flush()
        await enqueue_broadcast(
            session,
            settings,
            broadcast,
            [Recipient(pid, chat, settings.timezone) for pid, chat in people if chat is not None],
        )
    await engine.dispose()
    return {chat for _, chat in people if chat is not None}


async def unfinished_rows(pool: async_sessionmaker[AsyncSession]) -> int:
    async with pool() as session:
        count = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status.in_(UNFINISHED))
        )
    return int(count or 0)


async def statuses_and_unknown(settings: Settings) -> tuple[dict[str, int], list[int]]:
    engine, pool = open_db(settings)
    async with pool() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        statuses = {str(status): int(count) for status, count in rows.all()}
        unknown = list(
            (
                await session.scalars(
                    select(Delivery.chat_id).where(Delivery.status == DeliveryStatus.UNKNOWN)
                )
            ).all()
        )
    await engine.dispose()
    return statuses, unknown


def outbox_result(
    name: str,
    seconds: float,
    server: LimitedBotApi,
    expected: set[int],
    limit: float,
    statuses: dict[str, int],
    unknown_chats: list[int],
    note: str = "",
) -> RunResult:
    received = server.received_chats()
    return RunResult(
        name=name,
        seconds=seconds,
        accepted=len(server.accepted),
        limit=limit,
        too_many_requests=server.too_many_requests,
        duplicates=server.duplicates(),
        lost=len(server.missing(expected)),
        unknown=len(unknown_chats),
        unknown_arrived=sum(1 for chat in unknown_chats if received[chat]),
        statuses=statuses,
        note=note,
    )


# --- run A: the outbox sender in this process ------------------------------------------------
async def run_outbox(
    server: LimitedBotApi, workdir: Path, recipients: int, limit: float, pace: float
) -> RunResult:
    settings = make_settings(workdir / "a.sqlite3", server.url, pace)
    expected = await prepare(settings, recipients)
    engine, pool = open_db(settings)
    bot = create_bot(settings)
    sender = OutboxSender(bot, pool, settings, create_outbox_limiter(settings, None))
    deadline = time.monotonic() + _time_budget(recipients, limit)
    started = time.monotonic()
    task = asyncio.create_task(sender.run())
    while time.monotonic() < deadline and not task.done():
        if not await unfinished_rows(pool):
            break
        await asyncio.sleep(0.1)
    seconds = time.monotonic() - started
    sender.stop()
    await task
    await bot.session.close()
    await engine.dispose()
    statuses, unknown = await statuses_and_unknown(settings)
    return outbox_result("A. outbox sender", seconds, server, expected, limit, statuses, unknown)


# --- run B: the sender in a subprocess, killed half-way ------------------------------------
async def run_killed_outbox(
    server: LimitedBotApi,
    workdir: Path,
    recipients: int,
    limit: float,
    pace: float,
    lease_seconds: float | None = None,
) -> RunResult:
    db_path = workdir / "b.sqlite3"
    settings = make_settings(db_path, server.url, pace)
    expected = await prepare(settings, recipients)
    command = [sys.executable, "-m", "bench.outbox", "--worker", str(db_path), server.url]
    command += ["--pace", str(pace)]
    if lease_seconds is not None:
        command += ["--lease-seconds", str(lease_seconds)]
    deadline = time.monotonic() + _time_budget(recipients, limit)
    started = time.monotonic()
    first = await asyncio.create_subprocess_exec(*command, cwd=REPO_ROOT)
    half = recipients // 2
    killed_after = 0

    def kill_at_half(accepted: int) -> None:
        # Inside the server, before the answer: this message arrives, its sender never knows.
        nonlocal killed_after
        if accepted >= half and not killed_after and first.returncode is None:
            killed_after = accepted
            first.send_signal(signal.SIGKILL)

    server.on_accept = kill_at_half
    await _wait_or_kill(first, deadline)
    server.on_accept = None
    restarted = time.monotonic()
    second = await asyncio.create_subprocess_exec(*command, cwd=REPO_ROOT)
    await _wait_or_kill(second, deadline)
    finished = time.monotonic()
    statuses, unknown = await statuses_and_unknown(settings)
    note = (
        f"killed after {killed_after} accepted; the restarted process took "
        f"{finished - restarted:.0f} s"
    )
    return outbox_result(
        "B. outbox, killed and restarted",
        finished - started,
        server,
        expected,
        limit,
        statuses,
        unknown,
        note,
    )


async def _wait_or_kill(process: asyncio.subprocess.Process, deadline: float) -> None:
    try:
        await asyncio.wait_for(process.wait(), max(deadline - time.monotonic(), 1.0))
    except TimeoutError:
        process.kill()
        await process.wait()


async def worker(db_path: Path, api_url: str, rate: float, lease_seconds: float | None) -> None:
    """The subprocess of run B: recover, then send until no row is left pending or sending."""
    if lease_seconds is not None:
        sender_module.LEASE = timedelta(seconds=lease_seconds)
    settings = make_settings(db_path, api_url, rate)
    engine, pool = open_db(settings)
    bot = create_bot(settings)
    sender = OutboxSender(bot, pool, settings, create_outbox_limiter(settings, None))
    await sender.recover()
    while True:
        if await sender.run_once():
            continue
        if not await unfinished_rows(pool):
            break
        # Rows claimed or in flight when the previous process died wait for their lease.
        await asyncio.sleep(0.5)
        await sender.recover()
    await bot.session.close()
    await engine.dispose()


# --- run C: the naive loop ------------------------------------------------------------------
async def run_plain_loop(
    server: LimitedBotApi, workdir: Path, recipients: int, limit: float
) -> RunResult:
    settings = make_settings(workdir / "c.sqlite3", server.url, limit)
    chats = [FIRST_CHAT_ID + index for index in range(recipients)]
    bot = create_bot(settings)
    started = time.monotonic()
    failed = 0
    for chat in chats:
        try:
            await bot.send_message(chat, TEXT)
        except TelegramRetryAfter:
            failed += 1  # no retry: this recipient never gets the message
        except TelegramAPIError:
            failed += 1
        await asyncio.sleep(1 / limit)
    seconds = time.monotonic() - started
    await bot.session.close()
    return RunResult(
        name="C. plain loop + sleep(1/30)",
        seconds=seconds,
        accepted=len(server.accepted),
        limit=limit,
        too_many_requests=server.too_many_requests,
        duplicates=server.duplicates(),
        lost=len(server.missing(set(chats))),
        note=f"{failed} sends failed and were not retried",
    )


# --- the whole benchmark -------------------------------------------------------------------
async def benchmark(
    recipients: int,
    runs: Sequence[str] = ALL_RUNS,
    *,
    limit: int = 30,
    pace: float | None = None,
    lease_seconds: float | None = None,
    latency_seconds: float = 0.0,
) -> list[RunResult]:
    pace = pace or limit
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        workdir = Path(tmp)
        for name in runs:
            # A fresh server per run: its counters are that run's figures.
            server = LimitedBotApi(overall_per_second=limit, latency_seconds=latency_seconds)
            await server.start()
            try:
                if name == "A":
                    result = await run_outbox(server, workdir, recipients, limit, pace)
                elif name == "B":
                    result = await run_killed_outbox(
                        server, workdir, recipients, limit, pace, lease_seconds
                    )
                else:
                    result = await run_plain_loop(server, workdir, recipients, limit)
            finally:
                await server.stop()
            print(f"{result.name}: {_row(result)}", file=sys.stderr, flush=True)
            results.append(result)
    return results


def _time_budget(recipients: int, limit: float) -> float:
    """Generous: three times the ideal duration, plus the sender's lease after a crash."""
    return 3 * recipients / limit + sender_module.LEASE.total_seconds() + 60


def _row(result: RunResult) -> str:
    unknown = f"{result.unknown} ({result.unknown_arrived} arrived)" if result.unknown else "0"
    return (
        f"| {result.name} | {result.seconds:.1f} | {result.rate:.2f} | {result.fraction:.3f} "
        f"| {result.too_many_requests} | {result.duplicates} | {result.lost} | {unknown} |"
    )


def markdown(results: Sequence[RunResult], recipients: int, limit: int, pace: float) -> str:
    lines = [
        f"Outbox benchmark: {recipients} recipients, limit {limit} msg/s overall and 1 msg/s "
        "per chat (local Bot API on 127.0.0.1 answering 429 beyond it), SQLite, "
        f"sender paced at {pace:g} msg/s.",
        "",
        "| Run | Seconds | Msgs/s | Of limit | 429s | Duplicates | Losses | Unknown |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(_row(result) for result in results),
        "",
    ]
    for result in results:
        details = ", ".join(
            f"{status} {count}" for status, count in sorted(result.statuses.items())
        )
        parts = [part for part in (details and f"rows: {details}", result.note) if part]
        if parts:
            lines.append(f"- {result.name}: {'; '.join(parts)}.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 recipients")
    parser.add_argument("--runs", default="A,B,C", help="any of A,B,C, comma-separated")
    parser.add_argument("--rate", type=int, default=30, help="the server's limit, msg/s overall")
    parser.add_argument(
        "--pace", type=float, default=None, help="the sender's OUTBOX_RATE_PER_SECOND (= --rate)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="server answer delay")
    parser.add_argument("--lease-seconds", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=2, metavar=("DBPATH", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if args.worker:
        db_path, url = args.worker
        asyncio.run(worker(Path(db_path), url, args.pace or args.rate, args.lease_seconds))
        return
    recipients = 1_000 if args.quick else args.recipients
    runs = [name.strip().upper() for name in args.runs.split(",") if name.strip()]
    unknown_runs = set(runs) - set(ALL_RUNS)
    if unknown_runs:
        parser.error(f"unknown runs: {', '.join(sorted(unknown_runs))}")
    limit = args.rate
    results = asyncio.run(
        benchmark(
            recipients,
            runs,
            limit=limit,
            pace=args.pace,
            lease_seconds=args.lease_seconds,
            latency_seconds=args.latency_ms / 1000,
        )
    )
    table = markdown(results, recipients, limit, args.pace or limit)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
