"""The update path: stored before acknowledged, people concurrently, each person in order,
429s waited out, floods slowed instead of dropped, no write lock held across a Bot API call."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiogram import BaseMiddleware, Bot, Router
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import CopyMessage, SendMessage, SetMyCommands, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message, TelegramObject, Update
from redis.asyncio import Redis
from sqlalchemy import event, func, select
from sqlalchemy import update as update_table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import create_bot, create_dispatcher
from bot.callbacks import ConsultationCb, LanguageCb, PrivacyCb, QuestionCb
from bot.delivery.outbox import Recipient, enqueue_broadcast
from bot.updates import UpdatePath
from bot.updates.requests import RetryReplies
from config.settings import Settings
from storage.db import TrackedSession
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Community,
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
    InboxStatus,
    InboxUpdate,
    Person,
    PersonRole,
    Role,
    Thread,
    ThreadMessage,
)
from tests import seed
from tests.factories import make_message, make_user, update_with
from tests.harness import Harness, text_of
from tests.recording_session import RecordingSession

TEACHER = 3001
TUTOR = 4001


async def teacher_with_tutor(db: AsyncSession) -> None:
    mun, school, leader = await seed.place(db)
    teacher = await seed.person(
        db,
        name="Иванова Мария Петровна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER,
    )
    tutor = await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR,
    )
    await seed.assign_tutor(db, tutor, teacher)
    await db.commit()


def minutes_ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def answered_texts(harness: Harness, chat_id: int) -> list[str]:
    """What reached the person: requests Telegram accepted (refused ones are recorded too)."""
    answered = {id(r): r for r in harness.sent_to(chat_id) if id(r) in harness.api.answers}
    return [text_of(r) for r in answered.values() if text_of(r)]


def copies_to(harness: Harness, chat_id: int) -> list[CopyMessage]:
    return [r for r in harness.sent_to(chat_id) if isinstance(r, CopyMessage)]


class SlowSession(RecordingSession):
    """Answers each request after a random delay (0–15 ms), as Telegram's latency varies."""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        await asyncio.sleep(random.uniform(0, 0.015))
        return await super().make_request(bot, method, timeout)


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(
    settings: Settings,
    session_pool: async_sessionmaker[AsyncSession],
    redis: Redis | None,
) -> AsyncIterator[HarnessFactory]:
    """A harness with its own settings and fake Telegram (the default one is for most tests)."""
    built: list[Harness] = []

    async def build(api: RecordingSession | None = None, **overrides: Any) -> Harness:
        tuned = settings.model_copy(update=overrides)
        api = api or RecordingSession()
        dp = create_dispatcher(tuned, session_pool, redis=redis)
        harness = Harness(
            dp=dp, bot=create_bot(tuned, session=api), api=api, session_pool=session_pool
        )
        await harness.started_path()
        built.append(harness)
        return harness

    yield build
    for harness in built:
        assert harness.path is not None
        await harness.path.stop()
        await harness.dp.storage.close()


# --- durability -------------------------------------------------------------------------------


async def test_an_update_stored_but_not_handled_is_handled_once_at_the_next_start(
    harness: Harness, make_harness: HarnessFactory, db: AsyncSession
) -> None:
    # The process dies right after the intake committed: nothing was handled.
    path = await harness.started_path()
    await path.stop()
    update = update_with(message=make_message(harness.user(TEACHER), "/start"))
    await path.intake.accept([update])
    assert await db.scalar(select(InboxUpdate.status)) == InboxStatus.PENDING
    assert harness.sent_to(TEACHER) == []
    # It happened a while ago (with several processes, only then is an update known orphaned).
    await db.execute(update_table(InboxUpdate).values(received_at=minutes_ago(5)))
    await db.commit()

    restarted = await make_harness(api=harness.api)
    await restarted.path.idle()  # type: ignore[union-attr]

    assert len(harness.texts_to(TEACHER)) == 1
    db.expire_all()
    row = await db.scalar(select(InboxUpdate))
    assert row is not None and row.status == InboxStatus.DONE and row.attempts == 1
    assert row.payload is None, "what the person wrote is not kept once handled"


class ClosingGate:
    """Holds the first database session closed after the bot replied, until released."""

    def __init__(self) -> None:
        self.armed = False
        self.closing = asyncio.Event()
        self.release = asyncio.Event()

    def session_class(self) -> type[AsyncSession]:
        gate = self

        class GatedSession(AsyncSession):
            async def close(self) -> None:
                if gate.armed:
                    gate.armed = False
                    gate.closing.set()
                    await gate.release.wait()
                await super().close()

        return GatedSession


class ArmingSession(RecordingSession):
    """Arms the gate once the bot's reply went out."""

    def __init__(self, gate: ClosingGate) -> None:
        super().__init__()
        self.gate = gate

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        answer = await super().make_request(bot, method, timeout)
        self.gate.armed = True
        return answer


async def test_a_stop_while_a_handled_update_closes_its_session_still_marks_it_done(
    settings: Settings, engine: AsyncEngine, redis: Redis | None, db: AsyncSession
) -> None:
    # SIGTERM right after the reply went out, as the update's session is being closed: the stop
    # waits for that update and marks it done, or the next start would reply a second time.
    gate = ClosingGate()
    pool = async_sessionmaker(
        engine,
        class_=gate.session_class(),
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=TrackedSession,
    )
    api = ArmingSession(gate)
    dp = create_dispatcher(settings, pool, redis=redis)
    bot = create_bot(settings, session=api)
    path = UpdatePath.for_dispatcher(dp, bot)
    await path.start()
    try:
        await path.intake.accept([update_with(message=make_message(make_user(TEACHER), "/help"))])
        async with asyncio.timeout(30):
            await gate.closing.wait()
        stopping = asyncio.create_task(path.workers.stop())
        await asyncio.sleep(0)  # the stop's first step: it decides which updates to cut short
        assert path.workers.stopping
        gate.release.set()
        await stopping
    finally:
        gate.release.set()
        await path.stop()
        await dp.storage.close()
        await bot.session.close()

    assert api.requests, "the bot replied"
    row = await db.scalar(select(InboxUpdate))
    assert row is not None and row.status == InboxStatus.DONE


async def test_an_update_that_keeps_crashing_the_bot_is_given_up_after_three_restarts(
    harness: Harness, make_harness: HarnessFactory, db: AsyncSession
) -> None:
    db.add(
        InboxUpdate(
            update_id=9,
            person_key=TEACHER,
            payload={"update_id": 9},
            attempts=3,
            received_at=minutes_ago(5),
        )
    )
    await db.commit()

    await make_harness()

    db.expire_all()
    row = await db.get(InboxUpdate, 9)
    assert row is not None and row.status == InboxStatus.FAILED


async def test_the_same_update_twice_at_once_is_handled_once(harness: Harness) -> None:
    update = update_with(message=make_message(harness.user(TEACHER), "/start"))
    path = await harness.started_path()
    await asyncio.gather(path.intake.accept([update]), path.intake.accept([update]))
    await path.idle()

    assert len([r for r in harness.sent_to(TEACHER) if isinstance(r, SendMessage)]) == 1


# --- concurrency and order ----------------------------------------------------------------------


class Seen(BaseMiddleware):
    """Notes which updates the dispatcher handled, in what order, and how many at once."""

    def __init__(self) -> None:
        self.order: dict[int, list[int]] = {}
        self.active = 0
        self.most_at_once = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update) and event.message and event.message.from_user
        self.order.setdefault(event.message.from_user.id, []).append(event.update_id)
        self.active += 1
        self.most_at_once = max(self.most_at_once, self.active)
        try:
            return await handler(event, data)
        finally:
            self.active -= 1


async def test_people_are_handled_concurrently_each_in_arrival_order(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(api=SlowSession())
    seen = Seen()
    harness.dp.update.outer_middleware(seen)
    people = [make_user(7000 + n) for n in range(20)]
    batch = [
        update_with(message=make_message(person, text))
        for text in ("/start", "/help", "/privacy", "/menu", "/language")
        for person in people
    ]

    await harness.feed_many(batch)

    for person in people:
        sent = [u.update_id for u in batch if u.message and u.message.from_user == person]
        assert seen.order[person.id] == sent
        assert len(harness.texts_to(person.id)) >= 5, "every update answered"
    assert seen.most_at_once > 1, "different people were handled at the same time"


# --- Telegram refusing: 429, 5xx, network ---------------------------------------------------------


async def test_a_question_meeting_429_during_a_broadcast_is_relayed_not_lost(
    harness: Harness, db: AsyncSession
) -> None:
    await teacher_with_tutor(db)
    await harness.send(TEACHER, "/ask")
    mun_id = await db.scalar(select(Person.municipality_id).where(Person.telegram_id == TUTOR))
    broadcast = Broadcast(
        municipality_id=mun_id, text="Объявление", recipients=30, status=BroadcastStatus.SENDING
    )
    db.add(broadcast)
    await db.flush()
    people = await db.scalars(select(Person).where(Person.telegram_id.is_not(None)))
    await enqueue_broadcast(
        db,
        harness.dp["settings"],
        broadcast,
        [Recipient(p.id, p.telegram_id or 0, "Europe/Moscow") for p in people] * 10,
    )
    await db.commit()
    # The broadcast used the whole budget: Telegram answers 429 to the next requests.
    for _ in range(3):
        harness.api.fail_next(
            TelegramRetryAfter(
                method=SendMessage(chat_id=0, text="x"),
                message="Too Many Requests",
                retry_after=1,
            )
        )
    started = time.monotonic()
    await asyncio.gather(harness.deliver(), harness.send(TEACHER, "Как оценивать ВПР?"))

    assert time.monotonic() - started >= 1, "the 429 was waited out"
    assert len(copies_to(harness, TUTOR)) == 1, "the question reached the tutor"
    assert any("передано. Наставник:" in text for text in answered_texts(harness, TEACHER))
    stored = await db.scalar(
        select(func.count())
        .select_from(ThreadMessage)
        .where(ThreadMessage.source_chat_id == TEACHER)
    )
    assert stored and stored >= 1
    db.expire_all()
    statuses = set((await db.scalars(select(InboxUpdate.status))).all())
    assert statuses == {InboxStatus.DONE}


async def test_a_reply_telegram_cannot_take_yet_keeps_the_update_until_it_can(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.updates.workers.RETRY_FIRST_SECONDS", 0.05)
    for rule in harness.bot.session.middleware:
        if isinstance(rule, RetryReplies):
            rule.attempts = 1  # the reply gives up at once: the update itself must be kept
    for _ in range(3):  # more failures than one reply's retries
        harness.api.fail_next(
            TelegramNetworkError(method=SendMessage(chat_id=TEACHER, text="x"), message="timeout"),
            method=SendMessage,
        )
    await harness.send(TEACHER, "/start")

    texts = answered_texts(harness, TEACHER)
    assert len(texts) == 1 and "персональных данных" in texts[0]
    assert "что-то пошло не так" not in "".join(texts)
    assert await db.scalar(select(InboxUpdate.status)) == InboxStatus.DONE


# --- floods --------------------------------------------------------------------------------------


async def test_25_questions_in_a_burst_are_all_relayed_the_last_ones_slowed(
    make_harness: HarnessFactory, db: AsyncSession
) -> None:
    await teacher_with_tutor(db)
    harness = await make_harness(flood_messages=20, flood_window_seconds=1.0)
    await harness.send(TEACHER, "/ask")
    harness.clear()
    teacher = harness.user(TEACHER)
    burst = [update_with(message=make_message(teacher, f"Вопрос {n}")) for n in range(25)]

    started = time.monotonic()
    await harness.feed_many(burst)

    assert len(copies_to(harness, TUTOR)) == 25, "nothing dropped"
    assert time.monotonic() - started >= 0.5, "the person was slowed down"
    assert not any("Слишком много" in text for text in harness.texts_to(TEACHER))


async def test_an_album_counts_once_towards_the_flood_limit(make_harness: HarnessFactory) -> None:
    harness = await make_harness(flood_messages=3, flood_window_seconds=30.0)
    person = make_user(TEACHER)
    album = [
        update_with(
            message=make_message(person, None, media_group_id="album-1", caption=f"фото {n}")
        )
        for n in range(10)
    ]
    started = time.monotonic()
    await harness.feed_many(album)

    assert time.monotonic() - started < 5, "ten photos of one album were not paced as ten"


async def test_hundreds_a_minute_are_refused_and_the_person_is_told_so(
    make_harness: HarnessFactory, db: AsyncSession
) -> None:
    harness = await make_harness(flood_messages=1000, flood_abuse_per_minute=10)
    person = make_user(TEACHER)
    await harness.feed_many([update_with(message=make_message(person, "/help")) for _ in range(15)])

    notices = [t for t in harness.texts_to(TEACHER) if "больше 10 сообщений за минуту" in t]
    assert len(notices) == 1
    refused = await db.scalar(
        select(func.count())
        .select_from(InboxUpdate)
        .where(InboxUpdate.status == InboxStatus.REFUSED)
    )
    assert refused == 5


# --- the write-lock rule ----------------------------------------------------------------------


def writes_then_sends() -> Router:
    """A handler written the careless way: it writes, then talks to Telegram, then writes."""
    router = Router(name="careless")

    @router.message()
    async def careless(message: Message, session: AsyncSession) -> None:
        # Any write takes SQLite's write lock (a repeated grant would now break a unique index).
        await session.execute(
            update_table(Person).where(Person.id == 1).values(updated_at=func.now())
        )
        await message.answer("Записано")
        await message.answer("И ещё раз")

    return router


async def test_no_write_lock_is_held_while_a_handler_waits_on_telegram(
    settings: Settings, make_harness: HarnessFactory, db: AsyncSession
) -> None:
    if not settings.is_sqlite:
        pytest.skip("the probe opens the SQLite file from a second connection")
    await teacher_with_tutor(db)
    api = RecordingSession()
    api.probe_database = str(settings.sqlite_path())
    harness = await make_harness(api=api)
    careless = harness.dp.include_router(writes_then_sends())
    harness.dp.sub_routers.remove(careless)
    harness.dp.sub_routers.insert(0, careless)  # asked before every other router

    await harness.send(TEACHER, "не команда и не кнопка")
    await harness.send(TEACHER, "/menu")

    assert api.write_locked_during == []
    assert "Записано" in harness.texts_to(TEACHER)


# --- a lean hot path ---------------------------------------------------------------------------


class StatementCounter:
    """Counts SQL statements the database receives (commits and pragmas aside)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("PRAGMA"):
            self.statements.append(statement.split("\n")[0][:120])


@pytest.mark.parametrize(
    ("user_id", "button"),
    [
        (TEACHER, "🧑‍🏫 Мой наставник"),
        (TEACHER, "❓ Помощь"),
        (TEACHER, "🤝 Сообщества"),
        (TUTOR, "📨 Обращения"),
        (TUTOR, "👥 Мои педагоги"),
    ],
)
async def test_a_menu_button_of_a_registered_person_costs_at_most_four_statements(
    harness: Harness, db: AsyncSession, engine: AsyncEngine, user_id: int, button: str
) -> None:
    await teacher_with_tutor(db)
    await harness.send(user_id, "/menu")  # commands set once, dialog state settled
    harness.clear()

    with StatementCounter(engine) as counter:
        await harness.send(user_id, button)

    assert harness.texts_to(user_id), "answered"
    handling = [s for s in counter.statements if "inbox_updates" not in s]
    assert len(handling) <= 4, "\n".join(counter.statements)


async def test_the_command_list_is_set_only_when_language_or_roles_change(
    harness: Harness, db: AsyncSession
) -> None:
    await teacher_with_tutor(db)

    for _ in range(3):
        await harness.send(TEACHER, "/menu")
    assert len([r for r in harness.requests if isinstance(r, SetMyCommands)]) == 1

    await seed_role(db, TEACHER, Role.TUTOR)
    await harness.send(TEACHER, "/menu")
    assert len([r for r in harness.requests if isinstance(r, SetMyCommands)]) == 2


async def seed_role(db: AsyncSession, telegram_id: int, role: Role) -> None:
    person = await db.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert person is not None
    db.add(PersonRole(person_id=person.id, role=role))
    await db.commit()


async def test_two_processes_keep_one_persons_order_between_them(
    make_harness: HarnessFactory, redis: Redis | None
) -> None:
    if redis is None:
        pytest.skip("several processes share a person's lock through Redis")
    api = SlowSession()
    first, second = await make_harness(api=api), await make_harness(api=api)
    seen = Seen()
    first.dp.update.outer_middleware(seen)
    second.dp.update.outer_middleware(seen)
    person = make_user(TEACHER)
    updates = [
        update_with(message=make_message(person, text))
        for text in ("/start", "/help", "/privacy", "/menu", "/language", "/help") * 3
    ]

    # Telegram sends a chat's next update once the previous one was stored (answered 200),
    # and the balancer spreads them over both processes.
    for index, one in enumerate(updates):
        await (first if index % 2 else second).path.intake.accept([one])  # type: ignore[union-attr]
    await asyncio.gather(first.path.idle(), second.path.idle())  # type: ignore[union-attr]

    assert seen.order[TEACHER] == [u.update_id for u in updates]


# Inline buttons of a registered person, pressed in this order (some need the one before), and
# their SQL budget. Four for every button; closing a thread writes twice (the thread and the
# notice queued for the tutor) after three reads (sender, thread, who answers for the tutor).
CONSULTATION = 1  # the first consultation row: `consultation_with_teacher` adds it
CALLBACK_BUDGETS: list[tuple[int, Callable[[int], str], int]] = [
    (TEACHER, lambda thread: QuestionCb(action="open", thread_id=thread).pack(), 4),
    (TUTOR, lambda thread: QuestionCb(action="open", thread_id=thread).pack(), 4),
    (TUTOR, lambda _: ConsultationCb(action="mine").pack(), 4),
    (TUTOR, lambda _: ConsultationCb(action="edit", value=CONSULTATION).pack(), 4),
    (TUTOR, lambda _: ConsultationCb(action="new").pack(), 4),
    (TUTOR, lambda _: QuestionCb(action="away").pack(), 4),
    (TUTOR, lambda _: QuestionCb(action="back").pack(), 4),
    (TUTOR, lambda thread: QuestionCb(action="answer", thread_id=thread).pack(), 4),
    (TEACHER, lambda _: LanguageCb(locale="ru").pack(), 4),
    (TEACHER, lambda _: PrivacyCb(action="language").pack(), 4),
    (TEACHER, lambda thread: QuestionCb(action="close", thread_id=thread).pack(), 5),
    (TEACHER, lambda thread: QuestionCb(action="rate", thread_id=thread, value=5).pack(), 4),
]


async def test_every_callback_of_a_registered_person_keeps_its_statement_budget(
    harness: Harness, db: AsyncSession, engine: AsyncEngine
) -> None:
    await teacher_with_tutor(db)
    await harness.send(TEACHER, "/ask")
    await harness.send(TEACHER, "Как готовить к ВПР?")
    for user_id in (TEACHER, TUTOR):
        await harness.send(user_id, "/menu")  # commands set once, dialog state settled
    thread_id = await db.scalar(select(Thread.id))
    assert thread_id is not None
    await consultation_with_teacher(db, thread_id)

    over: list[str] = []
    for user_id, data_of, budget in CALLBACK_BUDGETS:
        data = data_of(thread_id)
        harness.clear()
        with StatementCounter(engine) as counter:
            await harness.callback(user_id, data)
        assert harness.sent_to(user_id), f"{data}: answered"
        handling = [s for s in counter.statements if "inbox_updates" not in s]
        if len(handling) > budget:
            over.append(f"{data} ({len(handling)} > {budget}):\n  " + "\n  ".join(handling))
    assert not over, "\n".join(over)


async def consultation_with_teacher(db: AsyncSession, thread_id: int) -> None:
    """One held this month, so the tutor's month shows a consultation with its teacher."""
    thread = await db.get(Thread, thread_id)
    assert thread is not None and thread.school_id is not None
    consultation = Consultation(
        tutor_id=thread.tutor_id,
        school_id=thread.school_id,
        municipality_id=thread.municipality_id,
        held_on=date.today(),
        format=ConsultationFormat.ONLINE,
        block=CompetenceBlock.SUBJECT,
        topic="Подготовка к ВПР",
        duration_minutes=40,
    )
    db.add(consultation)
    await db.flush()
    db.add(ConsultationTeacher(consultation_id=consultation.id, teacher_id=thread.teacher_id))
    await db.commit()


async def test_joining_leaving_and_opening_cost_at_most_four_statements(
    harness: Harness, db: AsyncSession, engine: AsyncEngine
) -> None:
    await teacher_with_tutor(db)
    municipality_id = await db.scalar(
        select(Person.municipality_id).where(Person.telegram_id == TEACHER)
    )
    db.add(Community(municipality_id=municipality_id, name="Инфомир", is_active=True))
    await db.commit()
    await harness.send(TEACHER, "/ask")
    await harness.send(TEACHER, "Как готовить к ВПР?")
    await harness.send(TEACHER, "🤝 Сообщества")
    await harness.send(TUTOR, "📨 Обращения")

    for user_id, button in [(TEACHER, "Вступить"), (TEACHER, "Выйти"), (TUTOR, "Открыть")]:
        with StatementCounter(engine) as counter:
            await harness.press(user_id, button)
        handling = [s for s in counter.statements if "inbox_updates" not in s]
        assert len(handling) <= 4, f"{button}:\n" + "\n".join(counter.statements)
