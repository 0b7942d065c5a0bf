"""Event reports: one event's numbers on a built event, the program year against the targets of
the seeds (through /eventreport and the buttons), the intermunicipal seminar's attendance rule,
participating schools without an event of ≥ 4 h, the .xlsx, and the ИОМ's upcoming events."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import EventCb, EventReportCb, SelfCheckCb
from bot.services import event_reports, self_check, survey_runner
from storage.models import (
    EventScope,
    EventStatus,
    Municipality,
    RegistrationStatus,
    Role,
    School,
)
from tests import event_world as ev
from tests import seed
from tests.event_world import person_of
from tests.harness import Harness
from tests.reach import answer_everything

COORDINATOR = 8601
FOREIGN_COORDINATOR = 8602
TEACHERS = list(range(8700, 8710))
NEIGHBOURS = list(range(8750, 8753))  # teachers of a second municipality of the region
YEAR = datetime.now(UTC).year - 1  # a whole past year: every event in it is over


def in_year(month: int, day: int = 10) -> datetime:
    return datetime(YEAR, month, day, 7, 0, tzinfo=UTC)


async def arrange(db: AsyncSession) -> dict[str, int]:
    mun, low, leader = await seed.place(db)
    coordinator = await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    for n, telegram_id in enumerate(TEACHERS):
        await seed.person(
            db, name=f"Учитель {n}", roles=[Role.TEACHER], municipality=mun,
            school=low if n % 2 else leader, telegram_id=telegram_id,
        )  # fmt: skip
    neighbour = Municipality(region_id=mun.region_id, name="Шпаковский округ")
    db.add(neighbour)
    await db.flush()
    for n, telegram_id in enumerate(NEIGHBOURS):
        await seed.person(
            db, name=f"Сосед {n}", roles=[Role.TEACHER], municipality=neighbour,
            telegram_id=telegram_id,
        )  # fmt: skip
    # A second participating school (unfavourable conditions) that hosts nothing.
    quiet = School(
        municipality_id=mun.id, name="МКОУ ООШ № 9 х. Тихий", short_name="ООШ № 9",
        unfavourable_conditions=True,
    )  # fmt: skip
    db.add(quiet)
    other, _, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db, name="Чужой Координатор", roles=[Role.COORDINATOR], municipality=other,
        telegram_id=FOREIGN_COORDINATOR,
    )  # fmt: skip
    await db.commit()
    return {
        "mun": mun.id,
        "region": mun.region_id,
        "neighbour": neighbour.id,
        "coordinator": coordinator.id,
        "low": low.id,
        "leader": leader.id,
        "quiet": quiet.id,
        "other": other.id,
    }


async def built_event(db: AsyncSession, ids: dict[str, int]) -> int:
    """A seminar at the low-results school: 6 registered (one offered a seat), 2 waiting; 4 of
    the registered came, and one who had not registered; 3 answered the feedback."""
    event = await ev.event(
        db, municipality_id=ids["mun"], author_id=ids["coordinator"], starts_at=in_year(3),
        host_school_id=ids["low"], title="Семинар «Смысловое чтение»",
    )  # fmt: skip
    people = [await person_of(db, t) for t in TEACHERS]
    for n, person in enumerate(people[:6]):
        status = RegistrationStatus.OFFERED if n == 5 else RegistrationStatus.REGISTERED
        await ev.register(db, event, person, status)
    for n, person in enumerate(people[6:8]):
        await ev.register(db, event, person, RegistrationStatus.WAITING, queue_no=n + 1)
    await ev.register(db, event, people[9], RegistrationStatus.DECLINED)
    for person in [*people[:4], people[8]]:
        await ev.came(db, event, person)
    await ev.feedback(
        db, event,
        [(people[0], 5, "Больше практики"), (people[1], 4, None), (people[2], 3, "  ")],
    )  # fmt: skip
    event_id = event.id
    await db.commit()
    return event_id


async def test_the_numbers_of_a_built_event(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    event_id = await built_event(db, ids)
    coordinator = await person_of(db, COORDINATOR)
    n = await event_reports.event_numbers(db, coordinator, event_id)
    assert (n.registered, n.waiting, n.attended, n.no_shows, n.walk_ins) == (6, 2, 5, 2, 1)
    assert n.district_count == 1 and n.districts[0].attendees == 5
    assert n.responses == 3 and n.average_rating == 4.0
    assert n.comments == ("Больше практики",)
    assert n.year == YEAR and n.held

    await harness.callback(COORDINATOR, EventReportCb(action="event", event_id=event_id).pack())
    text = harness.last_text(COORDINATOR)
    for line in (
        "Записались: 6",
        "В листе ожидания: 2",
        "Пришли: 5",
        "Записались, но не пришли: 2",
        "Пришли без записи: 1",
        "районов: 1",
        "Средняя оценка: 4 из 5",
        "Больше практики",
    ):
        assert line in text, line
    # The foreign coordinator sees nothing of it.
    await harness.callback(
        FOREIGN_COORDINATOR, EventReportCb(action="event", event_id=event_id).pack()
    )
    shown = harness.last_text(FOREIGN_COORDINATOR)
    assert "не найдено" in shown and "Смысловое" not in shown


async def _year_events(db: AsyncSession, ids: dict[str, int]) -> None:
    """Three «десанты» (one cancelled, one a draft: not counted), 9 webinars, an experience
    exchange, an intermunicipal seminar with 10 people of 2 districts, one next year."""
    base = {"municipality_id": ids["mun"], "author_id": ids["coordinator"]}
    for month in (2, 4, 5):
        await ev.event(db, **base, type_id="desant", starts_at=in_year(month), hours=6,
                       length=timedelta(hours=6), host_school_id=ids["leader"])  # fmt: skip
    await ev.event(db, **base, type_id="desant", starts_at=in_year(6), status=EventStatus.CANCELLED)
    await ev.event(db, **base, type_id="desant", starts_at=in_year(7), status=EventStatus.DRAFT)
    for month in range(1, 10):
        await ev.event(db, **base, type_id="webinar", starts_at=in_year(month, 20), hours=2,
                       length=timedelta(hours=2), scope=EventScope.REGIONAL)  # fmt: skip
    await ev.event(db, **base, type_id="desant", starts_at=datetime(YEAR + 1, 1, 15, tzinfo=UTC))
    seminar = await ev.event(
        db, region_id=ids["region"], municipality_id=None, author_id=ids["coordinator"],
        type_id="seminar", scope=EventScope.INTERMUNICIPAL, starts_at=in_year(10),
        title="Эффективный учитель для эффективной школы",
    )  # fmt: skip
    for telegram_id in [*TEACHERS[:7], *NEIGHBOURS]:
        await ev.came(db, seminar, await person_of(db, telegram_id))
    await db.commit()


async def test_the_year_against_the_targets(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    await built_event(db, ids)
    await _year_events(db, ids)
    coordinator = await person_of(db, COORDINATOR)
    report = await event_reports.year_report(db, coordinator, YEAR)
    summary = event_reports.summary_of(report)
    assert summary["EV-DESANT"] == {"target": 4, "held": 3, "missing": 1}
    assert summary["EV-WEBINAR"] == {"target": 9, "held": 9, "missing": 0}
    assert summary["EV-SEM-INTERREG"] == {"target": 1, "held": 0, "missing": 1}
    # Participating schools: the low-results one hosted a 4 h seminar; the quiet one nothing
    # (the leader school hosted the «десанты» but is not a participant).
    assert summary["EV-PER-SCHOOL"] == {"target": 2, "held": 1, "missing": 1}
    assert [gap.school_id for gap in report.schools_without] == [ids["quiet"]]
    # The intermunicipal seminar: 10 people of 2 districts, under 40.
    [check] = report.checks
    assert (check.attended, check.districts, check.ok) == (10, 2, False)
    by_type = {(line.type_id, line.scope): line.held for line in report.by_type}
    assert by_type[("desant", EventScope.MUNICIPAL)] == 3
    assert by_type[("webinar", EventScope.REGIONAL)] == 9
    districts = {d.municipality_id: d.attendees for d in report.districts}
    assert districts == {ids["mun"]: 5 + 7, ids["neighbour"]: 3}

    # Through the dispatcher: /eventreport shows the current year; the arrows go back.
    await harness.send(COORDINATOR, "/eventreport")
    assert f"Мероприятия {YEAR + 1} года" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, f"◀ {YEAR}")
    text = harness.last_text(COORDINATOR)
    assert f"Мероприятия {YEAR} года" in text
    assert "«Педагогический десант»: 3 из 4 · не хватает 1" in text
    assert "Вебинары: 9 из 9" in text
    assert "участников 10, районов 2" in text
    await harness.press(COORDINATOR, "Школы без мероприятия: 1")
    schools = harness.last_text(COORDINATOR)
    assert "ООШ № 9" in schools and "СОШ № 2" not in schools
    # The foreign coordinator's year has none of it.
    await harness.callback(FOREIGN_COORDINATOR, EventReportCb(action="year", year=YEAR).pack())
    assert "3 из 4" not in harness.last_text(FOREIGN_COORDINATOR)
    assert "0 из 4" in harness.last_text(FOREIGN_COORDINATOR)


async def test_the_intermunicipal_rule_is_met_with_40_people_of_2_districts(
    db: AsyncSession,
) -> None:
    ids = await arrange(db)
    seminar = await ev.event(
        db, region_id=ids["region"], municipality_id=None, type_id="seminar",
        scope=EventScope.INTERMUNICIPAL, starts_at=in_year(10),
    )  # fmt: skip
    mun = await db.get(Municipality, ids["mun"])
    neighbour = await db.get(Municipality, ids["neighbour"])
    assert mun is not None and neighbour is not None
    for n in range(40):
        person = await seed.person(
            db, name=f"Участник {n}", roles=[Role.TEACHER],
            municipality=mun if n < 30 else neighbour,
        )  # fmt: skip
        await ev.came(db, seminar, person)
    await db.commit()
    admin = await seed.person(db, name="Админ", roles=[Role.ADMIN], municipality=mun)
    await db.commit()
    report = await event_reports.year_report(db, admin, YEAR)
    [check] = report.checks
    assert (check.attended, check.districts, check.ok) == (40, 2, True)


async def test_the_year_xlsx_opens_with_its_sheets(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    await built_event(db, ids)
    await _year_events(db, ids)
    await harness.callback(COORDINATOR, EventReportCb(action="xlsx", year=YEAR).pack())
    assert await harness.run_jobs() == 1
    files = [r.document for r in harness.requests if isinstance(r, SendDocument)]
    assert len(files) == 1 and isinstance(files[0], BufferedInputFile)
    assert files[0].filename == f"events-{YEAR}.xlsx"
    book = load_workbook(io.BytesIO(files[0].data))
    assert book.sheetnames == [
        "Мероприятия", "Виды и цели", "Школы без мероприятия", "Участники по районам",
    ]  # fmt: skip
    events = list(book["Мероприятия"].iter_rows(values_only=True))
    assert len(events) == 1 + 1 + 3 + 9 + 1  # header, the built one, «десанты», webinars, seminar
    built = next(row for row in events if row[1] == "Семинар «Смысловое чтение»")
    assert built[7:13] == (6, 2, 5, 2, 1, 1)
    assert built[14] == 4 and built[15] == "Больше практики"
    targets = [row for row in book["Виды и цели"].iter_rows(values_only=True) if row and row[0]]
    assert ("«Педагогический десант»", "000", 4, 3, 1, "000_6cb88f30dfed529a.txt L267") in targets
    schools = list(book["Школы без мероприятия"].iter_rows(values_only=True))
    assert schools[1][0] == "ООШ № 9"
    districts = dict(list(book["Участники по районам"].iter_rows(values_only=True))[1:])
    assert districts["Шпаковский округ"] == 3


async def test_the_targets_file_is_valid_and_follows_000_and_the_per_school_rule() -> None:
    event_reports.targets.cache_clear()
    followed = [(program, target.id) for program, target in event_reports.targets().followed()]
    assert followed == [
        ("000", "EV-DESANT"), ("000", "EV-WEBINAR"), ("000", "EV-SEM-INTERREG"),
        ("002", "EV-PER-SCHOOL"),
    ]  # fmt: skip
    rules = event_reports.targets().attendance_rules()
    assert [(r.id, r.attendees_min, r.districts_min) for r in rules] == [("EV-SEM-INTERMUN", 40, 2)]


# --- the ИОМ ----------------------------------------------------------------------------------


async def test_the_route_shows_a_matching_upcoming_event_only(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    teacher = await person_of(db, TEACHERS[1])
    response = await self_check.begin(db, teacher)
    await answer_everything(db, teacher, response)  # the first choice everywhere: deficits
    await survey_runner.submit(db, teacher, response)
    await self_check.result(db, teacher, None, "ru")  # shown once: the route is written
    await db.commit()
    latest = await self_check.latest_result(db, teacher.id, "ru")
    assert latest is not None
    deficit = next(b.section_id for b in latest.blocks if b.level in self_check.DEFICIT_LEVELS)
    soon = datetime.now(UTC) + timedelta(days=5)
    base = {"municipality_id": ids["mun"], "topics": [deficit]}
    matching = await ev.event(db, **base, title="Вебинар по теме блока", starts_at=soon)
    await ev.event(db, **base, title="Прошедший вебинар", starts_at=soon - timedelta(days=30))
    await ev.event(db, **base, title="Вебинар для наставников", starts_at=soon,
                   audience={"roles": ["tutor"]})  # fmt: skip
    await ev.event(db, **base, title="Черновик вебинара", starts_at=soon, status=EventStatus.DRAFT)
    await ev.event(db, municipality_id=ids["other"], topics=[deficit], title="Чужой вебинар",
                   starts_at=soon)  # fmt: skip
    await ev.event(db, municipality_id=ids["mun"], topics=["no_such_block"],
                   title="Вебинар не по теме", starts_at=soon)  # fmt: skip
    matching_id = matching.id
    await db.commit()

    await harness.callback(TEACHERS[1], SelfCheckCb(action="route").pack())
    text = harness.last_text(TEACHERS[1])
    assert "Вебинар по теме блока" in text
    for absent in ("Прошедший", "для наставников", "Черновик", "Чужой", "не по теме"):
        assert absent not in text, absent
    data = harness.button_data(TEACHERS[1], "Вебинар по теме блока")
    assert data == EventCb(action="card", event_id=matching_id).pack()
