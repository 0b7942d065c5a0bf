"""The update path under load: `python -m bench.update_path [--quick] [--only NAME[,NAME]]`.

Five measurements, each against its own baseline, printed as one table with PASS/MISS:

1. throughput  In-process fake Bot API answering at once, a region-size SQLite database
               (bench.region: 600 schools, 25,000 teachers, 1,000 tutors, 30,000 threads,
               20,000 consultations). A realistic mix from registered people (menu buttons,
               tutor lists, inline buttons, questions relayed to tutors) goes through
               intake → workers → dispatcher, against a bare aiogram Dispatcher (one router
               answering "ok") fed the same updates in batches of 100 with `gather`. Then the
               same mix arrives one update at a time at a steady rate (half the measured
               throughput, at most 100/s) for p50/p99 per kind, intake to handled.
2. polling     A local Bot API stub on 127.0.0.1 answering every call after 100 ms serves
               2,000 updates of 1,000 people through getUpdates; `poll()` + the path run until
               all are handled: updates/s, updates left without a reply, «database is locked»
               and whether each person's replies came in the order they wrote.
3. webhook     With DATABASE_URL (PostgreSQL) and REDIS_URL set: the same 2,000 updates POSTed
               round-robin to one, then two `python -m bot webhook` processes (a throw-away
               database, migrated and seeded): the rate of two over the rate of one.
4. roster      A coordinator presses «Применить» on an uploaded 25,000-row roster; the bot's
               background job applies it while 500 other people press menu buttons: their
               p99, arrival to handled.
5. storm       A broadcast to 5,000 people goes out through the outbox against a stub that
               allows 30 msg/s (429 beyond, bench.botapi_limits) while 200 teachers ask their
               tutors questions through the path: interactive messages lost, 429s seen.

Everything is written to a temporary directory (and, for 3, a temporary PostgreSQL database
and the bot's keys in the given Redis database), removed at the end, also after a failure;
every subprocess is stopped. `--quick` runs smaller counts (about 2 minutes on 2 CPUs).

`--profile DIR` writes cProfile data of each measured phase there and prints the top functions
to stderr (the event loop's thread only: aiosqlite runs SQL in threads of its own), and for 1
the SQL statements and commits per update of each kind. Once each item is set up, gc.freeze()
is called, as the bot does after start-up (`--no-gc-freeze` skips it: full collections then
take ~0.3 s). Timings share the machine with
whatever else runs on it; the line under the table says how busy it was just before each item.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import logging
import os
import pstats
import random
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any, cast

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    CopyMessage,
    EditMessageText,
    GetMe,
    GetUpdates,
    Response,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, MessageId, TelegramObject, Update, User
from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web
from pydantic import SecretStr
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bench.botapi_limits import Accepted, LimitedBotApi
from bench.region import COORDINATOR_TG, RegionPeople, RegionSize, Teacher, Tutor, build_region
from bot.app import create_bot, create_dispatcher
from bot.callbacks import CommunityCb, ConsultationCb, QuestionCb, RosterCb
from bot.texts import LOCALES_DIR, Texts, t
from bot.updates import UpdatePath
from bot.updates.polling import poll
from config.settings import Settings
from storage.db import create_engine, create_session_pool, current_session, has_writes
from storage.migrate import head_revision
from storage.models import (
    BackgroundJob,
    Broadcast,
    BroadcastStatus,
    InboxUpdate,
    Municipality,
    Person,
    PersonRole,
    Role,
    RosterUpload,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
FAKE_TOKEN = "123456:" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"
BOT_ID = 123456
WEBHOOK_SECRET = "bench_update_path_secret_0123"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BROADCAST_TEXT = "Уважаемые коллеги! Напоминаем о сетевом семинаре наставников в четверг."
BATCH = 100  # what one getUpdates brings at most
ITEMS = ("throughput", "polling", "webhook", "roster", "storm")

# Main-menu buttons by the kind of update they make in the mix.
TEACHER_BUTTONS = (
    "menu.my_tutor",
    "menu.my_consultations",
    "menu.communities",
    "menu.profile",
    "menu.help",
)
TUTOR_LISTS = ("menu.tutor_questions", "menu.my_teachers")

log = logging.getLogger("bench.update_path")


# --- sizes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    region: RegionSize
    warmup: int
    throughput_updates: int
    latency_updates: int
    latency_rate: float
    polling_people: int
    webhook_people: int
    roster_rows: int
    roster_others: int
    others_rate: float
    broadcast: int
    askers: int
    askers_over_seconds: float


FULL = Scale(
    region=RegionSize(),
    warmup=400,
    throughput_updates=5_000,
    latency_updates=2_000,
    latency_rate=100.0,
    polling_people=1_000,
    webhook_people=1_000,
    roster_rows=25_000,
    roster_others=500,
    others_rate=100.0,
    broadcast=5_000,
    askers=200,
    askers_over_seconds=40.0,
)
QUICK = Scale(
    region=RegionSize(),
    warmup=200,
    throughput_updates=1_500,
    latency_updates=600,
    latency_rate=100.0,
    polling_people=300,
    webhook_people=300,
    roster_rows=5_000,
    roster_others=150,
    others_rate=60.0,
    broadcast=1_000,
    askers=50,
    askers_over_seconds=10.0,
)


# --- the table ------------------------------------------------------------------------------
@dataclass
class Row:
    item: str
    measure: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")


def print_table(rows: Sequence[Row]) -> None:
    headers = ("#", "measure", "value", "target", "")
    cells = [(r.item, r.measure, r.value, r.target, r.verdict) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
    print(line)


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


# --- logs: count what the bot complains about ---------------------------------------------------
class LogTally(logging.Handler):
    """Warnings and errors of the bench process, «database is locked» counted separately."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.locked = 0
        self.errors = 0
        self.warnings = 0
        self.samples: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        detail = message
        if record.exc_info and record.exc_info[1] is not None:
            detail += " " + "".join(traceback.format_exception_only(record.exc_info[1]))
        if "database is locked" in detail:
            self.locked += 1
        if record.levelno >= logging.ERROR:
            self.errors += 1
        else:
            self.warnings += 1
        self.samples[f"{record.levelname} {record.name}: {detail.strip()[:160]}"] += 1

    def reset(self) -> None:
        self.locked = self.errors = self.warnings = 0
        self.samples.clear()

    def report(self, label: str) -> None:
        for sample, count in self.samples.most_common(5):
            print(f"  [{label}] {count} × {sample}", file=sys.stderr)


TALLY = LogTally()


# --- profiling ----------------------------------------------------------------------------------
class Options:
    """--profile DIR (cProfile of each measured phase) and --gc-freeze."""

    def __init__(self, directory: Path | None, gc_freeze: bool = False) -> None:
        self.directory = directory
        self.gc_freeze = gc_freeze

    def set_up(self) -> None:
        """Called once an item's data and bot are ready: with --gc-freeze, everything alive
        now is left out of later collections (what a bot freezing its start-up heap gets)."""
        if self.gc_freeze:
            gc.collect()
            gc.freeze()

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if self.directory is None:
            yield
            return
        profile = cProfile.Profile()
        profile.enable()
        try:
            yield
        finally:
            profile.disable()
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"{name}.prof"
            profile.dump_stats(target)
            print(f"\n=== profile of {name} ({target}) ===", file=sys.stderr)
            stats = pstats.Stats(profile, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(40)


# --- SQL census (with --profile) ------------------------------------------------------------------
class StatementLog:
    """SQL statements and commits by the kind of update they were made for; statements of the
    update path itself (the inbox, the final commit) by where they came from."""

    def __init__(self, kinds: dict[int, str]) -> None:
        self.kinds = kinds
        self.statements: Counter[str] = Counter()
        self.commits: Counter[str] = Counter()
        self.texts: Counter[tuple[str, str]] = Counter()
        self._unclaimed: dict[int, list[str | None]] = {}

    def attach(self, engine: AsyncEngine) -> None:
        sa_event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        sa_event.listen(engine.sync_engine, "commit", self._commit)

    def detach(self, engine: AsyncEngine) -> None:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", self._statement)
        sa_event.remove(engine.sync_engine, "commit", self._commit)

    def _where(self) -> str:
        update_id = CURRENT_UPDATE.get()
        if update_id is not None:
            return self.kinds.get(update_id, "other update")
        if current_session.get() is not None:
            # Before the dispatcher (a preload in the update's session: claimed for the
            # update when the dispatcher starts) or after it (the final mark and commit).
            return "path: update's session"
        return "path: intake and marks"

    def _count(self, where: str, statement: str | None) -> None:
        if statement is None:
            self.commits[where] += 1
        else:
            self.statements[where] += 1
            self.texts[(where, statement[:110])] += 1

    def _record(self, statement: str | None) -> None:
        where = self._where()
        session = current_session.get()
        if where == "path: update's session" and session is not None:
            self._unclaimed.setdefault(id(session), []).append(statement)
            return
        self._count(where, statement)

    def claim(self, update_id: int) -> None:
        """The dispatcher starts on `update_id`: what its session did so far was for it."""
        session = current_session.get()
        if session is None:
            return
        where = self.kinds.get(update_id, "other update")
        for statement in self._unclaimed.pop(id(session), []):
            self._count(where, statement)

    def _statement(self, *args: Any) -> None:
        self._record(" ".join(str(args[2]).split()))

    def _commit(self, _connection: Any) -> None:
        self._record(None)

    def settle(self) -> None:
        """What no dispatcher claimed came after the dispatcher (the inbox mark, the commit)."""
        for statements in self._unclaimed.values():
            for statement in statements:
                self._count("path: after the dispatcher", statement)
        self._unclaimed.clear()

    def report(self, counts: Counter[str]) -> None:
        self.settle()
        print("\n=== SQL per update, by kind (statements, commits) ===", file=sys.stderr)
        for where, total in sorted(self.statements.items()):
            n = counts.get(where, 0)
            per = f"{total / n:.1f} / {self.commits[where] / n:.1f} per update" if n else ""
            print(
                f"  {where:<28} {total:>7} statements {self.commits[where]:>6} commits  {per}",
                file=sys.stderr,
            )
        print("=== statements per update of each kind (most frequent first) ===", file=sys.stderr)
        for kind, n in sorted(counts.items()):
            print(f"  {kind} ({n} updates):", file=sys.stderr)
            mine = [(c, text) for (where, text), c in self.texts.items() if where == kind]
            for count, statement in sorted(mine, reverse=True)[:8]:
                print(f"    {count / n:5.2f}  {statement}", file=sys.stderr)
        for where in ("path: after the dispatcher", "path: intake and marks"):
            mine = [(c, text) for (w, text), c in self.texts.items() if w == where]
            print(f"  {where} (in all):", file=sys.stderr)
            for count, statement in sorted(mine, reverse=True)[:4]:
                print(f"    {count:5d}  {statement}", file=sys.stderr)


def attribute_updates(dp: Dispatcher, census: StatementLog | None = None) -> None:
    """Everything the dispatcher does for an update (its middlewares too) runs with the
    update's id in CURRENT_UPDATE (the bench's own instance attribute over `feed_update`)."""
    feed = dp.feed_update

    async def feed_update(bot: Bot, update: Update, **kwargs: Any) -> Any:
        if census is not None:
            census.claim(update.update_id)
        token = CURRENT_UPDATE.set(update.update_id)
        try:
            return await feed(bot, update, **kwargs)
        finally:
            CURRENT_UPDATE.reset(token)

    dp.feed_update = feed_update  # type: ignore[method-assign]


# --- a Bot API session answering in-process -------------------------------------------------------
BOT_USER = User(id=BOT_ID, is_bot=True, first_name="Наставник", username="nastavnik_bench_bot")


class InstantSession(BaseSession):
    """Answers like Telegram without a network; counts calls instead of recording them."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self._message_ids = itertools.count(10_000_000)
        # Answers are shallow copies of prototypes: building a Message (80 fields) per call
        # would cost more than the bare baseline spends on a whole update.
        self._chat = Chat.model_construct(id=0, type="private")
        self._message = Message.model_construct(
            message_id=0, date=datetime.now(UTC), chat=self._chat
        )
        self._message_id = MessageId.model_construct(message_id=0)

    async def close(self) -> None:
        return None

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> TelegramType:
        if self.latency:
            await asyncio.sleep(self.latency)
        self.calls[type(method).__name__] += 1
        return cast("TelegramType", self._answer(method))

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, (SendMessage, EditMessageText, SendDocument)):
            chat_id = int(getattr(method, "chat_id", None) or 0)
            return self._message.model_copy(
                update={
                    "message_id": getattr(method, "message_id", None) or next(self._message_ids),
                    "chat": self._chat.model_copy(update={"id": chat_id}),
                    "text": getattr(method, "text", None),
                }
            )
        if isinstance(method, CopyMessage):
            return self._message_id.model_copy(update={"message_id": next(self._message_ids)})
        if isinstance(method, GetMe):
            return BOT_USER
        return True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - BaseSession's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        for _ in ():
            yield b""
        raise NotImplementedError(url)


# --- which update is being handled: the dispatcher's view -----------------------------------------
CURRENT_UPDATE: ContextVar[int | None] = ContextVar("bench_current_update", default=None)


class Tracker(BaseMiddleware):
    """Outer middleware on `dp.update` added by the benchmark: the order the dispatcher saw
    updates in, and when each was handled (for an update that wrote: when its final commit
    went through, since the update path commits after the dispatcher returns)."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.ended: dict[int, float] = {}
        self._wanted: set[int] = set()
        self._all_ended = asyncio.Event()

    def awaiting(self, update_ids: set[int]) -> asyncio.Event:
        """An event set once every one of `update_ids` has been handled."""
        self._wanted = set(update_ids) - self.ended.keys()
        self._all_ended = asyncio.Event()
        if not self._wanted:
            self._all_ended.set()
        return self._all_ended

    def _mark(self, update_id: int) -> None:
        self.ended[update_id] = time.perf_counter()
        if self._wanted:
            self._wanted.discard(update_id)
            if not self._wanted:
                self._all_ended.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_id = cast("Update", event).update_id
        self.seen.append(update_id)
        token = CURRENT_UPDATE.set(update_id)
        try:
            return await handler(event, data)
        finally:
            CURRENT_UPDATE.reset(token)
            self._end(update_id)

    def _end(self, update_id: int) -> None:
        session = current_session.get()
        if session is not None and has_writes(session):

            def committed(_session: Session) -> None:
                self._mark(update_id)

            sa_event.listen(session.sync_session, "after_commit", committed, once=True)
        else:
            self._mark(update_id)


class ReplyLog(BaseRequestMiddleware):
    """Bot API calls that succeeded, by the update they were made for."""

    def __init__(self) -> None:
        self.by_update: Counter[int] = Counter()
        self.order: list[int] = []

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        update_id = CURRENT_UPDATE.get()
        if update_id is not None and not isinstance(method, GetUpdates):
            self.by_update[update_id] += 1
            self.order.append(update_id)
        return response


# --- updates --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    """Where the reply to an update shows up at a stub: a message to `chat` whose buttons start
    with `key` ("" = no buttons), or the copy of a message (`key` = "from_chat:message_id")."""

    chat: int
    method: str
    key: str


@dataclass
class Planned:
    kind: str
    person: int  # the sender's Telegram id
    update_id: int
    payload: dict[str, Any]
    expect: Expect | None = None


class UpdateMaker:
    def __init__(self, first_update_id: int) -> None:
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(first_update_id * 10 + 1)
        self._callback_ids = itertools.count(1)

    @staticmethod
    def _user(telegram_id: int) -> dict[str, Any]:
        return {"id": telegram_id, "is_bot": False, "first_name": "Анна", "language_code": "ru"}

    def text(self, kind: str, telegram_id: int, words: str) -> Planned:
        update_id = next(self._update_ids)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": telegram_id, "type": "private", "first_name": "Анна"},
            "from": self._user(telegram_id),
            "text": words,
        }
        return Planned(kind, telegram_id, update_id, {"update_id": update_id, "message": message})

    def callback(self, kind: str, telegram_id: int, data: str) -> Planned:
        update_id = next(self._update_ids)
        query = {
            "id": f"{telegram_id}-{next(self._callback_ids)}",
            "from": self._user(telegram_id),
            "chat_instance": "bench",
            "data": data,
            "message": {
                "message_id": 7,
                "date": int(time.time()),
                "chat": {"id": telegram_id, "type": "private", "first_name": "Анна"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Наставник"},
                "text": "…",
            },
        }
        return Planned(
            kind, telegram_id, update_id, {"update_id": update_id, "callback_query": query}
        )


def census_label(plan: Planned) -> str:
    """The kind, and for an inline button which one ("callback qu:open"): budgets differ."""
    query = plan.payload.get("callback_query")
    if query is None:
        return plan.kind
    return f"{plan.kind} {':'.join(str(query['data']).split(':')[:2])}"


def message_id_of(plan: Planned) -> int:
    return int(plan.payload["message"]["message_id"])


def labels() -> dict[str, str]:
    """The Russian texts of the menu buttons (the people of the region use Russian)."""
    keys = (*TEACHER_BUTTONS, *TUTOR_LISTS, "menu.ask_tutor")
    return {key: t(key, locale="ru") for key in keys}


def question_text(number: int) -> str:
    return f"Вопрос {number}: как выстроить формирующее оценивание на уроках в 7 классе?"


def region_mix(
    region: RegionPeople, count: int, maker: UpdateMaker, rng: random.Random
) -> list[Planned]:
    """A realistic mix, by share of updates: teachers' menu buttons 25 %, tutors' lists 17 %,
    inline buttons 25 %, «✍️ Вопрос наставнику» 17 % and, right after it, the question
    relayed to the tutor 17 %."""
    text_of = labels()
    teachers = rng.sample(region.teachers, len(region.teachers))
    tutors = rng.sample(region.tutors, len(region.tutors))
    next_teacher = itertools.cycle(teachers).__next__
    next_tutor = itertools.cycle(tutors).__next__
    plans: list[Planned] = []
    while len(plans) < count:
        roll = rng.random()
        if roll < 0.30:
            teacher = next_teacher()
            key = rng.choice(TEACHER_BUTTONS)
            plans.append(maker.text("menu", teacher.telegram_id, text_of[key]))
        elif roll < 0.50:
            tutor = next_tutor()
            key = rng.choice(TUTOR_LISTS)
            plans.append(maker.text("tutor_list", tutor.telegram_id, text_of[key]))
        elif roll < 0.80:
            plans.append(_inline_button(next_teacher(), next_tutor(), maker, rng))
        else:
            teacher = next_teacher()
            plans.append(maker.text("ask", teacher.telegram_id, text_of["menu.ask_tutor"]))
            plans.append(maker.text("question", teacher.telegram_id, question_text(len(plans))))
    return plans[:count]


def _inline_button(
    teacher: Teacher, tutor: Tutor, maker: UpdateMaker, rng: random.Random
) -> Planned:
    """Buttons of real messages: a thread's history, the tutor's month of consultations, a
    community to join or leave."""
    roll = rng.random()
    if roll < 0.3 and teacher.threads:
        data = QuestionCb(action="open", thread_id=rng.choice(teacher.threads)).pack()
        return maker.callback("callback", teacher.telegram_id, data)
    if roll < 0.55 and tutor.threads:
        data = QuestionCb(action="open", thread_id=rng.choice(tutor.threads)).pack()
        return maker.callback("callback", tutor.telegram_id, data)
    if roll < 0.75:
        return maker.callback("callback", tutor.telegram_id, ConsultationCb(action="mine").pack())
    community = rng.choice(teacher.communities)
    action = "leave" if community in teacher.member_of else "join"
    if action == "join":
        teacher.member_of.add(community)
    else:
        teacher.member_of.discard(community)
    data = CommunityCb(action=action, community_id=community).pack()
    return maker.callback("callback", teacher.telegram_id, data)


def pair_mix(
    region: RegionPeople, people: int, maker: UpdateMaker, rng: random.Random, run: int
) -> list[Planned]:
    """Two updates from each of `people` people, interleaved at random (each person's own
    two in the order they wrote them). Every update's reply is recognisable at a stub:
    tutors ask for «📨 Обращения» (buttons qu:) and «👥 Мои педагоги» (none); teachers for
    «🤝 Сообщества» (cm:) or «👤 Мои данные» (pv:) and a plain answer, or press «✍️» and
    ask (the prompt, then the copy at their tutor). `run` (0 or 1) picks disjoint people,
    and no tutor who asks for lists gets questions from the askers."""
    text_of = labels()
    send_tutors = [tu for tu in region.tutors if tu.person_id % 4 == 2 * run]
    ask_tutors = {tu.person_id for tu in region.tutors if tu.person_id % 4 == 2 * run + 1}
    quiet_tutors = {tu.person_id for tu in region.tutors if tu.person_id % 2 == 0}
    askers = [te for te in region.teachers if te.tutor_person_id in ask_tutors]
    others = [
        te
        for te in region.teachers
        if te.tutor_person_id in quiet_tutors and te.person_id % 2 == run
    ]
    rng.shuffle(send_tutors)
    rng.shuffle(askers)
    rng.shuffle(others)
    n_tutors = min(len(send_tutors), people * 15 // 100)
    n_askers = min(len(askers), people * 30 // 100)
    n_others = people - n_tutors - n_askers
    if n_others > len(others):
        raise SystemExit(f"the region is too small for {people} people")
    pairs: list[list[Planned]] = []
    for tutor in send_tutors[:n_tutors]:
        chat = tutor.telegram_id
        first = maker.text("tutor_list", chat, text_of["menu.tutor_questions"])
        first.expect = Expect(chat, "sendmessage", "qu")
        second = maker.text("tutor_list", chat, text_of["menu.my_teachers"])
        second.expect = Expect(chat, "sendmessage", "")
        pairs.append([first, second] if rng.random() < 0.5 else _swapped(first, second))
    for teacher in askers[:n_askers]:
        chat = teacher.telegram_id
        ask = maker.text("ask", chat, text_of["menu.ask_tutor"])
        ask.expect = Expect(chat, "sendmessage", "")
        question = maker.text("question", chat, question_text(teacher.person_id))
        question.expect = Expect(
            teacher.tutor_telegram_id, "copymessage", f"{chat}:{message_id_of(question)}"
        )
        pairs.append([ask, question])
    for teacher in others[:n_others]:
        chat = teacher.telegram_id
        if rng.random() < 0.5:
            first = maker.text("menu", chat, text_of["menu.communities"])
            first.expect = Expect(chat, "sendmessage", "cm")
            second = maker.text("menu", chat, text_of["menu.help"])
        else:
            first = maker.text("menu", chat, text_of["menu.profile"])
            first.expect = Expect(chat, "sendmessage", "pv")
            second = maker.text("menu", chat, text_of["menu.my_tutor"])
        second.expect = Expect(chat, "sendmessage", "")
        pairs.append([first, second] if rng.random() < 0.5 else _swapped(first, second))
    # Interleave: any person's next update may come next; update ids follow that order.
    order: list[Planned] = []
    pending = [list(pair) for pair in pairs]
    while pending:
        index = rng.randrange(len(pending))
        order.append(pending[index].pop(0))
        if not pending[index]:
            pending[index] = pending[-1]
            pending.pop()
    ids = sorted(plan.update_id for plan in order)
    for plan, update_id in zip(order, ids, strict=True):
        plan.update_id = update_id
        plan.payload["update_id"] = update_id
    return order


def _swapped(first: Planned, second: Planned) -> list[Planned]:
    """The same two updates written the other way round (ids are renumbered later)."""
    return [second, first]


async def settle(path: UpdatePath, within: float = 300.0) -> None:
    """Wait for the path to go idle, at most `within` seconds (what is left shows as not
    handled); shielded, since `idle()` gathers the drainers and a timeout must not cancel them."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(path.idle()), within)


def bound(plans: Sequence[Planned], bot: Bot) -> list[Update]:
    return [Update.model_validate(plan.payload, context={"bot": bot}) for plan in plans]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- settings, databases --------------------------------------------------------------------------
def bench_settings(
    database_url: str, *, api_url: str | None = None, background_jobs: str = "inline"
) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=SecretStr(FAKE_TOKEN),
        database_url=database_url,
        redis_url=None,
        telegram_api_url=api_url,
        quiet_hours_start=clock_time(0, 0),
        quiet_hours_end=clock_time(0, 0),
        background_jobs=background_jobs,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class Workspace:
    directory: Path
    template: Path | None = None
    region: RegionPeople | None = None

    async def region_copy(self, name: str, size: RegionSize) -> tuple[Path, RegionPeople]:
        """A fresh copy of the region database (built once, then copied per measurement)."""
        if self.template is None or self.region is None:
            self.template = self.directory / "region.sqlite3"
            engine = create_engine(sqlite_url(self.template))
            started = time.perf_counter()
            try:
                self.region = await build_region(engine, size, create_schema=True)
            finally:
                await engine.dispose()  # checkpoints the write-ahead log into the file
            print(
                f"region database: {self.region.rows:,} rows in "
                f"{time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
        target = self.directory / f"{name}.sqlite3"
        shutil.copyfile(self.template, target)
        return target, self.region


# --- 1. throughput at 0 ms ------------------------------------------------------------------------
def bare_dispatcher() -> Dispatcher:
    router = Router(name="bare")

    @router.message()
    async def on_message(message: Message) -> None:
        await message.answer("ok")

    @router.callback_query()
    async def on_callback(callback: CallbackQuery) -> None:
        await callback.answer()

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def feed_bare(dp: Dispatcher, bot: Bot, updates: Sequence[Update]) -> float:
    started = time.perf_counter()
    for batch in chunks(updates, BATCH):
        await asyncio.gather(*(dp.feed_update(bot, update) for update in batch))
    return time.perf_counter() - started


async def run_throughput(scale: Scale, work: Workspace, options: Options) -> list[Row]:
    database, region = await work.region_copy("throughput", scale.region)
    settings = bench_settings(sqlite_url(database))
    rng = random.Random(1)
    maker = UpdateMaker(first_update_id=1)
    warmup = region_mix(region, scale.warmup, maker, rng)
    measured = region_mix(region, scale.throughput_updates, maker, rng)
    paced = region_mix(region, scale.latency_updates, maker, rng)

    engine = create_engine(settings.database_url)
    api = InstantSession()
    bot = create_bot(settings, session=api)
    dp = create_dispatcher(settings, create_session_pool(engine))
    tracker = Tracker()
    dp.update.outer_middleware(tracker)
    census = StatementLog({plan.update_id: census_label(plan) for plan in measured})
    attribute_updates(dp, census if options.directory is not None else None)
    path = UpdatePath.for_dispatcher(dp, bot)
    TALLY.reset()
    try:
        await path.start()
        options.set_up()
        for batch in chunks(bound(warmup, bot), BATCH):
            await path.intake.accept(batch)
        await settle(path)
        updates = bound(measured, bot)
        if options.directory is not None:
            census.attach(engine)
        with options.phase("throughput-path"):
            started = time.perf_counter()
            for batch in chunks(updates, BATCH):
                await path.intake.accept(batch)
            await settle(path)
            path_seconds = time.perf_counter() - started
        path_rate = len(updates) / path_seconds
        if options.directory is not None:
            census.report(Counter(census_label(plan) for plan in measured))
            census.detach(engine)
        unhandled = sum(1 for plan in measured if plan.update_id not in tracker.ended)
        print(f"path: {path_rate:,.0f} updates/s; calls {dict(api.calls)}", file=sys.stderr)

        rate = min(scale.latency_rate, path_rate / 2)
        arrived: dict[int, float] = {}
        paced_updates = bound(paced, bot)
        tasks: list[asyncio.Task[None]] = []
        accepts: list[float] = []

        async def accept(update: Update) -> None:
            began = time.perf_counter()
            await path.intake.accept([update])
            accepts.append(time.perf_counter() - began)

        lag = LoopLag()
        with options.phase("throughput-latency"), GcPauses() as collections:
            lag.start()
            start = time.perf_counter() + 0.05
            for index, update in enumerate(paced_updates):
                due = start + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                arrived[update.update_id] = due
                tasks.append(asyncio.create_task(accept(update)))
            await asyncio.gather(*tasks)
            await settle(path)
            await lag.stop()
        stall = lag.worst(0.0, float("inf")) * 1000
        gc_worst = collections.worst() * 1000
        longest_accept = max(accepts, default=0.0) * 1000
        errors = TALLY.errors
        TALLY.report("throughput")
    finally:
        await path.stop()
        await bot.session.close()
        await engine.dispose()

    bare_bot = create_bot(settings, session=InstantSession())
    bare = bare_dispatcher()
    await feed_bare(bare, bare_bot, bound(warmup, bare_bot))
    bare_updates = bound(measured, bare_bot)
    with options.phase("throughput-bare"):
        bare_seconds = await feed_bare(bare, bare_bot, bare_updates)
    bare_rate = len(bare_updates) / bare_seconds
    ratio = path_rate / bare_rate

    by_kind: defaultdict[str, list[float]] = defaultdict(list)
    missing = 0
    for plan in paced:
        end = tracker.ended.get(plan.update_id)
        if end is None:
            missing += 1
            continue
        by_kind[plan.kind].append((end - arrived[plan.update_id]) * 1000)
    rows = [
        Row("1", "path: updates/s (in-process API, 0 ms, region SQLite)", fmt_rate(path_rate)),
        Row("1", "bare aiogram: updates/s (same updates, same batches)", fmt_rate(bare_rate)),
        Row("1", "ratio path / bare", f"{ratio:.3f}", "≥ 0.25", ratio >= 0.25),
    ]
    for kind in ("menu", "tutor_list", "callback", "ask", "question"):
        values = by_kind.get(kind, [])
        p99 = percentile(values, 0.99)
        rows.append(
            Row(
                "1",
                f"{kind}: p50 / p99 ms, intake→handled at {rate:.0f}/s (n={len(values)})",
                f"{percentile(values, 0.5):.1f} / {p99:.1f}",
                "p99 ≤ 20 ms",
                bool(values) and p99 <= 20,
            )
        )
    rows.append(
        Row(
            "1",
            "paced phase: longest event-loop stall / GC pause / intake (store) call, ms",
            f"{stall:.0f} / {gc_worst:.0f} / {longest_accept:.0f}",
        )
    )
    rows.append(
        Row(
            "1",
            "updates not handled / errors logged",
            f"{unhandled + missing} / {errors}",
            "0 / 0",
            unhandled + missing == 0 and errors == 0,
        )
    )
    return rows


# --- a local Bot API stub (loopback) --------------------------------------------------------------
class StubBotApi:
    """/bot<token>/<method> on 127.0.0.1: getUpdates from a queue of prepared updates (at most
    100 a call, confirmed by the next offset, as Telegram), every other method answered after
    `latency`; what arrived is kept per chat with the time, for the reply checks."""

    def __init__(self, latency: float, updates: Sequence[dict[str, Any]] = ()) -> None:
        self.latency = latency
        self._queue = sorted(updates, key=lambda u: int(u["update_id"]))
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.calls: Counter[str] = Counter()
        self.per_chat: Counter[int] = Counter()
        self.ledger: defaultdict[tuple[int, str], list[tuple[float, str]]] = defaultdict(list)
        self.last_reply_at = 0.0
        self._message_ids = itertools.count(50_000_000)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params = {name: str(value) for name, value in (await request.post()).items()}
        self.calls[method] += 1
        if method == "getupdates":
            return web.json_response({"ok": True, "result": await self._updates(params)})
        if self.latency:
            await asyncio.sleep(self.latency)
        result = self._record(method, params)
        return web.json_response({"ok": True, "result": result})

    async def _updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or BATCH)
        while self._queue and int(self._queue[0]["update_id"]) < offset:
            self._queue.pop(0)
        if self.latency:
            await asyncio.sleep(self.latency)
        if not self._queue:
            await asyncio.sleep(min(float(params.get("timeout") or 0), 0.5))
            return []
        return self._queue[:limit]

    def _record(self, method: str, params: dict[str, str]) -> Any:
        now = time.monotonic()
        chat = int(params.get("chat_id") or 0)
        if method in ("sendmessage", "copymessage", "senddocument", "editmessagetext"):
            self.per_chat[chat] += 1
            self.last_reply_at = now
        if method == "sendmessage":
            self.ledger[(chat, method)].append((now, markup_key(params.get("reply_markup"))))
        elif method == "copymessage":
            key = f"{params.get('from_chat_id')}:{params.get('message_id')}"
            self.ledger[(chat, method)].append((now, key))
            return {"message_id": next(self._message_ids)}
        elif method == "answercallbackquery":
            self.last_reply_at = now
            self.ledger[(0, method)].append((now, params.get("callback_query_id", "")))
        if method == "getme":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Наставник", "username": "b_bot"}
        if method in ("sendmessage", "editmessagetext", "senddocument"):
            return {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Наставник"},
                "text": params.get("text", ""),
            }
        return True

    def reply_time(self, expect: Expect) -> float | None:
        for at, key in self.ledger.get((expect.chat, expect.method), ()):
            if key == expect.key:
                return at
        return None


def markup_key(raw: str | None) -> str:
    """Empty for no buttons, "kb" for a reply keyboard, else the first inline button's prefix."""
    if not raw:
        return ""
    try:
        markup = json.loads(raw)
    except ValueError:
        return "?"
    for row in markup.get("inline_keyboard", ()):
        for button in row:
            data = str(button.get("callback_data") or "")
            return data.split(":", 1)[0]
    return "kb" if "keyboard" in markup else "?"


@dataclass
class PairCheck:
    lost: int
    order_broken: int
    replied: int


def check_replies(stub: StubBotApi, plans: Sequence[Planned]) -> PairCheck:
    """Each update's reply at the stub, and each person's replies in the order they wrote."""
    by_person: defaultdict[int, list[Planned]] = defaultdict(list)
    for plan in sorted(plans, key=lambda p: p.update_id):
        by_person[plan.person].append(plan)
    lost = broken = replied = 0
    for theirs in by_person.values():
        moments: list[float] = []
        for plan in theirs:
            assert plan.expect is not None
            at = stub.reply_time(plan.expect)
            if at is None:
                lost += 1
            else:
                replied += 1
                moments.append(at)
        if moments != sorted(moments):
            broken += 1
    return PairCheck(lost, broken, replied)


def dispatcher_order_broken(tracker: Tracker, plans: Sequence[Planned]) -> int:
    """People whose updates the dispatcher saw out of the order they wrote them in."""
    person_of = {plan.update_id: plan.person for plan in plans}
    seen: defaultdict[int, list[int]] = defaultdict(list)
    for update_id in tracker.seen:
        person = person_of.get(update_id)
        if person is not None and (not seen[person] or seen[person][-1] != update_id):
            seen[person].append(update_id)
    return sum(1 for ids in seen.values() if ids != sorted(ids))


# --- 2. polling at 100 ms -------------------------------------------------------------------------
async def run_polling(scale: Scale, work: Workspace, options: Options) -> list[Row]:
    database, region = await work.region_copy("polling", scale.region)
    plans = pair_mix(region, scale.polling_people, UpdateMaker(1), random.Random(2), run=0)
    stub = StubBotApi(latency=0.1, updates=[plan.payload for plan in plans])
    await stub.start()
    settings = bench_settings(sqlite_url(database), api_url=stub.url)
    engine = create_engine(settings.database_url)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, create_session_pool(engine))
    tracker = Tracker()
    dp.update.outer_middleware(tracker)
    path = UpdatePath.for_dispatcher(dp, bot)
    replies = ReplyLog()
    bot.session.middleware(replies)
    TALLY.reset()
    polling: asyncio.Task[None] | None = None
    started = 0.0
    try:
        await dp.emit_startup(bot=bot, **dp.workflow_data)
        await path.start()
        options.set_up()
        wanted = {plan.update_id for plan in plans}
        with options.phase("polling"):
            started = time.perf_counter()
            polling = asyncio.create_task(poll(bot, path.intake, dp.resolve_used_update_types()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tracker.awaiting(wanted).wait(), 300)
            await settle(path)
    finally:
        if polling is not None:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        await path.stop()
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)
        await bot.session.close()
        await engine.dispose()
        await stub.stop()
    handled = [tracker.ended[u] for u in wanted if u in tracker.ended]
    seconds = (max(handled) if handled else time.perf_counter()) - started
    rate = len(handled) / seconds
    lost = sum(1 for plan in plans if replies.by_update[plan.update_id] == 0)
    at_stub = check_replies(stub, plans)
    seen_broken = dispatcher_order_broken(tracker, plans)
    TALLY.report("polling")
    people = len({plan.person for plan in plans})
    order_ok = seen_broken == 0 and at_stub.order_broken == 0
    return [
        Row(
            "2",
            f"updates/s: {len(plans):,} updates of {people:,} people, 100 ms, polling, SQLite",
            fmt_rate(rate),
            "≥ 150",
            rate >= 150,
        ),
        Row(
            "2",
            "lost (no reply; by the bot / at the stub)",
            f"{lost} / {at_stub.lost}",
            "0",
            lost == 0 and at_stub.lost == 0,
        ),
        Row("2", "«database is locked» (log records)", str(TALLY.locked), "0", TALLY.locked == 0),
        Row(
            "2",
            "order per person kept (dispatcher / replies at the stub)",
            f"{'yes' if order_ok else 'no'} ({seen_broken} / {at_stub.order_broken} broken)",
            "yes",
            order_ok,
        ),
        Row("2", "errors logged", str(TALLY.errors), "0", TALLY.errors == 0),
    ]


# --- CPU accounting (Linux /proc; None elsewhere) -------------------------------------------------
def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- 3. webhook, PostgreSQL + Redis, one and two processes ----------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    port: int
    log_path: Path


async def start_webhook(env: dict[str, str], port: int, log_path: Path) -> BotProcess:
    with log_path.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "webhook",
            cwd=REPO_ROOT,
            env={**env, "WEBHOOK_PORT": str(port)},
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    return BotProcess(process, port, log_path)


async def wait_healthy(session: ClientSession, bot: BotProcess, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if bot.process.returncode is not None:
            break
        with contextlib.suppress(ClientError, OSError, asyncio.TimeoutError):
            async with session.get(f"http://127.0.0.1:{bot.port}/healthz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.2)
    tail = bot.log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"bot webhook on port {bot.port} did not become healthy:\n{tail}")


async def stop_processes(bots: Sequence[BotProcess]) -> None:
    for bot in bots:
        if bot.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                bot.process.send_signal(signal.SIGTERM)
    for bot in bots:
        try:
            await asyncio.wait_for(bot.process.wait(), 20)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                bot.process.kill()
            await bot.process.wait()


async def post_updates(
    session: ClientSession, ports: Sequence[int], plans: Sequence[Planned], in_flight: int = 40
) -> int:
    """POST every update round-robin, as a balancer would, at most `in_flight` at once (like
    Telegram's max_connections), a person's next one after the previous was acknowledged;
    a refused POST is sent again, as Telegram does. Returns the number of refusals."""
    slots = asyncio.Semaphore(in_flight)
    refused = 0
    by_person: defaultdict[int, list[tuple[int, Planned]]] = defaultdict(list)
    for index, plan in enumerate(plans):
        by_person[plan.person].append((index, plan))

    async def one(index: int, plan: Planned) -> None:
        nonlocal refused
        url = f"http://127.0.0.1:{ports[index % len(ports)]}/telegram/webhook"
        while True:
            async with (
                slots,
                session.post(url, json=plan.payload, headers={SECRET_HEADER: WEBHOOK_SECRET}) as r,
            ):
                if r.status == 200:
                    return
            refused += 1
            await asyncio.sleep(0.1)

    async def person(theirs: list[tuple[int, Planned]]) -> None:
        for index, plan in theirs:
            await one(index, plan)

    await asyncio.gather(*(person(theirs) for theirs in by_person.values()))
    return refused


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def asyncpg_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


async def pending_inbox(engine: AsyncEngine) -> Counter[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
        )
        return Counter({str(status): int(count) for status, count in rows.all()})


async def clean_redis(url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        for pattern in ("nastavnik:*", "fsm:*", "outbox:*"):
            keys = [key async for key in redis.scan_iter(match=pattern, count=1000)]
            for batch in chunks(keys, 500):
                await redis.delete(*batch)
    finally:
        await redis.aclose()


async def run_webhook(scale: Scale, work: Workspace, options: Options) -> list[Row]:
    database_url = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgresql") or not redis_url:
        return [
            Row(
                "3",
                "two processes / one (needs DATABASE_URL=postgresql…, REDIS_URL)",
                "skipped",
                "≥ 1.8",
                None,
            )
        ]
    name = f"bench_update_path_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    bench_url = with_database(database_url, name)
    rows: list[Row] = []
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        await clean_redis(redis_url)
        env = {
            **os.environ,
            "BOT_TOKEN": FAKE_TOKEN,
            "DATABASE_URL": bench_url,
            "REDIS_URL": redis_url,
            "WEBHOOK_BASE_URL": "https://bench.invalid",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WEBHOOK_HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "QUIET_HOURS_START": "00:00",
            "QUIET_HOURS_END": "00:00",
        }
        migrate = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate",
            cwd=REPO_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await migrate.communicate()
        if migrate.returncode != 0:
            raise RuntimeError(f"migrate failed: {output.decode(errors='replace')[-2000:]}")
        engine = create_engine(bench_url)
        try:
            started = time.perf_counter()
            region = await build_region(engine, scale.region, create_schema=False)
            print(
                f"PostgreSQL region: {region.rows:,} rows in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            rates: dict[int, float] = {}
            maker = UpdateMaker(first_update_id=1)
            for run, processes in enumerate((1, 2)):
                plans = pair_mix(region, scale.webhook_people, maker, random.Random(3 + run), run)
                rate, run_rows = await _webhook_run(plans, processes, env, engine, work)
                rates[processes] = rate
                rows += run_rows
        finally:
            await engine.dispose()
        ratio = rates[2] / rates[1]
        rows.append(Row("3", "ratio two processes / one", f"{ratio:.2f}", "≥ 1.8", ratio >= 1.8))
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
        await clean_redis(redis_url)
    return rows


async def _webhook_run(
    plans: Sequence[Planned],
    processes: int,
    env: dict[str, str],
    engine: AsyncEngine,
    work: Workspace,
) -> tuple[float, list[Row]]:
    stub = StubBotApi(latency=0.1)
    await stub.start()
    bots: list[BotProcess] = []
    timeout = ClientTimeout(total=60)
    try:
        async with ClientSession(connector=TCPConnector(limit=0), timeout=timeout) as client:
            for index in range(processes):
                log_path = work.directory / f"webhook-{processes}-{index}.log"
                bots.append(
                    await start_webhook(
                        {**env, "TELEGRAM_API_URL": stub.url}, free_port(), log_path
                    )
                )
            for bot in bots:
                await wait_healthy(client, bot, within=60)
            before = await pending_inbox(engine)
            ticks, own = machine_ticks(), own_cpu_seconds()
            bots_cpu = sum(process_cpu_seconds(bot.process.pid) for bot in bots)
            started = time.monotonic()
            refused = await post_updates(client, [bot.port for bot in bots], plans)
            posted = time.monotonic() - started
            deadline = time.monotonic() + 300
            finished = 0
            all_finished_at: float | None = None
            while time.monotonic() < deadline:
                statuses = await pending_inbox(engine)
                finished = sum(statuses.values()) - sum(before.values()) - statuses["pending"]
                if finished >= len(plans) and all_finished_at is None:
                    all_finished_at = time.monotonic()
                replied = check_replies(stub, plans).lost == 0
                # Every update stored as handled, and every reply in (or 2 s more for them).
                if all_finished_at is not None and (
                    replied or time.monotonic() - all_finished_at > 2
                ):
                    break
                await asyncio.sleep(0.25)  # the time measured is the stub's last reply
            seconds = max(stub.last_reply_at, started) - started
            busy = busy_share(ticks, machine_ticks())
            own = own_cpu_seconds() - own
            bots_cpu = sum(process_cpu_seconds(bot.process.pid) for bot in bots) - bots_cpu
    finally:
        await stop_processes(bots)
        await stub.stop()
    logs = "".join(bot.log_path.read_text(errors="replace") for bot in bots)
    locked = logs.count("database is locked")
    errors = sum(1 for line in logs.splitlines() if " ERROR " in line or "Traceback" in line)
    if errors:
        print(f"webhook ×{processes} log tail:\n{logs[-2000:]}", file=sys.stderr)
    check = check_replies(stub, plans)
    rate = check.replied / seconds if seconds > 0 else 0.0
    people = len({plan.person for plan in plans})
    label = "one process" if processes == 1 else "two processes"
    print(
        f"webhook ×{processes}: {rate:,.0f} updates/s, all POSTed in {posted:.1f} s, "
        f"{refused} POSTs refused, inbox finished {finished}",
        file=sys.stderr,
    )
    return rate, [
        Row(
            "3",
            f"{label}: updates/s ({len(plans):,} updates of {people:,} people, 100 ms, "
            "webhook, PostgreSQL + Redis)",
            fmt_rate(rate),
        ),
        Row(
            "3",
            f"{label}: machine CPU busy (of {os.cpu_count()}) / CPU s: bot processes, bench "
            "(client + stub)",
            f"{'?' if busy is None else f'{busy:.0%}'} / {bots_cpu:.1f}, {own:.1f}",
        ),
        Row(
            "3",
            f"{label}: lost / order broken / errors logged",
            f"{check.lost} / {check.order_broken} / {errors + locked}",
            "0 / 0 / 0",
            check.lost == 0 and check.order_broken == 0 and errors + locked == 0,
        ),
    ]


class GcPauses:
    """Garbage-collector passes of this process and how long each took."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []  # (generation, seconds)
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def worst(self) -> float:
        return max((seconds for _, seconds in self.pauses), default=0.0)


class LoopLag:
    """How late a 10 ms timer fires: the event loop blocked by work that does not yield."""

    def __init__(self) -> None:
        self.lags: list[tuple[float, float]] = []  # (when, how late in seconds)
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            due = time.perf_counter() + 0.01
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            self.lags.append((now, now - due))

    def start(self) -> None:
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def worst(self, start: float, end: float) -> float:
        return max((lag for at, lag in self.lags if start <= at <= end), default=0.0)


# --- 4. roster apply while others press buttons ---------------------------------------------------
async def add_roster_upload(
    pool: async_sessionmaker[AsyncSession], region: RegionPeople, rows: int
) -> tuple[int, int, int]:
    """A new municipality, its coordinator and their uploaded roster of `rows` new people:
    (coordinator's Telegram id, municipality id, upload id)."""
    from bench.roster_import import generate, to_xlsx

    content = to_xlsx(generate(rows, max(10, rows // 42)))
    telegram_id = COORDINATOR_TG + 900_000
    async with pool.begin() as session:
        municipality = Municipality(region_id=region.region_id, name="Округ бенчмарка (ростер)")
        session.add(municipality)
        await session.flush()
        coordinator = Person(
            telegram_id=telegram_id,
            full_name="Координатор Бенчмарка",
            municipality_id=municipality.id,
            locale="ru",
            consent_at=datetime.now(UTC),
            roles=[PersonRole(role=Role.COORDINATOR, municipality_id=municipality.id)],
        )
        session.add(coordinator)
        await session.flush()
        upload = RosterUpload(
            municipality_id=municipality.id,
            uploaded_by_id=coordinator.id,
            filename="roster.xlsx",
            content=content,
        )
        session.add(upload)
        await session.flush()
        return telegram_id, municipality.id, upload.id


async def count_people(pool: async_sessionmaker[AsyncSession], municipality_id: int) -> int:
    async with pool() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.municipality_id == municipality_id)
        )
    return int(found or 0)


async def press_apply(
    path: UpdatePath,
    bot: Bot,
    pool: async_sessionmaker[AsyncSession],
    coordinator: int,
    upload_id: int,
) -> Callable[[], Awaitable[str | None]]:
    """The coordinator presses «Применить»: the handler queues the apply job, which the bot's
    job runner (started with the bot) runs. Returns a probe: None while the job is pending or
    running, then how it ended."""
    maker = UpdateMaker(first_update_id=9_000_000)
    data = RosterCb(action="apply", upload_id=upload_id).pack()
    await path.intake.accept(bound([maker.callback("roster", coordinator, data)], bot))
    pressed = time.perf_counter()

    async def job_state() -> str | None:
        async with pool() as session:
            statuses = (await session.scalars(select(BackgroundJob.status))).all()
        if not statuses:
            return "no job queued" if time.perf_counter() - pressed > 10 else None
        if any(s in ("pending", "running") for s in statuses):
            return None
        return "job " + ",".join(sorted(str(s) for s in statuses))

    return job_state


async def run_roster(scale: Scale, work: Workspace, options: Options) -> list[Row]:
    """As the bot runs by default (the job in a child `nastavnik jobs`), then with the job
    inside the bot's own process (BACKGROUND_JOBS=inline) for comparison."""
    rows = await _roster_run(scale, work, options, "process")
    return rows + await _roster_run(scale, work, options, "inline")


async def _jobs_child(database: Path, stub: StubBotApi) -> asyncio.subprocess.Process:
    """`python -m bot jobs` on the bench's database, sending to the local stub."""
    engine = create_engine(sqlite_url(database))
    async with engine.begin() as connection:  # the region was built from the models: stamp it
        await connection.execute(
            text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)")
        )
        await connection.execute(
            text("INSERT INTO alembic_version VALUES (:head)"), {"head": head_revision()}
        )
    await engine.dispose()
    env = {
        **os.environ,
        "BOT_TOKEN": FAKE_TOKEN,
        "DATABASE_URL": sqlite_url(database),
        "TELEGRAM_API_URL": stub.url,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "jobs", "--parent-pid", str(os.getpid()), env=env
    )


async def _roster_run(scale: Scale, work: Workspace, options: Options, jobs_mode: str) -> list[Row]:
    database, region = await work.region_copy(f"roster-{jobs_mode}", scale.region)
    settings = bench_settings(sqlite_url(database), background_jobs=jobs_mode)
    stub: StubBotApi | None = None
    child: asyncio.subprocess.Process | None = None
    if jobs_mode == "process":
        stub = StubBotApi(latency=0.0)
        await stub.start()
        child = await _jobs_child(database, stub)
    engine = create_engine(settings.database_url)
    pool = create_session_pool(engine)
    coordinator, municipality_id, upload_id = await add_roster_upload(
        pool, region, scale.roster_rows
    )
    rng = random.Random(4)
    text_of = labels()
    others: list[tuple[int, str, str]] = []
    for teacher in rng.sample(region.teachers, scale.roster_others * 4 // 5):
        others.append((teacher.telegram_id, "menu", text_of[rng.choice(TEACHER_BUTTONS)]))
    for tutor in rng.sample(region.tutors, scale.roster_others - len(others)):
        others.append((tutor.telegram_id, "tutor_list", text_of[rng.choice(TUTOR_LISTS)]))
    maker = UpdateMaker(first_update_id=1)
    bot = create_bot(settings, session=InstantSession())
    dp = create_dispatcher(settings, pool)
    tracker = Tracker()
    dp.update.outer_middleware(tracker)
    path = UpdatePath.for_dispatcher(dp, bot)
    TALLY.reset()
    arrived: dict[int, float] = {}
    accepts: list[tuple[float, float]] = []  # (when, how long) of each intake call
    lag = LoopLag()
    window = (0.0, 0.0)
    outcome: str | None = None
    try:
        await dp.emit_startup(bot=bot, **dp.workflow_data)  # scheduler, outbox, job runner
        await path.start()
        options.set_up()
        lag.start()
        warm = [maker.text(kind, who, words) for who, kind, words in others[:50]]
        await path.intake.accept(bound(warm, bot))
        await settle(path)

        def press(index: int) -> Planned:
            who, kind, words = others[index % len(others)]
            if index % len(others) == 0 and index:
                rng.shuffle(others)
            return maker.text(kind, who, words)

        interval = 1 / scale.others_rate
        index = 0
        next_due = time.perf_counter()

        async def load_until(stop: Callable[[], Awaitable[bool]]) -> None:
            """Arrivals at a steady rate; accepted in batches as polling would, one batch
            after another, each update's clock running from when it was due."""
            nonlocal index, next_due
            while not await stop():
                now = time.perf_counter()
                batch: list[Planned] = []
                while next_due <= now and len(batch) < BATCH:
                    plan = press(index)
                    arrived[plan.update_id] = next_due
                    batch.append(plan)
                    index += 1
                    next_due += interval
                if batch:
                    began = time.perf_counter()
                    await path.intake.accept(bound(batch, bot))
                    accepts.append((began, time.perf_counter() - began))
                else:
                    await asyncio.sleep(min(0.01, max(0.0, next_due - now)))

        async def after(seconds: float) -> Callable[[], Awaitable[bool]]:
            end = time.perf_counter() + seconds

            async def done() -> bool:
                return time.perf_counter() >= end

            return done

        await load_until(await after(1.0))  # the load runs before the apply starts
        with options.phase("roster"), GcPauses() as collections:
            state = await press_apply(path, bot, pool, coordinator, upload_id)
            apply_started = time.perf_counter()
            checked = 0.0

            async def applied() -> bool:
                nonlocal outcome, checked
                if time.perf_counter() - checked < 0.2:
                    return False
                checked = time.perf_counter()
                outcome = await state()
                return outcome is not None or checked - apply_started > 600

            await load_until(applied)
            window = (apply_started, time.perf_counter())
            await load_until(await after(0.5))
            await settle(path)
        TALLY.report("roster")
        people = await count_people(pool, municipality_id) - 1  # less the coordinator
    finally:
        await lag.stop()
        await path.stop()
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)
        await bot.session.close()
        await engine.dispose()
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                child.terminate()
            await child.wait()
        if stub is not None:
            await stub.stop()
    where = "job in a child process" if jobs_mode == "process" else "job inside the bot"
    during = [
        (tracker.ended[u] - at) * 1000
        for u, at in arrived.items()
        if window[0] <= at <= window[1] and u in tracker.ended
    ]
    unhandled = sum(1 for u in arrived if u not in tracker.ended)
    p99 = percentile(during, 0.99)
    stall = lag.worst(*window) * 1000
    longest_accept = max((d for at, d in accepts if window[0] <= at <= window[1]), default=0.0)
    apply_seconds = window[1] - window[0]
    return [
        Row(
            "4",
            f"roster apply ({where}): {scale.roster_rows:,} rows ({outcome}), people written",
            f"{apply_seconds:.1f} s, {people:,}",
            f"{scale.roster_rows:,} people",
            people == scale.roster_rows,
        ),
        Row(
            "4",
            f"others meanwhile ({where}): p50 / p99 / max ms ({len(during)} presses at "
            f"{scale.others_rate:.0f}/s from {len(others)} people)",
            f"{percentile(during, 0.5):.0f} / {p99:.0f} / {max(during, default=0):.0f}",
            "p99 ≤ 200 ms",
            bool(during) and p99 <= 200,
        ),
        Row(
            "4",
            "during the apply: longest event-loop stall / GC pause / intake (store) call, ms",
            f"{stall:.0f} / {collections.worst() * 1000:.0f} / {longest_accept * 1000:.0f}",
        ),
        Row(
            "4",
            "presses not handled / «database is locked» / errors",
            f"{unhandled} / {TALLY.locked} / {TALLY.errors}",
            "0 / 0 / 0",
            unhandled == 0 and TALLY.locked == 0 and TALLY.errors == 0,
        ),
    ]


# --- 5. a 429 storm started by a broadcast --------------------------------------------------------
class StormBotApi(LimitedBotApi):
    """bench.botapi_limits's server, also taking copyMessage (counted in the same limits)
    and answering the calls that send nothing (answerCallbackQuery, setMyCommands…)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.copies: list[tuple[int, str]] = []  # (chat, "from_chat:message_id")
        self.refused_overall = 0
        self.refused_chat = 0

    def _admit(self, chat_id: int, now: float) -> bool:
        admitted = super()._admit(chat_id, now)
        if not admitted:
            if len(self._recent) >= self.overall_per_second:
                self.refused_overall += 1
            else:
                self.refused_chat += 1
        return admitted

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method in ("getMe", "sendMessage"):
            return await super()._handle(request)
        fields = dict(await request.post()) if request.can_read_body else {}
        if method != "copyMessage":
            if self.latency_seconds:
                await asyncio.sleep(self.latency_seconds)
            return web.json_response({"ok": True, "result": True})
        chat_id = int(str(fields.get("chat_id", "0")))
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
        self.accepted.append(Accepted(chat_id, "", now))
        source = f"{fields.get('from_chat_id')!s}:{fields.get('message_id')!s}"
        self.copies.append((chat_id, source))
        return await self._answer({"message_id": len(self.accepted)})


async def queue_broadcast(
    pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    region: RegionPeople,
    recipients: Sequence[Teacher],
) -> None:
    from bot.delivery.outbox import Recipient, enqueue_broadcast

    async with pool.begin() as session:
        broadcast = Broadcast(
            municipality_id=None,
            region_id=region.region_id,
            text=BROADCAST_TEXT,
            recipients=len(recipients),
            status=BroadcastStatus.SENDING,
        )
        session.add(broadcast)
        await session.flush()
        await enqueue_broadcast(
            session,
            settings,
            broadcast,
            [Recipient(r.person_id, r.telegram_id, settings.timezone) for r in recipients],
        )


async def run_storm(scale: Scale, work: Workspace, options: Options) -> list[Row]:
    database, region = await work.region_copy("storm", scale.region)
    rng = random.Random(5)
    askers: list[Teacher] = []
    taken_tutors: set[int] = set()
    for teacher in rng.sample(region.teachers, len(region.teachers)):
        if teacher.unclosed_thread is None and teacher.tutor_person_id not in taken_tutors:
            askers.append(teacher)
            taken_tutors.add(teacher.tutor_person_id)
            if len(askers) == scale.askers:
                break
    asking = {teacher.person_id for teacher in askers}
    recipients = [te for te in region.teachers if te.person_id not in asking][: scale.broadcast]
    under_way = asyncio.Event()
    server = StormBotApi(
        overall_per_second=30, on_accept=lambda count: under_way.set() if count >= 30 else None
    )
    await server.start()
    settings = bench_settings(sqlite_url(database), api_url=server.url)
    engine = create_engine(settings.database_url)
    pool = create_session_pool(engine)
    await queue_broadcast(pool, settings, region, recipients)
    maker = UpdateMaker(first_update_id=1)
    text_of = labels()
    plans: list[Planned] = []
    for teacher in askers:
        plans.append(maker.text("ask", teacher.telegram_id, text_of["menu.ask_tutor"]))
        plans.append(maker.text("question", teacher.telegram_id, question_text(teacher.person_id)))
    bot = create_bot(settings)
    dp = create_dispatcher(settings, pool)
    tracker = Tracker()
    dp.update.outer_middleware(tracker)
    pauses: list[float] = []
    limiter = dp["outbox_limiter"]
    pause = limiter.pause

    async def counted_pause(seconds: float) -> None:
        pauses.append(seconds)
        await pause(seconds)

    limiter.pause = counted_pause  # the bench's instance: replies' 429s pause the outbox here
    path = UpdatePath.for_dispatcher(dp, bot)
    TALLY.reset()
    seconds = 0.0
    window_start = time.monotonic()  # the stub's clock: when the teachers began to ask
    try:
        await dp.emit_startup(bot=bot, **dp.workflow_data)  # the outbox sender starts
        await path.start()
        options.set_up()
        await asyncio.wait_for(under_way.wait(), 60)  # the broadcast is going out
        server.on_accept = None
        with options.phase("storm"):
            started = time.perf_counter()
            window_start = time.monotonic()
            # Each asker presses «✍️» and writes a second later; askers arrive evenly.
            arrivals = sorted(
                [
                    (i * scale.askers_over_seconds / len(askers), plans[2 * i])
                    for i in range(len(askers))
                ]
                + [
                    (i * scale.askers_over_seconds / len(askers) + 1.0, plans[2 * i + 1])
                    for i in range(len(askers))
                ],
                key=lambda pair: pair[0],
            )
            for offset, plan in arrivals:
                delay = started + offset - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await path.intake.accept(bound([plan], bot))
            await settle(path)
            seconds = time.perf_counter() - started
    finally:
        await path.stop()
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)
        await bot.session.close()
        await engine.dispose()
        await server.stop()
    TALLY.report("storm")
    to_chat: Counter[int] = Counter(
        a.chat_id for a in server.accepted if a.text != BROADCAST_TEXT and a.text
    )
    copied = {key for _, key in server.copies}
    lost_relays = sum(
        1
        for plan in plans
        if plan.kind == "question" and f"{plan.person}:{message_id_of(plan)}" not in copied
    )
    # A teacher hears twice: the prompt after «✍️» and «sent to your tutor» after the question.
    unanswered = sum(max(0, 2 - to_chat[teacher.telegram_id]) for teacher in askers)
    cards = sum(max(0, 1 - to_chat[teacher.tutor_telegram_id]) for teacher in askers)
    duplicates = len(server.copies) - len(copied)
    broadcast_at = [a.at for a in server.accepted if a.text == BROADCAST_TEXT]
    broadcast_sent = len(broadcast_at)
    meanwhile = [at for at in broadcast_at if at >= window_start]
    moments = [window_start, *meanwhile, window_start + seconds]
    longest_gap = max(b - a for a, b in itertools.pairwise(moments))
    lost = lost_relays + unanswered + cards
    return [
        Row(
            "5",
            f"interactive messages lost ({len(askers)} teachers ask during a broadcast to "
            f"{len(recipients):,}; relays / teachers' answers / tutors' cards)",
            f"{lost} ({lost_relays} / {unanswered} / {cards})",
            "0",
            lost == 0,
        ),
        Row(
            "5",
            "429s seen (over 30/s, over 1/s in a chat) / relays duplicated / updates failed",
            f"{server.too_many_requests} ({server.refused_overall}, {server.refused_chat}) / "
            f"{duplicates} / {TALLY.errors}",
            "— / 0 / 0",
            duplicates == 0 and TALLY.errors == 0,
        ),
        Row(
            "5",
            f"broadcast: sent in all / while the teachers asked ({seconds:.0f} s) / its longest "
            "pause then / outbox pauses asked by replies' 429s",
            f"{broadcast_sent:,} / {len(meanwhile):,} / {longest_gap:.1f} s / {len(pauses)} "
            f"({sum(pauses):.0f} s)",
        ),
    ]


# --- the whole benchmark --------------------------------------------------------------------------
RUNNERS: dict[str, Callable[[Scale, Workspace, Options], Awaitable[list[Row]]]] = {
    "throughput": run_throughput,
    "polling": run_polling,
    "webhook": run_webhook,
    "roster": run_roster,
    "storm": run_storm,
}


async def background_load(seconds: float = 1.0) -> float | None:
    """How busy the machine is while this benchmark does nothing (other people's work)."""
    before = machine_ticks()
    await asyncio.sleep(seconds)
    return busy_share(before, machine_ticks())


async def wait_quiet(limit: float) -> None:
    """Up to `limit` seconds for three quiet seconds in a row (under 15 % busy)."""
    deadline = time.monotonic() + limit
    calm = 0
    while calm < 3 and time.monotonic() < deadline:
        share = await background_load()
        if share is None:
            return
        calm = calm + 1 if share < 0.15 else 0


class OthersMeter:
    """The CPU share other processes (databases included) took while an item ran."""

    def __init__(self) -> None:
        self.ticks = machine_ticks()
        self.own = self._own()
        self.started = time.monotonic()

    @staticmethod
    def _own() -> float:
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system

    def share(self) -> float | None:
        ticks = machine_ticks()
        if ticks is None or self.ticks is None:
            return None
        busy = (ticks[0] - self.ticks[0]) / os.sysconf("SC_CLK_TCK")
        others = busy - (self._own() - self.own)
        wall = (time.monotonic() - self.started) * (os.cpu_count() or 1)
        return max(0.0, others / wall) if wall else None


async def benchmark(
    scale: Scale,
    only: Sequence[str],
    options: Options,
    load: dict[str, tuple[float | None, float | None]],
    quiet_wait: float,
) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-update-path-") as directory:
        work = Workspace(Path(directory))
        for name in only:
            if quiet_wait:
                await wait_quiet(quiet_wait)
            before = await background_load()
            meter = OthersMeter()
            started = time.perf_counter()
            print(f"--- {name}", file=sys.stderr, flush=True)
            try:
                rows += await RUNNERS[name](scale, work, options)
            except Exception as error:
                traceback.print_exc()
                rows.append(
                    Row(
                        str(ITEMS.index(name) + 1),
                        f"{name} failed: {error!r}"[:100],
                        "error",
                        "",
                        False,
                    )
                )
            load[name] = (before, meter.share())
            print(f"--- {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return rows


def parse_only(raw: str | None) -> list[str]:
    if not raw:
        return list(ITEMS)
    chosen: list[str] = []
    for part in raw.split(","):
        name = part.strip().lower()
        if name.isdigit() and 1 <= int(name) <= len(ITEMS):
            name = ITEMS[int(name) - 1]
        if name not in ITEMS:
            raise SystemExit(f"--only: unknown {part!r}; choose from {', '.join(ITEMS)} or 1-5")
        chosen.append(name)
    return chosen


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller counts (~3 minutes)")
    parser.add_argument("--only", help=f"comma-separated: {', '.join(ITEMS)} (or 1-5)")
    parser.add_argument("--profile", type=Path, help="write cProfile data of each phase here")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="skip gc.freeze() after each item's set-up (the bot freezes its start-up heap)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each item, wait up to this long for the machine to be idle",
    )
    args = parser.parse_args(argv)
    # Warnings and errors are counted (and the commonest shown), not streamed.
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(TALLY)
    scale = QUICK if args.quick else FULL
    only = parse_only(args.only)
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    started = time.perf_counter()
    load: dict[str, tuple[float | None, float | None]] = {}
    with texts.context(), texts.use_locale("ru"):
        rows = asyncio.run(
            benchmark(
                scale, only, Options(args.profile, not args.no_gc_freeze), load, args.wait_quiet
            )
        )
    print()
    print(
        f"Update path benchmark ({'quick' if args.quick else 'full'}; "
        f"{os.cpu_count()} CPUs; {time.perf_counter() - started:.0f} s)"
    )
    print_table(rows)

    def share(value: float | None) -> str:
        return "?" if value is None else f"{value:.0%}"

    print(
        "CPU taken by other processes (databases included), just before / during each item: "
        + ", ".join(f"{name} {share(a)} / {share(b)}" for name, (a, b) in load.items())
    )


if __name__ == "__main__":
    main()
