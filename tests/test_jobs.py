"""Background jobs: slow work is answered at once and done by the job runner, which reports in
one progress message edited in place, resumes what a crash interrupted, tells the person when
a job fails, and asks again, when a job runs, whether its person may still see the result."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import (
    CopyMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, Message
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import bot.services.roster as roster_service
from bot.callbacks import RosterCb
from bot.delivery.limiter import LocalRateLimiter
from bot.jobs import JobRunner, resolve
from bot.services import jobs
from storage.models import BackgroundJob, JobStatus, Person, PersonRole, Role, RosterUpload
from storage.repositories.jobs import JobsRepo
from tests import seed
from tests.harness import Harness, text_of
from tests.test_questions import COORDINATOR, TEACHER, TUTOR, arrange, copies_to, send
from tests.test_roster import BASIC_PEOPLE, BASIC_SCHOOLS, COORDINATOR_ID, coordinator_place, xlsx

FOREIGN_COORDINATOR_ID = 3009
RECEIVED = "📥 Файл получен, проверяю…"


class RecordingLimiter:
    """Paces nothing, remembers every slot taken and every 429 pause."""

    def __init__(self) -> None:
        self.acquired: list[int] = []
        self.paused: list[float] = []

    async def acquire(self, chat_id: int) -> None:
        self.acquired.append(chat_id)

    async def pause(self, seconds: float) -> None:
        self.paused.append(seconds)


def runner(harness: Harness, **options: Any) -> JobRunner:
    options.setdefault("limiter", LocalRateLimiter(rate_per_second=1_000_000, chat_interval=0))
    return JobRunner(
        harness.bot,
        harness.session_pool,
        harness.dp["settings"],
        harness.dp["texts"],
        harness.dp["templates"],
        **options,
    )


async def all_jobs(db: AsyncSession) -> list[BackgroundJob]:
    db.expire_all()
    return list((await db.scalars(select(BackgroundJob).order_by(BackgroundJob.id))).all())


async def upload_roster(harness: Harness, db: AsyncSession) -> BackgroundJob:
    await coordinator_place(db)
    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(BASIC_PEOPLE, BASIC_SCHOOLS))
    [job] = await all_jobs(db)
    return job


def answered_id(harness: Harness, request: TelegramMethod[Any]) -> int:
    answer = harness.api.answers[id(request)]
    assert isinstance(answer, Message)
    return answer.message_id


def of_type(harness: Harness, chat_id: int, kind: type[Any]) -> list[Any]:
    return [r for r in harness.sent_to(chat_id) if isinstance(r, kind)]


# --- answered at once, done by the job -------------------------------------------------------


async def test_roster_file_is_answered_at_once_and_checked_by_a_job(
    harness: Harness, db: AsyncSession
) -> None:
    job = await upload_roster(harness, db)

    assert harness.last_text(COORDINATOR_ID) == RECEIVED
    assert not any("Новых участников" in text for text in harness.texts_to(COORDINATOR_ID))
    [received] = of_type(harness, COORDINATOR_ID, SendMessage)
    upload_id = await db.scalar(select(RosterUpload.id))
    assert (job.kind, job.status, job.attempts) == (jobs.ROSTER_CHECK, JobStatus.PENDING, 0)
    assert job.payload == {"upload_id": upload_id}, "ids only: no file, no phones"
    assert (job.chat_id, job.locale) == (COORDINATOR_ID, "ru")
    assert job.progress_message_id == answered_id(harness, received)
    harness.clear()

    assert await harness.run_jobs() == 1

    [report] = harness.sent_to(COORDINATOR_ID)
    assert isinstance(report, EditMessageText), "the answer is edited into the report"
    assert report.message_id == job.progress_message_id
    assert "Новых участников: 3" in text_of(report)
    assert harness.buttons(COORDINATOR_ID) == ["✅ Применить", "Отмена"]
    [done] = await all_jobs(db)
    assert (done.status, done.attempts, done.error) == (JobStatus.DONE, 1, None)
    assert done.finished_at is not None and done.lease_until is None
    assert await harness.run_jobs() == 0


async def test_apply_is_a_job_too(harness: Harness, db: AsyncSession) -> None:
    await upload_roster(harness, db)
    await harness.run_jobs()
    people_before = len((await db.scalars(select(Person))).all())

    await harness.press(COORDINATOR_ID, "Применить")

    assert harness.last_text(COORDINATOR_ID) == "⏳ Записываю список участников…"
    [taken_off] = of_type(harness, COORDINATOR_ID, EditMessageReplyMarkup)
    assert taken_off.reply_markup is None, "the report's buttons are gone"
    db.expire_all()
    assert len((await db.scalars(select(Person))).all()) == people_before
    assert await harness.run_jobs() == 1
    assert "Список участников загружен" in harness.last_text(COORDINATOR_ID)
    db.expire_all()
    assert len((await db.scalars(select(Person))).all()) == people_before + 3


async def test_two_applies_of_one_upload_write_once(harness: Harness, db: AsyncSession) -> None:
    """Both presses land before the first job runs: the second job finds the file applied."""
    await upload_roster(harness, db)
    await harness.run_jobs()
    upload_id = await db.scalar(select(RosterUpload.id))
    assert upload_id is not None
    apply = RosterCb(action="apply", upload_id=upload_id).pack()

    await harness.callback(COORDINATOR_ID, apply)
    await harness.callback(COORDINATOR_ID, apply)
    assert await harness.run_jobs() == 2

    texts = harness.texts_to(COORDINATOR_ID)
    assert sum("Список участников загружен" in text for text in texts) == 1
    assert "уже применён" in texts[-1]
    db.expire_all()
    people = (await db.scalars(select(Person.full_name))).all()
    assert len(people) == len(set(people)) == 4


# --- progress ----------------------------------------------------------------------------


async def test_progress_is_edited_in_place_never_sent_again(
    harness: Harness, db: AsyncSession
) -> None:
    job = await upload_roster(harness, db)
    harness.clear()

    await runner(harness, progress_interval=0).drain()

    sent = harness.sent_to(COORDINATOR_ID)
    edits: list[EditMessageText] = of_type(harness, COORDINATOR_ID, EditMessageText)
    assert edits == sent, "nothing but edits: no second message"
    assert {r.message_id for r in edits} == {job.progress_message_id}
    assert [r.text for r in edits[:-1]] == ["⏳ Проверяю файл… 0 %", "⏳ Проверяю файл… 50 %"]
    assert "Новых участников: 3" in text_of(edits[-1])


async def assign_with_history(harness: Harness, db: AsyncSession) -> list[Message]:
    """A teacher without a tutor asks twice; the coordinator assigns the tutor."""
    await arrange(db, with_tutor=False)
    await harness.send(TEACHER, "/ask")
    asked = [
        await send(harness, TEACHER, "Кто мой наставник?"),
        await send(harness, TEACHER, "И ещё вопрос про ОГЭ."),
    ]
    await harness.deliver()
    await harness.press(COORDINATOR, "Назначить наставника")
    await harness.press(COORDINATOR, "Петрова Анна Ивановна")
    return asked


async def test_history_progress_is_one_message_that_becomes_the_count(
    harness: Harness, db: AsyncSession
) -> None:
    await assign_with_history(harness, db)
    assert copies_to(harness, TUTOR) == [], "the assignment answers before any copy"
    harness.clear()

    await runner(harness, progress_interval=0).drain()

    [progress] = of_type(harness, COORDINATOR, SendMessage)
    assert progress.text.startswith("⏳ Пересылаю историю обращения №")
    assert progress.text.endswith("наставнику… 0 %")
    edits = of_type(harness, COORDINATOR, EditMessageText)
    assert {e.message_id for e in edits} == {answered_id(harness, progress)}
    assert [text_of(e).endswith("наставнику… 50 %") for e in edits[:-1]] == [True]
    assert text_of(edits[-1]).endswith("передана, сообщений — 2. Наставник: Петрова А.И.")
    assert len(copies_to(harness, TUTOR)) == 2


async def test_history_is_paced_per_chat_and_waits_out_a_429(
    harness: Harness, db: AsyncSession
) -> None:
    asked = await assign_with_history(harness, db)
    harness.api.fail_next(
        TelegramRetryAfter(
            method=CopyMessage(chat_id=0, from_chat_id=0, message_id=0),
            message="Too Many Requests: retry after 3",
            retry_after=3,
        ),
        method=CopyMessage,
    )
    limiter = RecordingLimiter()

    assert await runner(harness, limiter=limiter).drain() == 1

    assert limiter.acquired == [TUTOR, TUTOR, TUTOR], "a slot per request, the retry too"
    assert limiter.paused == [3]
    copies = copies_to(harness, TUTOR)
    assert [(c.from_chat_id, c.message_id) for c in copies] == [
        (TEACHER, asked[0].message_id),
        (TEACHER, asked[0].message_id),
        (TEACHER, asked[1].message_id),
    ]
    assert "сообщений — 2" in harness.last_text(COORDINATOR)


# --- crashes and failures ------------------------------------------------------------------


async def interrupt(db: AsyncSession, job: BackgroundJob, attempts: int) -> None:
    """As a process that died mid-job leaves it: running, claimed, its lease run out."""
    await db.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job.id)
        .values(
            status=JobStatus.RUNNING,
            attempts=attempts,
            claimed_by="dead-host:1",
            lease_until=datetime.now(UTC) - timedelta(minutes=1),
        )
    )
    await db.commit()


async def test_a_job_interrupted_by_a_crash_is_resumed_once(
    harness: Harness, db: AsyncSession
) -> None:
    job = await upload_roster(harness, db)
    await interrupt(db, job, attempts=1)

    assert await harness.run_jobs() == 1

    reports = [text for text in harness.texts_to(COORDINATOR_ID) if "Новых участников" in text]
    assert len(reports) == 1
    [resumed] = await all_jobs(db)
    assert (resumed.status, resumed.attempts) == (JobStatus.DONE, 2)
    assert await harness.run_jobs() == 0


async def test_a_job_that_keeps_dying_is_failed_and_the_person_told(
    harness: Harness, db: AsyncSession
) -> None:
    job = await upload_roster(harness, db)
    await interrupt(db, job, attempts=3)
    harness.clear()

    assert await harness.run_jobs() == 0

    [told] = harness.sent_to(COORDINATOR_ID)
    assert isinstance(told, EditMessageText) and told.message_id == job.progress_message_id
    assert "несколько раз прерывалась" in text_of(told)
    [failed] = await all_jobs(db)
    assert failed.status == JobStatus.FAILED and failed.error == "interrupted 3 times"


async def test_a_failing_job_tells_the_person_in_words(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(roster_service, "check_upload", broken)
    job = await upload_roster(harness, db)

    assert await harness.run_jobs() == 1

    assert "Не получилось выполнить задачу" in harness.last_text(COORDINATOR_ID)
    [*_, told] = of_type(harness, COORDINATOR_ID, EditMessageText)
    assert told.message_id == job.progress_message_id
    [failed] = await all_jobs(db)
    assert failed.status == JobStatus.FAILED
    assert failed.error is not None and failed.error.startswith("RuntimeError")


async def test_a_telegram_outage_retries_the_job_later(harness: Harness, db: AsyncSession) -> None:
    await upload_roster(harness, db)
    harness.api.fail_next(
        TelegramNetworkError(
            method=EditMessageText(text="…"), message="HTTP Client says - Request timeout error"
        ),
        method=EditMessageText,
    )

    assert await harness.run_jobs() == 1
    [waiting] = await all_jobs(db)
    assert waiting.status == JobStatus.PENDING and waiting.run_after > datetime.now(UTC)
    assert not any("Не получилось" in text for text in harness.texts_to(COORDINATOR_ID))
    assert await harness.run_jobs() == 0, "not before its time"

    await db.execute(update(BackgroundJob).values(run_after=datetime.now(UTC)))
    await db.commit()
    assert await harness.run_jobs() == 1
    assert "Новых участников: 3" in harness.last_text(COORDINATOR_ID)
    [done] = await all_jobs(db)
    assert (done.status, done.attempts) == (JobStatus.DONE, 2)


async def test_an_unreadable_file_is_not_kept(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)
    await harness.upload(COORDINATOR_ID, "список.xlsx", b"not a spreadsheet at all")
    assert await db.scalar(select(RosterUpload.id)) is not None

    await harness.run_jobs()

    assert "Не удалось прочитать файл" in harness.last_text(COORDINATOR_ID)
    db.expire_all()
    assert await db.scalar(select(RosterUpload.id)) is None


# --- privacy ---------------------------------------------------------------------------------


async def test_another_coordinator_cannot_queue_or_see_someone_elses_job(
    harness: Harness, db: AsyncSession
) -> None:
    await upload_roster(harness, db)
    foreign, _, _ = await seed.place(db, "Кировский городской округ")
    await seed.person(
        db,
        name="Зайцева Нина Петровна",
        roles=[Role.COORDINATOR],
        municipality=foreign,
        telegram_id=FOREIGN_COORDINATOR_ID,
    )
    await db.commit()
    upload_id = await db.scalar(select(RosterUpload.id))
    assert upload_id is not None

    await harness.callback(
        FOREIGN_COORDINATOR_ID, RosterCb(action="apply", upload_id=upload_id).pack()
    )
    await harness.callback(FOREIGN_COORDINATOR_ID, f"ro:for:{upload_id}:{foreign.id}")
    await harness.run_jobs()

    foreign_texts = harness.texts_to(FOREIGN_COORDINATOR_ID)
    assert foreign_texts and all("загрузка не найдена" in text for text in foreign_texts)
    [job] = await all_jobs(db)
    assert job.kind == jobs.ROSTER_CHECK and job.chat_id == COORDINATOR_ID
    assert "Новых участников: 3" in harness.last_text(COORDINATOR_ID)


async def test_a_job_asks_again_whether_its_person_may_see_the_result(
    harness: Harness, db: AsyncSession
) -> None:
    """The coordinator is relieved of the municipality between the upload and the check."""
    await upload_roster(harness, db)
    await db.execute(delete(PersonRole).where(PersonRole.role == Role.COORDINATOR))
    await db.commit()

    await harness.run_jobs()

    assert "загрузка не найдена" in harness.last_text(COORDINATOR_ID)
    assert not any("Новых участников" in text for text in harness.texts_to(COORDINATOR_ID))


async def test_forget_removes_the_persons_jobs_and_mydata_lists_them(
    harness: Harness, db: AsyncSession
) -> None:
    await upload_roster(harness, db)

    await harness.send(COORDINATOR_ID, "/mydata")
    # The readable document, then the JSON for machines.
    _, document = of_type(harness, COORDINATOR_ID, SendDocument)
    assert isinstance(document.document, BufferedInputFile)
    exported = json.loads(document.document.data)
    assert [(j["kind"], j["status"]) for j in exported["background_jobs"]] == [
        (jobs.ROSTER_CHECK, "pending")
    ]

    await harness.send(COORDINATOR_ID, "/forget")
    await harness.press(COORDINATOR_ID, "Да, удалить")
    harness.clear()

    assert await all_jobs(db) == []
    assert await harness.run_jobs() == 0
    assert harness.sent_to(COORDINATOR_ID) == []


async def test_a_job_whose_person_is_forgotten_meanwhile_says_nothing(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/forget lands while the check runs: the result is not shown."""
    real = roster_service.check_upload

    async def forgotten_meanwhile(*args: Any) -> Any:
        async with harness.session_pool.begin() as session:
            await session.execute(delete(BackgroundJob))
        return await real(*args)

    monkeypatch.setattr(roster_service, "check_upload", forgotten_meanwhile)
    await upload_roster(harness, db)
    harness.clear()

    await harness.run_jobs()

    assert harness.sent_to(COORDINATOR_ID) == []


# --- the runner's loop -----------------------------------------------------------------------


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_runner_runs_jobs_until_stopped(harness: Harness, db: AsyncSession) -> None:
    await upload_roster(harness, db)
    jobs_runner = runner(harness, idle_seconds=0.01)
    task = asyncio.create_task(jobs_runner.run())

    async def done() -> bool:
        return [j.status for j in await all_jobs(db)] == [JobStatus.DONE]

    await until(done)
    jobs_runner.stop()
    await asyncio.wait_for(task, 5)
    assert "Новых участников: 3" in harness.last_text(COORDINATOR_ID)


async def test_a_job_running_at_stop_is_put_back_for_the_next_start(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def endless(*_: Any) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(roster_service, "check_upload", endless)
    await upload_roster(harness, db)
    jobs_runner = runner(harness, idle_seconds=0.01, stop_grace_seconds=0.05)
    task = asyncio.create_task(jobs_runner.run())

    async def running() -> bool:
        return [j.status for j in await all_jobs(db)] == [JobStatus.RUNNING]

    await until(running)
    jobs_runner.stop()
    await asyncio.wait_for(task, 5)

    [job] = await all_jobs(db)
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.PENDING, 0, None)
    assert not any("Не получилось" in text for text in harness.texts_to(COORDINATOR_ID))


# --- the pieces ----------------------------------------------------------------------------


async def test_one_job_per_person_at_a_time(harness: Harness, db: AsyncSession) -> None:
    mun, _, _ = await seed.place(db)
    first = await seed.person(db, name="Первая", roles=[Role.COORDINATOR], municipality=mun)
    second = await seed.person(db, name="Второй", roles=[Role.COORDINATOR], municipality=mun)
    for person in (first, first, second):
        await jobs.enqueue(
            db, jobs.ROSTER_CHECK, {"upload_id": 1}, person=person, chat_id=1, locale="ru"
        )
    await db.commit()

    now = datetime.now(UTC)
    async with harness.session_pool.begin() as session:
        claimed = await JobsRepo(session).claim_due(
            worker="w", now=now, lease=timedelta(minutes=1), limit=10
        )
    assert sorted(j.person_id for j in claimed) == sorted([first.id, second.id])
    async with harness.session_pool.begin() as session:
        more = await JobsRepo(session).claim_due(
            worker="w", now=now, lease=timedelta(minutes=1), limit=10
        )
    assert more == [], "the first person's second job waits for their first"


async def test_enqueue_takes_known_kinds_and_small_payloads_only(db: AsyncSession) -> None:
    mun, _, _ = await seed.place(db)
    person = await seed.person(db, name="Некто", roles=[Role.COORDINATOR], municipality=mun)

    with pytest.raises(ValueError, match="unknown job kind"):
        await jobs.enqueue(db, "os:system", {}, person=person, chat_id=1, locale="ru")
    for payload in ({"content": b"x" * 10}, {"text": "x" * 500}):
        with pytest.raises(ValueError, match="an id or a short value"):
            await jobs.enqueue(
                db, jobs.ROSTER_CHECK, payload, person=person, chat_id=1, locale="ru"
            )


@pytest.mark.parametrize("kind", jobs.KINDS)
def test_every_kind_names_a_job_function(kind: str) -> None:
    assert asyncio.iscoroutinefunction(resolve(kind))
