"""Plan-graph templates: the Grachevka file with all its items, applying a part of it to a
program year (dates, the school year's shift, twice is once, past items skipped, only one's
own municipality), files refused with the line of the problem, and the record rules that check
items off from events held, consultations, communities and submitted self-evaluations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import DeadlineAdminCb
from bot.errors import DomainError
from bot.services import (
    deadline_checks,
    deadline_tasks,
    plan_template_format,
    plan_templates,
    program_years,
)
from storage.models import (
    Community,
    CommunityMembership,
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    Deadline,
    DeadlineKind,
    DeadlineTask,
    DoneBy,
    Event,
    EventForm,
    EventScope,
    EventStatus,
    MonitoringStage,
    Municipality,
    Person,
    ProgramLevel,
    Response,
    ResponseStatus,
    Responsible,
    Role,
    School,
    TaskStatus,
    YearKind,
)
from tests import seed
from tests.harness import Harness

YEAR = 2027
BEFORE_YEAR = date(2026, 12, 1)
AFTER_YEAR = date(2027, 12, 31)


@dataclass
class World:
    mun: int
    low: School
    leader: School
    coordinator: Person
    tutor: Person
    stranger: Person  # a coordinator of another municipality
    municipality: Municipality


async def world(db: AsyncSession, *, year_kind: YearKind = YearKind.CALENDAR) -> World:
    mun, low, leader = await seed.place(db)
    mun.year_kind = year_kind.value
    coordinator = await seed.person(
        db, name="Координатор Гусева", roles=[Role.COORDINATOR], municipality=mun
    )
    tutor = await seed.person(db, name="Тьютор Орлова", roles=[Role.TUTOR], municipality=mun)
    for school in (low, leader):
        await seed.person(
            db, name=f"Директор {school.short_name}", roles=[Role.SCHOOL_LEADER],
            municipality=mun, school=school,
        )  # fmt: skip
        for year in (YEAR, YEAR + 1):
            await program_years.set_participation(
                db, school, year, low_results=True, unfavourable_conditions=False,
                level=ProgramLevel.REGIONAL,
            )  # fmt: skip
    other, _, _ = await seed.place(db, municipality="Кировский городской округ")
    stranger = await seed.person(
        db, name="Чужой координатор", roles=[Role.COORDINATOR], municipality=other
    )
    await db.flush()
    return World(mun.id, low, leader, coordinator, tutor, stranger, mun)


async def plan_deadlines(db: AsyncSession, item: str) -> list[Deadline]:
    rows = await db.scalars(
        select(Deadline).where(Deadline.item_code == item).order_by(Deadline.starts_on)
    )
    return list(rows.all())


async def tasks_of(db: AsyncSession, deadline: Deadline) -> dict[str, DeadlineTask]:
    rows = await db.scalars(select(DeadlineTask).where(DeadlineTask.deadline_id == deadline.id))
    return {task.target_key: task for task in rows.all()}


# --- the file -----------------------------------------------------------------------------------


def test_the_grachevka_file_has_every_item_of_the_seed() -> None:
    template = plan_templates.shipped()["grachevka"]
    codes = [item.code for item in template.items]
    expected = (
        [f"1.{n}" for n in range(1, 28)]
        + [f"2.{n}" for n in range(1, 23)]
        + [f"3.{n}" for n in range(1, 22)]
    )
    assert codes == expected and len(codes) == 70
    by_code = {item.code: item for item in template.items}
    assert by_code["2.6"].period.months == [2, 5, 9, 10]
    assert by_code["2.9"].period.stages == {"entry": 3, "interim": 9, "final": 11}
    assert by_code["3.9"].period.stages == {"interim": 9, "final": 11}  # the seed has no входной
    assert by_code["2.11"].check is not None and by_code["2.11"].check.per_school
    assert by_code["2.11"].check.hours_min == 4
    assert by_code["3.21"].source == "002_598ff6470de27532.txt L444"
    assert by_code["1.1"].title.startswith("Разработка муниципальной концепции")
    assert {item.part for item in template.items} == {1, 2, 3}
    assert plan_templates.check_shipped() == []


# --- applying -----------------------------------------------------------------------------------


async def test_applying_the_2022_cycle_to_2027_makes_the_dates_and_tasks(db: AsyncSession) -> None:
    w = await world(db)
    shown = await plan_templates.preview(db, w.coordinator, "grachevka", w.mun, YEAR)
    applied = await plan_templates.apply(
        db, w.coordinator, "grachevka", w.mun, YEAR, today=BEFORE_YEAR
    )
    # 22 items, 2.9 left to the monitoring (its three stages); 2.6 and 2.20 make 4 and 2.
    assert shown.items == 22 and shown.deadlines == 21 + 3 + 1 and shown.managed == 3
    assert (applied.created, applied.already, applied.skipped_past) == (shown.deadlines, 0, 0)
    assert applied.managed == 3 and await plan_deadlines(db, "2.9") == []

    exchange = await plan_deadlines(db, "2.6")
    assert [(d.starts_on, d.due_on) for d in exchange] == [
        (date(2027, 2, 1), date(2027, 2, 28)),
        (date(2027, 5, 1), date(2027, 5, 31)),
        (date(2027, 9, 1), date(2027, 9, 30)),
        (date(2027, 10, 1), date(2027, 10, 31)),
    ]
    assert all(d.kind == DeadlineKind.PLAN and d.template_code == "grachevka" for d in exchange)
    assert exchange[0].check == {
        "records": "events", "types": ["experience_exchange"], "scopes": ["school", "municipal"],
    }  # fmt: skip
    (short,) = await plan_deadlines(db, "2.11")
    assert (short.starts_on, short.due_on) == (date(2027, 3, 1), date(2027, 10, 31))
    assert short.responsible == Responsible.SCHOOL_LEADERS and short.done_by == DoneBy.RECORDS
    assert set(await tasks_of(db, short)) == {f"s{w.low.id}", f"s{w.leader.id}"}
    (concept,) = await plan_deadlines(db, "2.1")
    assert (concept.starts_on, concept.due_on) == (date(2027, 1, 1), date(2027, 1, 31))
    assert set(await tasks_of(db, concept)) == {f"p{w.coordinator.id}"}
    # A title over 300 characters is shortened; the full text stays in the description.
    (update,) = await plan_deadlines(db, "2.2")
    assert len(update.title) <= 300 and update.title.endswith("…")
    assert update.description is not None and update.description.startswith("Доработка")

    again = await plan_templates.apply(
        db, w.coordinator, "grachevka", w.mun, YEAR, today=BEFORE_YEAR
    )
    assert (again.created, again.already, again.tasks) == (0, applied.created, 0)
    assert len(await plan_deadlines(db, "2.6")) == 4


async def test_a_school_year_municipality_gets_spring_in_the_next_calendar_year(
    db: AsyncSession,
) -> None:
    w = await world(db, year_kind=YearKind.SCHOOL)
    await plan_templates.apply(db, w.coordinator, "grachevka", w.mun, YEAR, today=BEFORE_YEAR)
    (programmes,) = await plan_deadlines(db, "2.8")  # март – апрель
    assert (programmes.starts_on, programmes.due_on) == (date(2028, 3, 1), date(2028, 4, 30))
    (seminar,) = await plan_deadlines(db, "2.22")  # октябрь: the school year's own autumn
    assert (seminar.starts_on, seminar.due_on) == (date(2027, 10, 1), date(2027, 10, 31))
    (network,) = await plan_deadlines(db, "2.18")  # июнь – сентябрь: June 2028 to September
    assert (network.starts_on, network.due_on) == (date(2028, 6, 1), date(2028, 9, 30))


async def test_items_already_past_due_are_skipped_and_counted(db: AsyncSession) -> None:
    w = await world(db)
    applied = await plan_templates.apply(
        db, w.coordinator, "grachevka", w.mun, YEAR, part=2, today=date(2027, 6, 15)
    )
    # Due by the end of May: 2.1, 2.2, 2.3, 2.5, 2.6 (February, May), 2.8, 2.10, 2.12, 2.13.
    assert applied.skipped_past == 10
    assert [d.due_on for d in await plan_deadlines(db, "2.6")] == [
        date(2027, 9, 30), date(2027, 10, 31),
    ]  # fmt: skip
    assert await plan_deadlines(db, "2.1") == []


async def test_only_ones_own_municipality_and_a_real_part(db: AsyncSession) -> None:
    w = await world(db)
    with pytest.raises(DomainError) as refused:
        await plan_templates.apply(db, w.stranger, "grachevka", w.mun, YEAR, today=BEFORE_YEAR)
    assert refused.value.key == "plan.not_yours"
    with pytest.raises(DomainError) as bad_part:
        await plan_templates.apply(
            db, w.coordinator, "grachevka", w.mun, YEAR, part=4, today=BEFORE_YEAR
        )
    assert bad_part.value.key == "plan.bad_part"
    with pytest.raises(DomainError) as unknown:
        await plan_templates.apply(db, w.coordinator, "nope", w.mun, YEAR, today=BEFORE_YEAR)
    assert unknown.value.key == "plan.unknown_template"
    assert await db.scalar(select(Deadline.id)) is None


# --- bad files ----------------------------------------------------------------------------------

GOOD_ITEM = """\
code: demo
title: Демо
items:
  - code: "1.1"
    part: 1
    title: Пункт
    period: {from: 3, to: 4}
    responsible: coordinators
"""


def _broken(field: str, value: str) -> str:
    return GOOD_ITEM.replace(f"    {field}: ", f"    {field}: {value} #", 1)


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        (_broken("responsible", "directors"), 8, "scenarios.problem.not_allowed"),
        (_broken("period", "{from: 3}"), 7, "plan.problem.period"),
        (_broken("period", "{month: 3, months: [4]}"), 7, "plan.problem.period"),
        (_broken("period", "{from: 3, to: 13}"), 7, "plan.problem.month"),
        (_broken("period", "{stages: {start: 3}}"), 7, "plan.problem.unknown_stage"),
        (
            GOOD_ITEM + "    done_by: records\n    check: {records: events, types: [picnic]}\n",
            10,
            "plan.problem.unknown_event_type",
        ),
        (
            GOOD_ITEM + "    done_by: records\n    check: {records: weather}\n",
            10,
            "plan.problem.unknown_check",
        ),
        (GOOD_ITEM + "    done_by: records\n", 4, "plan.problem.check_missing"),
        (GOOD_ITEM + GOOD_ITEM.split("items:\n")[1], 9, "plan.problem.duplicate_code"),
        ("code: demo\ntitle: [\n", 3, "scenarios.problem.syntax"),
    ],
)
def test_a_bad_file_is_refused_with_the_line(text: str, line: int, key: str) -> None:
    template, problems = plan_template_format.parse(text, "demo.yaml")
    assert template is None
    assert [(p.file, p.line, p.key) for p in problems][:1] == [("demo.yaml", line, key)]


def test_a_good_file_parses() -> None:
    template, problems = plan_template_format.parse(GOOD_ITEM, "demo.yaml")
    assert problems == [] and template is not None and template.items[0].code == "1.1"


def test_the_cli_checks_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(_broken("responsible", "directors"), encoding="utf-8")
    assert main(["plan", "check", str(bad)]) == 1
    _, err = capsys.readouterr()
    assert f"{bad}:8:" in err and "directors" in err
    good = plan_templates.PLAN_TEMPLATES_DIR / "grachevka.yaml"
    assert main(["plan", "check", str(good)]) == 0


# --- the rules ----------------------------------------------------------------------------------


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def event(
    w: World, kind: str, day: date, *, hours: float = 4, school: School | None = None,
    status: EventStatus = EventStatus.HELD, scope: EventScope = EventScope.MUNICIPAL,
) -> Event:  # fmt: skip
    return Event(
        type=kind, scope=scope, form=EventForm.IN_PERSON, title=f"{kind} {day}",
        starts_at=at(day), ends_at=at(day) + timedelta(hours=hours), timezone="Europe/Moscow",
        duration_hours=hours, host_school_id=school.id if school else None, status=status,
        municipality_id=w.mun,
    )  # fmt: skip


async def refresh(db: AsyncSession) -> int:
    marked = await deadline_checks.refresh_from_records(db, AFTER_YEAR)
    await db.flush()
    return marked


async def applied_world(db: AsyncSession) -> World:
    w = await world(db)
    await plan_templates.apply(db, w.coordinator, "grachevka", w.mun, YEAR, today=BEFORE_YEAR)
    return w


async def test_events_held_check_items_off(db: AsyncSession) -> None:
    w = await applied_world(db)
    seminar = event(w, "seminar", date(2027, 4, 20), hours=5, school=w.low)
    db.add_all([
        seminar,
        event(w, "webinar", date(2027, 4, 21), hours=2, school=w.leader),  # shorter than 4 h
        event(w, "experience_exchange", date(2027, 2, 12)),
        # Published for May 2027, not held yet: May's exchange stays open.
        event(w, "experience_exchange", date(2027, 5, 12), status=EventStatus.PUBLISHED),
        event(w, "seminar", date(2027, 10, 5), scope=EventScope.INTERMUNICIPAL),
    ])  # fmt: skip
    await db.flush()
    await refresh(db)

    (short,) = await plan_deadlines(db, "2.11")
    tasks = await tasks_of(db, short)
    low, leader = tasks[f"s{w.low.id}"], tasks[f"s{w.leader.id}"]
    assert low.status == TaskStatus.DONE and low.done_at == seminar.ends_at
    assert leader.status == TaskStatus.PENDING
    february, may, *_ = await plan_deadlines(db, "2.6")
    assert (await tasks_of(db, february))[f"p{w.coordinator.id}"].status == TaskStatus.DONE
    assert (await tasks_of(db, may))[f"p{w.coordinator.id}"].status == TaskStatus.PENDING
    (intermunicipal,) = await plan_deadlines(db, "2.22")
    assert all(t.status == TaskStatus.DONE for t in (await tasks_of(db, intermunicipal)).values())
    (course,) = await plan_deadlines(db, "2.14")  # no course of 32 h was held
    assert all(t.status == TaskStatus.PENDING for t in (await tasks_of(db, course)).values())


async def test_consultations_for_every_school_check_the_tutors_item_off(
    db: AsyncSession,
) -> None:
    w = await applied_world(db)

    def consultation(school: School, day: date) -> Consultation:
        return Consultation(
            tutor_id=w.tutor.id, school_id=school.id, municipality_id=w.mun, held_on=day,
            format=ConsultationFormat.ONLINE, block=CompetenceBlock.METHODICAL,
            topic="Сетевое взаимодействие", duration_minutes=45,
        )  # fmt: skip

    db.add(consultation(w.low, date(2027, 5, 5)))
    db.add(consultation(w.leader, date(2027, 3, 5)))  # before the window (April–November)
    await db.flush()
    await refresh(db)
    (window,) = await plan_deadlines(db, "2.16")
    task = (await tasks_of(db, window))[f"p{w.tutor.id}"]
    assert task.status == TaskStatus.PENDING

    db.add(consultation(w.leader, date(2027, 6, 7)))
    await db.flush()
    assert await refresh(db) >= 1
    await db.refresh(task)
    assert task.status == TaskStatus.DONE
    assert task.done_at is not None and task.done_at.date() == date(2027, 6, 7)


async def test_community_members_check_the_schools_items_off(db: AsyncSession) -> None:
    w = await applied_world(db)
    teacher = await seed.person(
        db, name="Учитель Петрова", roles=[Role.TEACHER], municipality=w.municipality,
        school=w.low,
    )  # fmt: skip
    other = await seed.person(
        db, name="Учитель Смирнов", roles=[Role.TEACHER], municipality=w.municipality,
        school=w.leader,
    )  # fmt: skip
    active = Community(municipality_id=w.mun, name="РМО учителей математики")
    closed = Community(municipality_id=w.mun, name="Старое МО", is_active=False)
    db.add_all([active, closed])
    await db.flush()
    joined = datetime(2027, 5, 3, 10, tzinfo=UTC)
    db.add(CommunityMembership(community_id=active.id, person_id=teacher.id, joined_at=joined))
    db.add(CommunityMembership(community_id=closed.id, person_id=other.id, joined_at=joined))
    await db.flush()
    await refresh(db)

    (associations,) = await plan_deadlines(db, "2.15")  # April–October, each school
    tasks = await tasks_of(db, associations)
    assert tasks[f"s{w.low.id}"].status == TaskStatus.DONE
    assert tasks[f"s{w.low.id}"].done_at == joined
    assert tasks[f"s{w.leader.id}"].status == TaskStatus.PENDING
    (rmo,) = await plan_deadlines(db, "2.7")  # February–November, the municipality
    assert (await tasks_of(db, rmo))[f"p{w.coordinator.id}"].status == TaskStatus.DONE


async def test_a_submitted_self_evaluation_checks_the_monitoring_stage_off(
    db: AsyncSession,
) -> None:
    w = await world(db)
    # The stage as the monitoring module creates it.
    stage = Deadline(
        municipality_id=w.mun, year=YEAR, kind=DeadlineKind.MONITORING, title="Входной мониторинг",
        responsible=Responsible.SCHOOL_LEADERS, starts_on=date(2027, 3, 1),
        due_on=date(2027, 3, 31), done_by=DoneBy.RECORDS, stage=MonitoringStage.ENTRY,
        check={"records": "monitoring", "stage": "entry"}, origin_key=f"{w.mun}:mon:{YEAR}:entry",
    )  # fmt: skip
    db.add(stage)
    await db.flush()
    await deadline_tasks.fan_out(db, stage)
    submitted = datetime(2027, 3, 10, 8, tzinfo=UTC)

    def response(school: School, when: datetime, status: ResponseStatus) -> Response:
        return Response(
            scenario_id="self_eval_leader", scenario_version="x", school_id=school.id,
            municipality_id=w.mun, status=status, submitted_at=when,
        )  # fmt: skip

    db.add_all([
        response(w.low, submitted, ResponseStatus.SUBMITTED),
        # Before the stage began: last year's, not this stage's.
        response(w.leader, datetime(2027, 2, 20, tzinfo=UTC), ResponseStatus.SUBMITTED),
    ])  # fmt: skip
    await db.flush()
    assert await refresh(db) == 1
    tasks = await tasks_of(db, stage)
    assert tasks[f"s{w.low.id}"].status == TaskStatus.DONE
    assert tasks[f"s{w.low.id}"].done_at == submitted
    assert tasks[f"s{w.leader.id}"].status == TaskStatus.PENDING


# --- the screens --------------------------------------------------------------------------------

COORDINATOR_CHAT, ADMIN_CHAT = 9401, 9402


async def screens_world(db: AsyncSession) -> World:
    w = await world(db)
    w.coordinator.telegram_id = COORDINATOR_CHAT
    w.coordinator.consent_at = datetime.now(UTC)
    await seed.person(
        db, name="Админ Краевой", roles=[Role.ADMIN], municipality=w.municipality,
        telegram_id=ADMIN_CHAT,
    )  # fmt: skip
    await db.commit()
    return w


async def test_a_coordinator_applies_the_plan_through_the_buttons(
    harness: Harness, db: AsyncSession
) -> None:
    await screens_world(db)
    this_year = datetime.now(UTC).year
    await harness.send(COORDINATOR_CHAT, "/plan")
    assert "27 / 22 / 21" in harness.last_text(COORDINATOR_CHAT)
    await harness.press(COORDINATOR_CHAT, "Грачёвский округ")
    next_year = this_year + 1
    await harness.press(COORDINATOR_CHAT, f"{next_year}: год 2")
    assert "Сроков будет создано: до 25" in harness.last_text(COORDINATOR_CHAT)
    await harness.press(COORDINATOR_CHAT, "Создать сроки")
    summary = harness.last_text(COORDINATOR_CHAT)
    assert "Создано сроков: 25" in summary and "модуль мониторинга" in summary
    async with harness.session_pool() as session:
        made = await session.scalars(select(Deadline.year).where(Deadline.item_code == "2.6"))
        assert list(made.all()) == [next_year] * 4
    # The same press again: nothing new.
    data = DeadlineAdminCb(action="tpl_apply", value="grachevka", year=next_year, page=2)
    await harness.callback(COORDINATOR_CHAT, data.pack())
    assert "Уже были созданы раньше: 25" in harness.last_text(COORDINATOR_CHAT)


async def test_an_admin_uploads_lists_and_downloads_the_regions_template(
    harness: Harness, db: AsyncSession
) -> None:
    await screens_world(db)
    await harness.send(ADMIN_CHAT, "/plan")
    await harness.press(ADMIN_CHAT, "Загрузить шаблон")
    await harness.upload(ADMIN_CHAT, "plan.txt", b"code: x")
    assert ".yaml" in harness.last_text(ADMIN_CHAT)
    await harness.upload(ADMIN_CHAT, "big.yaml", b"#" * (plan_templates.MAX_FILE_BYTES + 1))
    assert "200 КБ" in harness.last_text(ADMIN_CHAT)
    await harness.upload(ADMIN_CHAT, "stav.yaml", _broken("responsible", "directors").encode())
    refused = harness.last_text(ADMIN_CHAT)
    assert "строка 8" in refused and "directors" in refused
    good = GOOD_ITEM.replace("title: Демо", "title: Ставропольский план")
    await harness.upload(ADMIN_CHAT, "stav.yaml", good.encode())
    assert "сохранён" in harness.last_text(ADMIN_CHAT)

    await harness.send(ADMIN_CHAT, "/plan")
    await harness.press(ADMIN_CHAT, "Шаблоны региона")
    assert "Ставропольский план (demo)" in harness.last_text(ADMIN_CHAT)
    await harness.press(ADMIN_CHAT, "⬇️ Ставропольский план")
    (sent,) = [r for r in harness.sent_to(ADMIN_CHAT) if isinstance(r, SendDocument)]
    assert isinstance(sent.document, BufferedInputFile)
    assert sent.document.data.decode() == good and sent.document.filename == "demo.yaml"
    # The coordinator of the region sees it beside the shipped one.
    await harness.send(COORDINATOR_CHAT, "/plan")
    assert "Ставропольский план" in harness.last_text(COORDINATOR_CHAT)


def test_a_broken_shipped_template_stops_the_start_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import EXIT_SCENARIOS, check_plan_templates
    from bot.texts import LOCALES_DIR, Texts

    broken = tmp_path / "broken.yaml"
    broken.write_text(_broken("period", "{from: 3, to: 13}"), encoding="utf-8")
    monkeypatch.setattr(plan_templates, "PLAN_TEMPLATES_DIR", tmp_path)
    with Texts(path=LOCALES_DIR, default_locale="ru").context():
        try:
            assert check_plan_templates() == EXIT_SCENARIOS
        finally:
            monkeypatch.undo()
            plan_templates.shipped.cache_clear()
        _, err = capsys.readouterr()
        assert err.startswith(f"{broken}:7: ") and "13" in err
        assert check_plan_templates() == 0
