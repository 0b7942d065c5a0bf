"""Surveys and self-checks at region size: `python -m bench.surveys [--quick] [--runs N]`.

The data (bench/surveys_data.py): 25,000 teachers in 600 schools and 33 municipalities, one of
them a big city of 10,000 teachers, three submitted self-checks per teacher with their block
scores and all their answers (3.3 M answer rows), one survey with 10,000 invitees and 10,000
submitted responses. It is built in a child process, so the peak RSS reported is the one of
the process that measures (a bot process pressing the same buttons), not of the generator.

Measured, each a median of N runs (default 5) after a warm-up, with the slowest:
1. the coordinator's «🧭 Самодиагностика: итоги» (`self_check_views.summary`), the heat map
   (`self_check_views.heat_map` + the PNG, as `cb_heat_map` draws it), the .xlsx
   (`self_check_export.collect` + `workbook`) — for a municipality of the usual size and for
   the big city, and for the big city again as at the end of the last program year (entry and
   final check for everyone: the dynamics queries have work to do);
2. the survey's summary (with the answer charts the handler sends) and its .xlsx (the
   background job's work);
3. the self-check runner in-process: teachers send /selfcheck and answer every statement by
   pressing a scale button of the question on screen, through the real dispatcher and update
   path with a Bot API session answering at once; per answer, from handing the update to the
   intake to its commit (p50/p99, answers of many teachers interleaved);
4. the peak RSS of this process after all of it.

On a temporary SQLite file; with DATABASE_URL=postgresql… also in a throw-away database on that
server (created and dropped; REDIS_URL, if set, keeps the dialogs there as in production).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from aiogram import Bot
from aiogram.methods import (
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, Message, Update
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.region import COORDINATOR_TG, RegionSize, Teacher
from bench.surveys_data import (
    ADMIN_TG,
    BuiltData,
    DataSize,
    build,
    scenario_folder,
    self_check_is_shipped,
    use_scenarios,
)
from bench.update_path import (
    TALLY,
    InstantSession,
    Tracker,
    UpdateMaker,
    asyncpg_url,
    background_load,
    bench_settings,
    sqlite_url,
    with_database,
)
from bot.app import create_bot, create_dispatcher
from bot.services import (
    charts,
    self_check_charts,
    self_check_export,
    self_check_views,
    survey_export,
    surveys,
)
from bot.texts import LOCALES_DIR, Texts, plain, t
from bot.updates import UpdatePath
from storage.db import create_engine, create_session_pool
from storage.models import Person

RUNNER_TARGET_MS = 20.0


# --- sizes --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    data: DataSize
    runs: int
    runner_teachers: int


FULL = Scale(
    DataSize(RegionSize(), big_city_teachers=10_000, survey_invitees=10_000),
    runs=5,
    runner_teachers=24,  # × 44 statements ≈ 1,056 answers
)
QUICK = Scale(
    DataSize(RegionSize().scaled(0.2), big_city_teachers=2_000, survey_invitees=2_000),
    runs=3,
    runner_teachers=12,
)


# --- the table ----------------------------------------------------------------------------------
@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| what | value | target | |", "|---|---|---|---|"]
    lines += [f"| {r.measure} | {r.value} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def current_rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


@dataclass
class Timed:
    seconds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def value(self) -> str:
        text = f"{self.median:.2f} s (max {max(self.seconds):.2f})"
        return f"{text}; {self.note}" if self.note else text

    def row(self, measure: str, budget: float) -> Row:
        return Row(measure, self.value(), f"≤ {budget:g} s", max(self.seconds) <= budget)


async def timed(runs: int, press: Callable[[], Awaitable[str]]) -> Timed:
    """`press` once to warm up, then `runs` times; its last answer is the note."""
    await press()
    result = Timed()
    for _ in range(runs):
        started = time.perf_counter()
        result.note = await press()
        result.seconds.append(time.perf_counter() - started)
    return result


# --- building the data in a child process -------------------------------------------------------
def _build_child(url: str, size: DataSize, scenario_dir: str, create_schema: bool) -> BuiltData:
    async def run() -> BuiltData:
        engine = create_engine(url)
        try:
            return await build(engine, size, Path(scenario_dir), create_schema=create_schema)
        finally:
            await engine.dispose()

    data = asyncio.run(run())
    data.peak_rss_mb = peak_rss_mb()
    return data


async def build_in_child(
    url: str, size: DataSize, scenario_dir: Path, *, create_schema: bool = True
) -> tuple[BuiltData, float]:
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with context.Pool(1) as pool:
        pending = pool.apply_async(_build_child, (url, size, str(scenario_dir), create_schema))
        data = await loop.run_in_executor(None, pending.get)
    return data, time.perf_counter() - started


# --- the coordinator's presses ------------------------------------------------------------------
async def coordinator(session: AsyncSession, municipality_id: int) -> Person:
    person = await session.scalar(
        select(Person).where(Person.telegram_id == COORDINATOR_TG + municipality_id)
    )
    assert person is not None, f"no coordinator of municipality {municipality_id}"
    return person


@contextlib.contextmanager
def program_year_shifted(years: int) -> Iterator[None]:
    """The views read «this program year» from `this_year()`: shifted, the last program year
    (with every teacher's entry and final check) is read as if it were the current one."""
    original = self_check_views.this_year

    def shifted(now: Any = None) -> int:
        return original(now) + years

    self_check_views.this_year = shifted
    self_check_export.this_year = shifted  # type: ignore[attr-defined]
    try:
        yield
    finally:
        self_check_views.this_year = original
        self_check_export.this_year = original  # type: ignore[attr-defined]


async def self_check_presses(
    pool: async_sessionmaker[AsyncSession],
    municipality_id: int,
    runs: int,
    peaks: dict[str, float],
    label: str,
) -> dict[str, Timed]:
    """The three presses; `peaks` gets the process's peak RSS after each («label: press»)."""

    async def summary() -> str:
        async with pool() as session:
            me = await coordinator(session, municipality_id)
            found = await self_check_views.summary(session, me, municipality_id, "ru")
        return (
            f"{found.teachers:,} teachers, {found.passed:,} passed, {found.rechecked:,} rechecked"
        )

    async def heat_map() -> str:
        async with pool() as session:
            me = await coordinator(session, municipality_id)
            found = await self_check_views.heat_map(session, me, municipality_id, "ru")
        title = plain(t("self_check.heat_map_title", municipality=found.municipality.name))
        size = 0
        for page in found.pages():  # as the handler sends them: pictures of at most 300 rows
            png = await asyncio.to_thread(
                self_check_charts.heat_map_png,
                title,
                page.schools,
                found.blocks,
                page.values,
                plain(t("self_check.no_checks")),
            )
            size += len(png)
        return f"{len(found.schools)} schools, PNG {size // 1024} KB"

    async def xlsx() -> str:
        async with pool() as session:
            me = await coordinator(session, municipality_id)
            export = await self_check_export.collect(session, me, municipality_id, "ru")
        content = await asyncio.to_thread(self_check_export.workbook, export)
        return f"{len(export.teachers):,} rows, {len(content) // 1024} KB"

    found: dict[str, Timed] = {}
    for name, press in (("summary", summary), ("heat map", heat_map), ("xlsx", xlsx)):
        found[name] = await timed(runs, press)
        peaks[f"{label}: {name}"] = peak_rss_mb()
    return found


async def school_count(pool: async_sessionmaker[AsyncSession], municipality_id: int) -> int:
    from storage.models import School

    async with pool() as session:
        found = await session.scalars(
            select(School.id).where(School.municipality_id == municipality_id)
        )
        return len(found.all())


async def survey_presses(
    pool: async_sessionmaker[AsyncSession], survey_id: int, runs: int
) -> dict[str, Timed]:
    """The survey's «Итоги» (the summary and a chart per question with options, as the
    handler sends them) and its .xlsx (what the background job does: answers + workbook)."""

    async def viewer(session: AsyncSession) -> Person:
        person = await session.scalar(select(Person).where(Person.telegram_id == ADMIN_TG))
        assert person is not None
        return person

    async def summary() -> str:
        async with pool() as session:
            found = await surveys.summary(session, await viewer(session), survey_id, "ru")
        charted = [q for q in found.questions if q.has_chart and q.answered]
        for question in charted:
            await asyncio.to_thread(
                charts.answers_chart,
                question.text,
                [o.label for o in question.options],
                [o.count for o in question.options],
                respondents=question.answered,
            )
        return f"{found.responses:,} responses, {len(charted)} charts"

    async def xlsx() -> str:
        async with pool() as session:
            data = await surveys.export_data(session, await viewer(session), survey_id, "ru")
        content = await asyncio.to_thread(
            survey_export.survey_xlsx, data, survey_export.words(), "ru"
        )
        return f"{len(data.rows):,} rows, {len(content) // 1024} KB"

    return {"summary": await timed(runs, summary), "xlsx": await timed(runs, xlsx)}


# --- the runner through the dispatcher ----------------------------------------------------------
class ButtonSession(InstantSession):
    """Answers at once, like InstantSession, and keeps per chat the newest inline keyboard and
    the id of the message it is under (what a person would press next)."""

    def __init__(self) -> None:
        super().__init__()
        self.keyboards: dict[int, tuple[int, InlineKeyboardMarkup]] = {}

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> TelegramType:
        answer = await super().make_request(bot, method, timeout)
        if isinstance(method, (SendPhoto, SendDocument, EditMessageCaption)):
            answer = cast(
                "TelegramType",
                self._message.model_copy(
                    update={
                        "message_id": getattr(method, "message_id", None)
                        or next(self._message_ids),
                        "chat": self._chat.model_copy(update={"id": int(method.chat_id or 0)}),
                    }
                ),
            )
        elif isinstance(method, SendMediaGroup):
            answer = cast(
                "TelegramType",
                [
                    self._message.model_copy(update={"message_id": next(self._message_ids)})
                    for _ in method.media
                ],
            )
        markup = getattr(method, "reply_markup", None)
        if isinstance(
            method, (SendMessage, EditMessageText, EditMessageReplyMarkup, SendPhoto)
        ) and isinstance(markup, InlineKeyboardMarkup):
            message_id = (
                answer.message_id
                if isinstance(answer, Message)
                else int(getattr(method, "message_id", 0) or 0)
            )
            self.keyboards[int(method.chat_id or 0)] = (message_id, markup)
        return answer

    def button(self, chat_id: int, wanted: Callable[[str, str], bool]) -> tuple[int, str] | None:
        """(message id, callback data) of the first button of the chat's newest keyboard
        for which `wanted(text, data)` holds."""
        found = self.keyboards.get(chat_id)
        if found is None:
            return None
        message_id, markup = found
        for row in markup.inline_keyboard:
            for button in row:
                data = button.callback_data or ""
                if data and wanted(button.text, data):
                    return message_id, data
        return None


def _is_choice(_text: str, data: str) -> bool:
    return "choice:" in data


def _is_submit(_text: str, data: str) -> bool:
    return "submit" in data


@dataclass
class RunnerResult:
    answers_ms: list[float]
    submits_ms: list[float]
    opens_ms: list[float]
    finished: int
    teachers: int
    errors: int


async def run_runner(
    database_url: str,
    teachers: Sequence[Teacher],
    *,
    redis_url: str | None = None,
    seed: int = 3,
) -> RunnerResult:
    """Every teacher sends /selfcheck and answers every statement by the buttons; one update
    at a time, the teachers' answers interleaved."""
    # The anti-flood would hold back a teacher answering faster than 20 presses in 10 s:
    # here every teacher answers every few milliseconds, which no person does.
    settings = bench_settings(database_url).model_copy(
        update={"flood_messages": 1_000_000, "flood_abuse_per_minute": 1_000_000}
    )
    redis = None
    if redis_url:
        from redis.asyncio import Redis

        settings = settings.model_copy(update={"redis_url": redis_url})
        redis = Redis.from_url(redis_url)
    engine = create_engine(settings.database_url)
    api = ButtonSession()
    bot = create_bot(settings, session=api)
    dp = create_dispatcher(settings, create_session_pool(engine), redis=redis)
    tracker = Tracker()
    dp.update.outer_middleware(tracker)
    path = UpdatePath.for_dispatcher(dp, bot)
    maker = UpdateMaker(first_update_id=1)
    rng = random.Random(seed)
    result = RunnerResult([], [], [], 0, len(teachers), 0)
    TALLY.reset()

    async def handle(payload: dict[str, Any], update_id: int) -> float:
        update = Update.model_validate(payload, context={"bot": bot})
        started = time.perf_counter()
        await path.intake.accept([update])
        await path.idle()
        ended = tracker.ended.get(update_id)
        if ended is None:
            result.errors += 1
            return float("nan")
        return (ended - started) * 1000

    try:
        await path.start()
        gc.collect()
        gc.freeze()  # as the bot does after start-up
        for teacher in teachers:
            plan = maker.text("open", teacher.telegram_id, "/selfcheck")
            result.opens_ms.append(await handle(plan.payload, plan.update_id))
        active = list(teachers)
        while active:
            still: list[Teacher] = []
            for teacher in active:
                choice = api.button(teacher.telegram_id, _is_choice)
                if choice is None:
                    submit = api.button(teacher.telegram_id, _is_submit)
                    if submit is not None:
                        plan = callback(maker, teacher.telegram_id, *submit)
                        result.submits_ms.append(await handle(plan.payload, plan.update_id))
                        result.finished += 1
                    continue
                message_id, data = choice
                # A scale point: the buttons of the question on screen, one chosen at random.
                points = [
                    b.callback_data
                    for row in api.keyboards[teacher.telegram_id][1].inline_keyboard
                    for b in row
                    if b.callback_data and "choice:" in b.callback_data
                ]
                plan = callback(maker, teacher.telegram_id, message_id, rng.choice(points) or data)
                result.answers_ms.append(await handle(plan.payload, plan.update_id))
                still.append(teacher)
            active = still
        result.errors += TALLY.errors
        TALLY.report("runner")
    finally:
        gc.unfreeze()
        await path.stop()
        await bot.session.close()
        await engine.dispose()
        if redis is not None:
            await redis.aclose()
    return result


def callback(maker: UpdateMaker, telegram_id: int, message_id: int, data: str) -> Any:
    plan = maker.callback("answer", telegram_id, data)
    plan.payload["callback_query"]["message"]["message_id"] = message_id
    return plan


# --- one database -------------------------------------------------------------------------------
async def measure(
    label: str,
    database_url: str,
    scale: Scale,
    scenario_dir: Path,
    *,
    redis_url: str | None = None,
) -> list[Row]:
    data, build_seconds = await build_in_child(database_url, scale.data, scenario_dir)
    use_scenarios(scenario_dir)
    rows = data_rows(label, data, build_seconds)
    engine = create_engine(database_url)
    pool = create_session_pool(engine)
    runs = scale.runs
    peaks: dict[str, float] = {"start": peak_rss_mb()}
    try:
        typical = await self_check_presses(pool, data.typical, runs, peaks, "usual")
        big = await self_check_presses(pool, data.big_city, runs, peaks, "big city")
        with program_year_shifted(-1):
            year_end = await self_check_presses(pool, data.big_city, runs, peaks, "year end")
        survey = await survey_presses(pool, data.survey_id, runs)
        peaks["surveys"] = peak_rss_mb()
    finally:
        await engine.dispose()
    for name, found, teachers in (
        ("usual municipality", typical, data.typical_teachers),
        ("big city", big, data.big_city_teachers),
    ):
        where = f"{label}, {name} ({teachers:,} teachers)"
        rows.append(found["summary"].row(f"{where}: summary", 1.0))
        rows.append(found["heat map"].row(f"{where}: heat map, query + PNG", 2.0))
        rows.append(found["xlsx"].row(f"{where}: .xlsx, collect + workbook", 5.0))
    where = f"{label}, big city at the end of the year (entry + final for all)"
    rows.append(year_end["summary"].row(f"{where}: summary", 1.0))
    rows.append(year_end["xlsx"].row(f"{where}: .xlsx", 5.0))
    responses = f"{data.rows['survey_responses']:,} responses"
    rows.append(
        survey["summary"].row(f"{label}: survey summary + answer charts ({responses})", 1.0)
    )
    rows.append(survey["xlsx"].row(f"{label}: survey .xlsx, answers + workbook", 5.0))

    chosen = random.Random(5).sample(data.region.teachers, scale.runner_teachers)
    runner = await run_runner(database_url, chosen, redis_url=redis_url)
    peaks["runner"] = peak_rss_mb()
    rows.append(
        Row(
            f"{label}: peak RSS of this process after each step, MB",
            ", ".join(f"{step} {value:.0f}" for step, value in peaks.items()),
        )
    )
    p50, p99 = percentile(runner.answers_ms, 0.5), percentile(runner.answers_ms, 0.99)
    rows.append(
        Row(
            f"{label}: runner, one answer → next question, p50 / p99 / max ms "
            f"(n={len(runner.answers_ms):,}, {runner.teachers} teachers)",
            f"{p50:.1f} / {p99:.1f} / {max(runner.answers_ms, default=0):.1f}",
            f"p99 ≤ {RUNNER_TARGET_MS:g} ms",
            bool(runner.answers_ms) and p99 <= RUNNER_TARGET_MS,
        )
    )
    rows.append(
        Row(
            f"{label}: runner, /selfcheck → first question / «Отправить» → result, p50 ms",
            f"{percentile(runner.opens_ms, 0.5):.0f} / {percentile(runner.submits_ms, 0.5):.0f}",
        )
    )
    rows.append(
        Row(
            f"{label}: runner, checks submitted / updates not handled or errors",
            f"{runner.finished} of {runner.teachers} / {runner.errors}",
            "all / 0",
            runner.finished == runner.teachers and runner.errors == 0,
        )
    )
    return rows


def data_rows(label: str, data: BuiltData, build_seconds: float) -> list[Row]:
    r, s = data.rows, data.seconds
    return [
        Row(
            f"{label}: data built (child process, peak RSS {data.peak_rss_mb:.0f} MB)",
            f"{build_seconds:.0f} s: region {s['region']:.0f} s, self-checks "
            f"{s['self_checks']:.0f} s ({r['responses']:,} checks, {r['section_scores']:,} "
            f"scores, {r['answers']:,} answers), survey {s['survey']:.1f} s "
            f"({r['survey_responses']:,} responses, {r['survey_answers']:,} answers)",
        ),
        Row(
            f"{label}: big city",
            f"{data.big_city_teachers:,} teachers in {data.big_city_schools} schools "
            f"(heat map pictures of at most {self_check_views.HEAT_MAP_ROWS} rows each)",
        ),
    ]


# --- PostgreSQL -----------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def throwaway_postgres(url: str) -> Any:
    name = f"bench_surveys_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(url, name)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


# --- the whole benchmark --------------------------------------------------------------------------
async def benchmark(
    scale: Scale,
    directory: Path,
    *,
    postgres: str | None,
    redis: str | None,
    sqlite: bool = True,
) -> tuple[list[Row], dict[str, float | None]]:
    """The table's rows and the machine's background load per database; `sqlite=False` (with
    `postgres`) measures PostgreSQL alone."""
    # What the process holds once the bot's modules are imported (aiogram's models alone are
    # about 165 MB): the part of the peak the measurements themselves add is above it.
    gc.collect()
    imported = current_rss_mb()
    load: dict[str, float | None] = {}
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with (
        scenario_folder(directory / "scenarios") as scenario_dir,
        texts.context(),
        texts.use_locale("ru"),
    ):
        rows: list[Row] = []
        if sqlite or not postgres:
            load["sqlite"] = await background_load()
            database = sqlite_url(directory / "surveys.sqlite3")
            rows += await measure("SQLite", database, scale, scenario_dir)
        if postgres:
            load["postgresql"] = await background_load()
            async with throwaway_postgres(postgres) as url:
                rows += await measure("PostgreSQL", url, scale, scenario_dir, redis_url=redis)
    peak = peak_rss_mb()
    rows.append(
        Row(
            "peak RSS of the measuring process (RSS with the bot's modules imported, before "
            "any work)",
            f"{peak:.0f} MB ({imported:.0f} MB)",
            "≤ 300 MB",
            peak <= 300,
        )
    )
    return rows, load


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a fifth of the region")
    parser.add_argument("--runs", type=int, help="timed runs per press (default 5, quick 3)")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    if args.runs:
        scale = replace(scale, runs=args.runs)
    postgres = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(TALLY)
    scenario = "shipped" if self_check_is_shipped() else "stand-in (44 statements, 4 blocks)"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-surveys-") as directory:
        rows, load = asyncio.run(
            benchmark(
                scale,
                Path(directory),
                postgres=postgres if postgres.startswith("postgresql") else None,
                redis=os.environ.get("REDIS_URL") or None,
            )
        )
    print()
    print(
        f"Surveys benchmark ({'quick' if args.quick else 'full'}; {os.cpu_count()} CPUs; "
        f"{time.perf_counter() - started:.0f} s; self-check scenario: {scenario})"
    )
    print()
    print(markdown_table(rows))
    print()
    print(
        "CPU busy with other work just before each database: "
        + ", ".join(f"{name} {'?' if v is None else f'{v:.0%}'}" for name, v in load.items())
    )


if __name__ == "__main__":
    main()
