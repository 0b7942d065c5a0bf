"""The program year of issue 12 through the real sweeps and the dispatcher, with a controlled
clock, on SQLite and on PostgreSQL + Redis like every test.

The story (Грачёвский округ, a calendar-year municipality; its schools «СОШ № 2» (A) and
«СОШ № 1» (B) take part in 2027, each with an active leader; one coordinator, one tutor):

- 10.01.2027: the coordinator opens /plan and applies year 2 of the Grachevka template to 2027
  (25 deadlines; 2.9 is left to the monitoring module); the monitoring sweep makes the three
  stages (entry 01.03–31.03, interim in September, final in November), a task per school each.
- The deadlines sweep runs every day at 10:00 Moscow time from 01.02 to 02.04 (offsets 14, 7,
  1, 0 days; then daily for 30 days past due; `bot.services.deadline_reminders.key_for`):
  - the coordinator's item 2.6, first occurrence (01.02–28.02, no exchange event held): on
    14.02, 21.02, 27.02, 28.02, then «overdue» every day 01.03–30.03 (30 days) — 34 in all;
    nobody else is alerted (the region has no admin to tell);
  - the entry stage (due 31.03): both leaders on 17.03, 24.03 and 30.03;
  - 24.03: a new app (dispatcher, settings, texts) on the same database re-runs both sweeps at
    the same moment and queues nothing; the rest of the year runs on it;
  - 30.03: leader A presses «Заполнить мониторинг» in that day's reminder and submits the
    self-evaluation at 15:00;
  - 31.03: the sweep marks A's stage task done from the records: A gets nothing more; B gets
    «сегодня срок» on 31.03 and «просрочено» on 01.04 and 02.04; the coordinator one alert, on
    01.04, naming «СОШ № 1» only.
- 02.04: the board (monitoring filter) shows the entry stage 1 done / 1 overdue (B named); the
  KPI report for 2027 (program 002 of the default list has DL-MONITOR): stage tasks due by
  02.04 = the entry stage's 2, submitted 1 → 50.0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Dispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import create_dispatcher
from bot.callbacks import TaskCb
from bot.handlers import plan_templates as plan_handlers
from bot.scheduler import JobContext
from bot.scheduler import deadlines as deadlines_sweep
from bot.scheduler import monitoring as monitoring_sweep
from bot.services import kpi, monitoring, program_years, scenarios, status_board, survey_runner
from storage.models import (
    Deadline,
    DeadlineKind,
    DeadlineTask,
    Delivery,
    MonitoringStage,
    Person,
    ProgramLevel,
    Role,
    TaskStatus,
    YearKind,
)
from storage.repositories.status_board import Counts
from tests import seed
from tests.harness import Harness
from tests.reach import answer_everything

MSK = ZoneInfo("Europe/Moscow")
YEAR = 2027
COORDINATOR, TUTOR, LEADER_A, LEADER_B = 8701, 8702, 8703, 8704
RESTART = date(2027, 3, 24)
SUBMITTED = date(2027, 3, 30)
TODAY = date(2027, 4, 2)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=MSK).astimezone(UTC)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class _January(datetime):
    """The /plan screens' clock: 10 January 2027 (nothing of the year is past yet)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _January:
        return cls(2027, 1, 10, 9, 0, tzinfo=UTC)


def job_context(harness: Harness, dp: Dispatcher | None = None) -> JobContext:
    """The jobs' context of the test's app, or of another app on the same database."""
    source = dp or harness.dp
    return JobContext(
        bot=harness.bot,
        session_pool=harness.session_pool,
        settings=source["settings"],
        texts=source["texts"],
        templates=source["templates"],
    )


async def arrange(db: AsyncSession) -> dict[str, int]:
    mun, school_a, school_b = await seed.place(db)
    mun.year_kind = YearKind.CALENDAR.value
    for school in (school_a, school_b):
        await program_years.set_participation(
            db, school, YEAR, low_results=True, unfavourable_conditions=False,
            level=ProgramLevel.REGIONAL,
        )  # fmt: skip
    coordinator = await seed.person(
        db, name="Координатор Гусева", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    await seed.person(
        db, name="Тьютор Орлова", roles=[Role.TUTOR], municipality=mun, telegram_id=TUTOR
    )
    leader_a = await seed.person(
        db, name="Директор Андреева", roles=[Role.SCHOOL_LEADER], municipality=mun,
        school=school_a, telegram_id=LEADER_A,
    )  # fmt: skip
    leader_b = await seed.person(
        db, name="Директор Борисов", roles=[Role.SCHOOL_LEADER], municipality=mun,
        school=school_b, telegram_id=LEADER_B,
    )  # fmt: skip
    await db.commit()
    return {
        "mun": mun.id, "region": mun.region_id, "a": school_a.id, "b": school_b.id,
        "coordinator": coordinator.id, "leader_a": leader_a.id, "leader_b": leader_b.id,
    }  # fmt: skip


@dataclass(frozen=True)
class Queued:
    """A deadline message queued by the sweep of `day` (plain values: rows expire)."""

    day: date
    key: str
    person_id: int | None
    text: str
    markup: dict[str, Any] | None


class Log:
    """The deadline messages queued, by the day of the sweep that queued them."""

    def __init__(self) -> None:
        self.rows: list[Queued] = []
        self.last_id = 0

    async def take(self, db: AsyncSession, day: date) -> list[Queued]:
        db.expire_all()
        query = (
            select(Delivery)
            .where(Delivery.kind == "deadline_reminder", Delivery.id > self.last_id)
            .order_by(Delivery.id)
        )
        found = list((await db.scalars(query)).all())
        if found:
            self.last_id = found[-1].id
        taken = [
            Queued(day, r.dedup_key or "", r.person_id, r.payload["text"], r.payload.get("markup"))
            for r in found
        ]
        self.rows.extend(taken)
        return taken

    def of_task(self, task_id: int) -> list[Queued]:
        return [row for row in self.rows if row.key.startswith(f"deadline:{task_id}:")]

    def reminders(self, task_id: int, person_id: int) -> list[date]:
        return [row.day for row in self.of_task(task_id) if row.person_id == person_id]

    def alerts(self, deadline_id: int) -> list[Queued]:
        return [row for row in self.rows if row.key.startswith(f"deadline-alert:{deadline_id}:")]


async def task_of(db: AsyncSession, deadline_id: int, **where: int) -> DeadlineTask:
    query = select(DeadlineTask).where(DeadlineTask.deadline_id == deadline_id)
    for column, value in where.items():
        query = query.where(getattr(DeadlineTask, column) == value)
    task = await db.scalar(query)
    assert task is not None
    return task


async def submit_from_the_reminder(
    harness: Harness, reminder: Queued, person_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leader A presses the reminder's «Заполнить мониторинг» and answers everything."""
    monkeypatch.setattr(survey_runner, "_now", lambda: at(SUBMITTED, 15))
    assert reminder.markup is not None
    rows = reminder.markup["data"]["inline_keyboard"]
    button = next(b for row in rows for b in row if "мониторинг" in b["text"])
    task_id = TaskCb.unpack(button["callback_data"]).task_id
    assert TaskCb.unpack(button["callback_data"]).action == "stage"
    await harness.callback(LEADER_A, button["callback_data"])
    first = scenarios.get("self_eval_leader").scenario.sections[0].questions[0]
    assert first.text.get("ru")[:40] in harness.last_text(LEADER_A)
    async with harness.session_pool() as session:
        leader = await session.get(Person, person_id)
        assert leader is not None
        await session.refresh(leader, ["roles"])
        response_id = await monitoring.begin_stage(session, leader, task_id)  # the open one
        await answer_everything(session, leader, response_id)
        await survey_runner.submit(session, leader, response_id)
        await session.commit()


async def test_a_program_year_plan_stages_reminders_restart_submission_board_kpi(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await arrange(db)

    # 10 January: the coordinator applies year 2 of the Grachevka plan to 2027 by the buttons.
    monkeypatch.setattr(plan_handlers, "datetime", _January)
    await harness.send(COORDINATOR, "/plan")
    await harness.press(COORDINATOR, "Грачёвский")
    await harness.press(COORDINATOR, f"{YEAR}: год 2")
    await harness.press(COORDINATOR, "Создать сроки")
    assert "Создано сроков: 25" in harness.last_text(COORDINATOR)
    monkeypatch.undo()
    first = job_context(harness)
    made = await monitoring_sweep.run(first, date(2027, 1, 10))
    assert made == monitoring.Ensured(created=3, tasks=6)

    entry = await db.scalar(select(Deadline).where(Deadline.stage == MonitoringStage.ENTRY))
    exchange = await db.scalar(
        select(Deadline).where(Deadline.item_code == "2.6").order_by(Deadline.due_on).limit(1)
    )
    assert entry is not None and exchange is not None
    assert (entry.kind, entry.starts_on, entry.due_on) == (
        DeadlineKind.MONITORING, date(2027, 3, 1), date(2027, 3, 31),
    )  # fmt: skip
    assert (exchange.starts_on, exchange.due_on) == (date(2027, 2, 1), date(2027, 2, 28))
    assert await db.scalar(select(Deadline).where(Deadline.item_code == "2.9")) is None
    entry_id, exchange_id = entry.id, exchange.id  # the rows expire as the sweeps commit
    stage_a = (await task_of(db, entry.id, school_id=ids["a"])).id
    stage_b = (await task_of(db, entry.id, school_id=ids["b"])).id
    own = (await task_of(db, exchange.id, person_id=ids["coordinator"])).id

    log = Log()
    job = first
    restarted = None
    try:
        for day in days(date(2027, 2, 1), TODAY):
            await deadlines_sweep.run(job, at(day))
            queued = await log.take(db, day)
            if day == RESTART:
                # A new app on the same database, the same moment: nothing is queued twice.
                restarted = create_dispatcher(harness.dp["settings"], harness.session_pool)
                job = job_context(harness, restarted)
                assert await monitoring_sweep.run(job, day) == monitoring.Ensured(0, 0)
                assert await deadlines_sweep.run(job, at(day)) == 0
                assert await deadlines_sweep.run(job, at(day, 18)) == 0
                assert await log.take(db, day) == []
            if day == SUBMITTED:
                (reminder,) = [r for r in queued if r.key.startswith(f"deadline:{stage_a}:")]
                await submit_from_the_reminder(harness, reminder, ids["leader_a"], monkeypatch)
    finally:
        if restarted is not None:
            await restarted.storage.close()

    # The coordinator's own February item: 14, 7, 1 and 0 days before, then daily for 30 days.
    feb = [date(2027, 2, 14), date(2027, 2, 21), date(2027, 2, 27), date(2027, 2, 28)]
    assert log.reminders(own, ids["coordinator"]) == feb + days(date(2027, 3, 1), date(2027, 3, 30))
    assert log.alerts(exchange_id) == []  # its supervisors are the region's admins: none here
    own_texts = [row.text for row in log.of_task(own)]
    assert "14 дней" in own_texts[0] and "Сегодня срок" in own_texts[3]
    assert "Просрочено" in own_texts[4]

    # The entry stage: A until it submitted on 30.03; B on to the due day and overdue after it.
    reminded = [date(2027, 3, 17), date(2027, 3, 24), date(2027, 3, 30)]
    assert log.reminders(stage_a, ids["leader_a"]) == reminded
    assert log.reminders(stage_b, ids["leader_b"]) == [
        *reminded, date(2027, 3, 31), date(2027, 4, 1), date(2027, 4, 2),
    ]  # fmt: skip
    assert log.reminders(stage_a, ids["leader_b"]) == []  # each leader only their own school's
    assert log.reminders(stage_b, ids["leader_a"]) == []
    stage_texts = [row.text for row in log.of_task(stage_b)]
    assert "автоматически по данным бота" in stage_texts[0]
    assert "Сегодня срок" in stage_texts[3] and "Просрочено" in stage_texts[4]
    (alert,) = log.alerts(entry_id)
    assert alert.day == date(2027, 4, 1) and alert.person_id == ids["coordinator"]
    assert "СОШ № 1" in alert.text and "СОШ № 2" not in alert.text
    # Across the restart nothing went twice.
    keys = [row.key for row in log.rows]
    assert len(keys) == len(set(keys))

    db.expire_all()
    done = await db.get(DeadlineTask, stage_a)
    late = await db.get(DeadlineTask, stage_b)
    assert done is not None and late is not None
    assert done.status == TaskStatus.DONE and late.status == TaskStatus.PENDING
    assert done.done_at is not None
    assert done.done_at.replace(tzinfo=done.done_at.tzinfo or UTC) == at(SUBMITTED, 15)

    # 2 April: the board and the KPI report.
    coordinator = await db.get(Person, ids["coordinator"])
    assert coordinator is not None
    await db.refresh(coordinator, ["roles"])
    shown = await status_board.board(db, coordinator, ids["mun"], YEAR, TODAY, chosen="monitoring")
    line = next(d for d in shown.deadlines if d.deadline_id == entry_id)
    assert line.counts == Counts(done=1, overdue=1)
    assert line.overdue_names == ("СОШ № 1",)
    report = await kpi.kpi_report(
        db, region_id=ids["region"], municipality_id=ids["mun"], year=YEAR, today=TODAY
    )
    (monitor,) = [kpi_line for kpi_line in report.lines if kpi_line.id == "DL-MONITOR"]
    assert (monitor.fact, monitor.numerator, monitor.denominator) == (50.0, 1, 2)
    assert monitor.target == 100
