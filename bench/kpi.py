"""The KPI report at region size: `python -m bench.kpi [--quick] [--runs N]`.

The data: the region of bench/region.py (600 schools in 33 municipalities, 25,000 teachers,
20,000 consultations, three communities a municipality) and, for the last calendar year, every
school taking part (a tenth of them from July), 75,000 self-checks (an entry, a second entry
and a final one per teacher, with the block scores), 1,000 held events with 20 attendees each,
70 plan-graph items per school and 3 monitoring stages per school as tasks, and two parents'
surveys per municipality. It is built in a child process, so the peak RSS reported is the one
of the process that measures (a bot process answering /kpi), not of the generator.

Measured, each a median of N runs (default 5) after a warm-up, with the slowest:
1. the region's report (`kpi.kpi_report` with no municipality) — target ≤ 1 s;
2. one municipality's report;
3. the region's .xlsx with «по муниципалитетам» (`kpi.region_report` + `kpi_export.workbook`)
   — target ≤ 5 s; and the chart;
4. the peak RSS of this process after all of it — target ≤ 300 MB.
On a temporary SQLite file; with DATABASE_URL=postgresql… also in a throw-away database on that
server (created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import selectinload

from bench.region import RegionSize, _advance_sequences, _insert, build_region
from bench.surveys import (
    Row,
    current_rss_mb,
    markdown_table,
    peak_rss_mb,
    throwaway_postgres,
    timed,
)
from bench.update_path import asyncpg_url, sqlite_url
from bot.services import kpi, kpi_export, status_board
from bot.texts import LOCALES_DIR, Texts
from storage.db import create_engine, create_session_pool
from storage.models import (
    Answer,
    AttendanceMethod,
    CheckStage,
    CommunityMembership,
    Deadline,
    DeadlineKind,
    DeadlineTask,
    DoneBy,
    Event,
    EventAttendance,
    EventForm,
    EventScope,
    EventStatus,
    Person,
    PersonRole,
    ProgramLevel,
    Recurrence,
    Response,
    ResponseStatus,
    Responsible,
    Role,
    SchoolParticipation,
    SectionScore,
    Survey,
    SurveyStatus,
    TaskStatus,
)

REPORT_TARGET_S = 1.0
XLSX_TARGET_S = 5.0
BOARD_TARGET_S = 1.0
RSS_TARGET_MB = 300.0
EVENT_KINDS = (
    ("desant", EventScope.MUNICIPAL),
    ("webinar", EventScope.REGIONAL),
    ("seminar", EventScope.MUNICIPAL),
    ("seminar", EventScope.INTERMUNICIPAL),
    ("seminar", EventScope.INTERREGIONAL),
    ("experience_exchange", EventScope.SCHOOL),
    ("master_class", EventScope.SCHOOL),
)


@dataclass(frozen=True)
class Scale:
    region: RegionSize
    events: int
    attendees: int  # per event
    plan_items: int  # per school
    parents_answers: int  # per survey
    runs: int


FULL = Scale(RegionSize(), events=1_000, attendees=20, plan_items=70, parents_answers=50, runs=5)
QUICK = Scale(
    RegionSize().scaled(0.2), events=200, attendees=20, plan_items=70, parents_answers=20, runs=3
)


@dataclass
class Built:
    region_id: int
    year: int
    today: date
    municipality_id: int
    rows: dict[str, int]
    seconds: float


def report_year(today: date) -> int:
    """The last calendar year: over, so every line has its whole year to count."""
    return today.year - 1


def _moment(rng: random.Random, year: int) -> datetime:
    start = datetime(year, 1, 1, 6, tzinfo=UTC)
    return start + timedelta(days=rng.randint(0, 363), hours=rng.randint(0, 10))


async def _add_year(engine: Any, scale: Scale, year: int, seed: int = 11) -> dict[str, int]:
    """The year's participations, self-checks, events, deadlines and parents' surveys."""
    rng = random.Random(seed)
    rows: dict[str, int] = {}
    async with engine.begin() as connection:
        schools = (await connection.execute(text("SELECT id, municipality_id FROM schools"))).all()
        teachers = (
            await connection.execute(
                text(
                    "SELECT p.id, p.municipality_id, p.school_id FROM people p "
                    "JOIN person_roles r ON r.person_id = p.id WHERE r.role = 'teacher'"
                )
            )
        ).all()
        participations = [
            {
                "school_id": s_id,
                "municipality_id": m_id,
                "year": year,
                "low_results": s_id % 2 == 0,
                "unfavourable_conditions": s_id % 2 == 1,
                "level": ProgramLevel.REGIONAL,
                "joined_on": date(year, 7, 1) if s_id % 10 == 0 else None,
            }
            for s_id, m_id in schools
        ]
        rows["participations"] = await _insert(connection, SchoolParticipation, participations)
        # The communities are dated by their members' joining: in the year's first weeks.
        await connection.execute(
            update(CommunityMembership).values(joined_at=datetime(year, 1, 20, tzinfo=UTC))
        )

        responses, scores = [], []
        next_id = 1
        for person_id, m_id, s_id in teachers:
            for stage, month in (
                (CheckStage.ENTRY, 3),
                (CheckStage.ENTRY, 5),
                (CheckStage.FINAL, 11),
            ):
                when = datetime(year, month, rng.randint(1, 28), 10, tzinfo=UTC)
                responses.append(
                    {
                        "id": next_id, "scenario_id": "self_check_teacher",
                        "scenario_version": "1", "person_id": person_id, "school_id": s_id,
                        "municipality_id": m_id, "status": ResponseStatus.SUBMITTED,
                        "program_year": year, "stage": stage, "started_at": when,
                        "submitted_at": when,
                    }
                )  # fmt: skip
                for section in ("subject", "methodical"):
                    percent = float(rng.randint(20, 95))
                    scores.append(
                        {
                            "response_id": next_id, "section_id": section, "score": percent,
                            "max_score": 100.0, "percent": percent, "level": "mid",
                        }
                    )  # fmt: skip
                next_id += 1
        rows["self_checks"] = await _insert(connection, Response, responses)
        rows["section_scores"] = await _insert(connection, SectionScore, scores)

        events, attendance = [], []
        for event_id in range(1, scale.events + 1):
            kind, scope = EVENT_KINDS[event_id % len(EVENT_KINDS)]
            host_id, m_id = schools[rng.randrange(len(schools))]
            starts = _moment(rng, year)
            hours = rng.choice((2.0, 4.0, 6.0))
            events.append(
                {
                    "id": event_id, "type": kind, "scope": scope, "form": EventForm.IN_PERSON,
                    "title": f"Мероприятие {event_id}", "topics": [], "starts_at": starts,
                    "ends_at": starts + timedelta(hours=hours), "timezone": "Europe/Moscow",
                    "duration_hours": hours, "host_school_id": host_id, "audience": {},
                    "status": EventStatus.HELD, "municipality_id": m_id,
                }
            )  # fmt: skip
            for person_id, p_m, p_s in rng.sample(teachers, min(scale.attendees, len(teachers))):
                attendance.append(
                    {
                        "event_id": event_id, "person_id": person_id, "municipality_id": p_m,
                        "school_id": p_s, "method": AttendanceMethod.MARKED,
                        "checked_in_at": starts,
                    }
                )  # fmt: skip
        rows["events"] = await _insert(connection, Event, events)
        rows["attendance"] = await _insert(connection, EventAttendance, attendance)

        by_municipality: dict[int, list[int]] = {}
        for s_id, m_id in schools:
            by_municipality.setdefault(m_id, []).append(s_id)
        deadlines, tasks = [], []
        deadline_id = task_id = 1
        for m_id, school_ids in by_municipality.items():
            items = [(DeadlineKind.PLAN, n) for n in range(scale.plan_items)]
            items += [(DeadlineKind.MONITORING, n) for n in range(3)]
            for kind, n in items:
                due = date(year, 1, 1) + timedelta(days=(n * 5 + 20) % 360)
                deadlines.append(
                    {
                        "id": deadline_id, "municipality_id": m_id, "year": year, "kind": kind,
                        "title": f"Пункт {n}", "responsible": Responsible.SCHOOL_LEADERS,
                        "starts_on": due - timedelta(days=30), "due_on": due,
                        "reminder_days": [7], "recurrence": Recurrence.NONE,
                        "done_by": DoneBy.CONFIRM,
                    }
                )  # fmt: skip
                for s_id in school_ids:
                    done = rng.random() < 0.7
                    late = rng.random() < 0.2
                    tasks.append(
                        {
                            "id": task_id, "deadline_id": deadline_id, "target_key": f"s{s_id}",
                            "school_id": s_id,
                            "status": TaskStatus.DONE if done else TaskStatus.PENDING,
                            "done_at": datetime.combine(
                                due + timedelta(days=5 if late else -2), datetime.min.time(), UTC
                            ) if done else None,
                        }
                    )  # fmt: skip
                    task_id += 1
                deadline_id += 1
        rows["deadlines"] = await _insert(connection, Deadline, deadlines)
        rows["tasks"] = await _insert(connection, DeadlineTask, tasks)

        surveys, survey_responses, answers = [], [], []
        survey_id, response_id = 1, next_id
        for m_id in by_municipality:
            for month in (2, 11):
                created = datetime(year, month, 1, 9, tzinfo=UTC)
                surveys.append(
                    {
                        "id": survey_id, "scenario_id": "parents_satisfaction",
                        "municipality_id": m_id, "audience": {}, "anonymous": True,
                        "deadline": created + timedelta(days=14), "status": SurveyStatus.CLOSED,
                        "invited": 0, "created_at": created,
                    }
                )  # fmt: skip
                for _ in range(scale.parents_answers):
                    survey_responses.append(
                        {
                            "id": response_id, "scenario_id": "parents_satisfaction",
                            "scenario_version": "1", "survey_id": survey_id,
                            "status": ResponseStatus.SUBMITTED, "started_at": created,
                            "submitted_at": created,
                        }
                    )  # fmt: skip
                    for question in kpi.PARENTS_QUESTIONS:
                        answers.append(
                            {
                                "response_id": response_id, "question_id": question,
                                "value": rng.randint(1, 5), "answered_at": created,
                            }
                        )  # fmt: skip
                    response_id += 1
                survey_id += 1
        rows["surveys"] = await _insert(connection, Survey, surveys)
        rows["survey_responses"] = await _insert(connection, Response, survey_responses)
        rows["answers"] = await _insert(connection, Answer, answers)
        if connection.dialect.name == "postgresql":
            await _advance_sequences(connection)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE"))
    return rows


async def build(url: str, scale: Scale, *, create_schema: bool) -> Built:
    started = time.perf_counter()
    engine = create_engine(url)
    try:
        region = await build_region(engine, scale.region, create_schema=create_schema)
        today = datetime.now(UTC).date()
        year = report_year(today)
        rows = await _add_year(engine, scale, year)
        rows["region"] = region.rows
        async with engine.connect() as connection:
            municipality = (
                await connection.execute(text("SELECT MIN(municipality_id) FROM schools"))
            ).scalar_one()
    finally:
        await engine.dispose()
    return Built(region.region_id, year, today, int(municipality), rows,
                 time.perf_counter() - started)  # fmt: skip


def _build_child(url: str, scale: Scale, create_schema: bool) -> Built:
    return asyncio.run(build(url, scale, create_schema=create_schema))


async def build_in_child(url: str, scale: Scale, *, create_schema: bool) -> Built:
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with context.Pool(1) as pool:
        pending = pool.apply_async(_build_child, (url, scale, create_schema))
        return await loop.run_in_executor(None, pending.get)


async def time_board(pool: Any, built: Built, runs: int, label: str) -> list[Row]:
    """The status board on the same data: a coordinator's board of their municipality (the
    year's 73 items × its schools) and an admin's row per municipality of the region."""
    async with pool() as session:
        coordinator_id = await session.scalar(
            select(PersonRole.person_id).where(
                PersonRole.role == Role.COORDINATOR,
                PersonRole.municipality_id == built.municipality_id,
            )
        )
        admin = Person(full_name="Bench admin", telegram_id=None)
        session.add(admin)
        await session.flush()
        session.add(PersonRole(person_id=admin.id, role=Role.ADMIN, region_id=built.region_id))
        await session.commit()
        people = (
            await session.scalars(
                select(Person)
                .where(Person.id.in_([coordinator_id, admin.id]))
                .options(selectinload(Person.roles))
            )
        ).all()
    by_id = {person.id: person for person in people}
    coordinator, admin = by_id[coordinator_id], by_id[admin.id]

    async def board() -> str:
        async with pool() as session:
            found = await status_board.board(
                session, coordinator, built.municipality_id, built.year, built.today
            )
        return f"{found.totals.total} tasks, {found.pages} pages"

    async def overview() -> str:
        async with pool() as session:
            found = await status_board.overview(session, admin, built.year, built.today)
        return f"{found.totals.total} tasks"

    return [
        (await timed(runs, board)).row(f"{label}: status board (a coordinator)", BOARD_TARGET_S),
        (await timed(runs, overview)).row(
            f"{label}: status board (admin, every municipality)", BOARD_TARGET_S
        ),
    ]


async def measure(label: str, url: str, scale: Scale, *, create_schema: bool) -> list[Row]:
    built = await build_in_child(url, scale, create_schema=create_schema)
    print(f"{label}: data built in {built.seconds:.1f} s: {built.rows}", file=sys.stderr)
    engine = create_engine(url)
    pool = create_session_pool(engine)
    locale = "ru"
    try:

        async def region() -> str:
            async with pool() as session:
                report = await kpi.kpi_report(
                    session, region_id=built.region_id, municipality_id=None,
                    year=built.year, today=built.today,
                )  # fmt: skip
            missing = sorted({line.id for line in report.lines if line.fact is None})
            with_fact = len(report.lines) - sum(1 for line in report.lines if line.fact is None)
            note = f"{with_fact} of {len(report.lines)} lines with a fact"
            return f"{note} (none: {', '.join(missing)})" if missing else note

        async def municipality() -> str:
            async with pool() as session:
                report = await kpi.kpi_report(
                    session, region_id=built.region_id, municipality_id=built.municipality_id,
                    year=built.year, today=built.today,
                )  # fmt: skip
            return f"{len(report.lines)} lines"

        async def xlsx() -> str:
            async with pool() as session:
                both = await kpi.region_report(
                    session, region_id=built.region_id, year=built.year, today=built.today
                )
            content = await asyncio.to_thread(
                kpi_export.workbook, both.region, locale, both.municipalities
            )
            return f"{len(content) // 1024} KB, {len(both.municipalities)} municipalities"

        async def chart() -> str:
            async with pool() as session:
                report = await kpi.kpi_report(
                    session, region_id=built.region_id, municipality_id=None,
                    year=built.year, today=built.today,
                )  # fmt: skip
            png = await asyncio.to_thread(kpi_export.chart_png, report, locale)
            return f"{len(png) // 1024} KB"

        rows = [
            (await timed(scale.runs, region)).row(f"{label}: region report", REPORT_TARGET_S),
            (await timed(scale.runs, municipality)).row(
                f"{label}: one municipality's report", REPORT_TARGET_S
            ),
            (await timed(scale.runs, xlsx)).row(
                f"{label}: region .xlsx with «по муниципалитетам»", XLSX_TARGET_S
            ),
        ]
        # The chart draws with matplotlib, whose figure is the largest thing the KPI work holds:
        # the peak before it tells the report and the .xlsx apart from the picture.
        rows.append(Row(f"{label}: peak RSS so far (before the chart)", f"{peak_rss_mb():.0f} MB"))
        rows.append((await timed(scale.runs, chart)).row(f"{label}: region chart", XLSX_TARGET_S))
        rows.extend(await time_board(pool, built, scale.runs, label))
        return rows
    finally:
        await engine.dispose()


async def benchmark(
    scale: Scale, directory: Path, *, postgres: str | None, sqlite: bool = True
) -> list[Row]:
    gc.collect()
    imported = current_rss_mb()
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    rows: list[Row] = []
    with texts.context(), texts.use_locale("ru"):
        if sqlite or not postgres:
            url = sqlite_url(directory / "kpi.sqlite3")
            rows += await measure("SQLite", url, scale, create_schema=True)
        if postgres:
            async with throwaway_postgres(postgres) as url:
                rows += await measure("PostgreSQL", url, scale, create_schema=True)
    peak = peak_rss_mb()
    rows.append(
        Row(
            "peak RSS of the measuring process (RSS with the bot's modules imported)",
            f"{peak:.0f} MB ({imported:.0f} MB)",
            f"≤ {RSS_TARGET_MB:g} MB",
            peak <= RSS_TARGET_MB,
        )
    )
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a fifth of the region")
    parser.add_argument("--runs", type=int, help="timed runs per measure (default 5, quick 3)")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    if args.runs:
        scale = replace(scale, runs=args.runs)
    postgres = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-kpi-") as directory:
        rows = asyncio.run(
            benchmark(
                scale,
                Path(directory),
                postgres=postgres if postgres.startswith("postgresql") else None,
            )
        )
    print()
    print(
        f"KPI benchmark ({'quick' if args.quick else 'full'}; {os.cpu_count()} CPUs; "
        f"{time.perf_counter() - started:.0f} s; {scale.region.schools} schools, "
        f"{scale.region.teachers:,} teachers, {scale.events:,} events, "
        f"{scale.plan_items} plan items per school)"
    )
    print()
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
