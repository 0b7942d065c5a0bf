"""«Школы программы»: the year's participating schools and their marks, through the buttons;
a school that joins mid-year; the copy of last year's set; the new school's tasks; another
municipality refused; the year kind in the municipality settings; an admin picks a
municipality first."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import MunicipalitySettingsCb, ProgramCb
from bot.services import program_years
from bot.services.deadline_tasks import fan_out
from bot.services.program_years import Mark
from storage.models import (
    Deadline,
    DeadlineTask,
    Municipality,
    Person,
    ProgramLevel,
    Responsible,
    Role,
    School,
    SchoolParticipation,
    YearKind,
)
from tests import seed
from tests.harness import Harness

COORDINATOR = 9301
FOREIGN_COORDINATOR = 9302
ADMIN = 9303
THIS_YEAR = datetime.now(UTC).year  # the tests' municipalities count calendar years


async def arrange(db: AsyncSession) -> dict[str, int]:
    mun, low, leader = await seed.place(db)
    poor = School(
        municipality_id=mun.id, name="МКОУ ООШ № 9", short_name="ООШ № 9",
        unfavourable_conditions=True,
    )  # fmt: skip
    db.add(poor)
    await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    foreign, foreign_school, _ = await seed.place(db, municipality="Шпаковский округ")
    await seed.person(
        db, name="Координатор Чужой", roles=[Role.COORDINATOR], municipality=foreign,
        telegram_id=FOREIGN_COORDINATOR,
    )  # fmt: skip
    neighbour = Municipality(region_id=mun.region_id, name="Апанасенковский округ")
    db.add(neighbour)
    await db.flush()
    await seed.person(
        db, name="Админ Края", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN
    )
    await db.commit()
    return {
        "mun": mun.id,
        "low": low.id,
        "leader": leader.id,
        "poor": poor.id,
        "foreign": foreign.id,
        "foreign_school": foreign_school.id,
    }


async def participation(db: AsyncSession, school_id: int, year: int) -> SchoolParticipation | None:
    query = select(SchoolParticipation).where(
        SchoolParticipation.school_id == school_id, SchoolParticipation.year == year
    )
    return await db.scalar(query.execution_options(populate_existing=True))


def alerts(harness: Harness) -> list[str]:
    return [r.text or "" for r in harness.requests if isinstance(r, AnswerCallbackQuery)]


async def person(db: AsyncSession, telegram_id: int) -> Person:
    found = await db.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert found is not None
    return found


async def test_marking_schools_and_their_categories_through_the_buttons(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    await harness.send(COORDINATOR, "/programschools")
    text = harness.last_text(COORDINATOR)
    assert "Грачёвский муниципальный округ" in text and "Участвуют: 0 из 3" in text
    # The year row offers the previous, the current and the next year.
    buttons = harness.buttons(COORDINATOR)
    assert buttons[:3] == [str(THIS_YEAR - 1), f"• {THIS_YEAR}", str(THIS_YEAR + 1)]

    # The low-results school enters with НРО (its flag), the poor one with НСУ.
    await harness.press(COORDINATOR, "▫️ СОШ № 2")
    await harness.press(COORDINATOR, "▫️ ООШ № 9")
    low = await participation(db, ids["low"], THIS_YEAR)
    poor = await participation(db, ids["poor"], THIS_YEAR)
    assert low is not None and poor is not None
    assert (low.low_results, low.unfavourable_conditions) == (True, False)
    assert (poor.low_results, poor.unfavourable_conditions) == (False, True)
    assert low.level == ProgramLevel.REGIONAL
    assert "Участвуют: 2 из 3" in harness.last_text(COORDINATOR)

    # Categories and the program switch on the school's second row.
    mark = ProgramCb(action="mark", school_id=ids["low"], year=THIS_YEAR)
    await harness.callback(COORDINATOR, mark.model_copy(update={"value": "nsu"}).pack())
    await harness.callback(COORDINATOR, mark.model_copy(update={"value": "level"}).pack())
    low = await participation(db, ids["low"], THIS_YEAR)
    assert low is not None
    assert (low.low_results, low.unfavourable_conditions) == (True, True)
    assert low.level == ProgramLevel.MUNICIPAL
    assert "СОШ № 2: НРО НСУ · муниципальная" in harness.last_text(COORDINATOR)

    # The last category cannot be taken away.
    await harness.callback(
        COORDINATOR,
        ProgramCb(action="mark", school_id=ids["poor"], year=THIS_YEAR, value="nsu").pack(),
    )
    assert "хотя бы одна категория" in harness.last_text(COORDINATOR)
    poor = await participation(db, ids["poor"], THIS_YEAR)
    assert poor is not None and poor.unfavourable_conditions

    # A category of a school that does not take part is refused; a second tap takes a school out.
    await harness.callback(
        COORDINATOR,
        ProgramCb(action="mark", school_id=ids["leader"], year=THIS_YEAR, value="nro").pack(),
    )
    assert "не участвует" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "✅ ООШ № 9")
    assert await participation(db, ids["poor"], THIS_YEAR) is None

    # The next year is its own set.
    await harness.press(COORDINATOR, str(THIS_YEAR + 1))
    assert "Участвуют: 0 из 3" in harness.last_text(COORDINATOR)


async def test_a_school_added_once_the_year_began_joined_that_day(db: AsyncSession) -> None:
    ids = await arrange(db)
    coordinator = await person(db, COORDINATOR)
    march = date(2027, 3, 2)
    await program_years.toggle(db, coordinator, ids["low"], 2027, Mark.PART, march)
    await program_years.toggle(db, coordinator, ids["low"], 2028, Mark.PART, march)
    await program_years.toggle(db, coordinator, ids["low"], 2026, Mark.PART, march)
    assert (await participation(db, ids["low"], 2027)).joined_on == march  # type: ignore[union-attr]
    # Ahead of the year, or a past year's correction: the whole year.
    assert (await participation(db, ids["low"], 2028)).joined_on is None  # type: ignore[union-attr]
    assert (await participation(db, ids["low"], 2026)).joined_on is None  # type: ignore[union-attr]
    # A school year (Ivanovo): March 2027 is within school year 2026.
    assert program_years.joined_on_for(YearKind.SCHOOL, 2026, march) == march
    assert program_years.joined_on_for(YearKind.SCHOOL, 2027, march) is None
    # The mid-year school has no task due before it joined.
    [joined] = await program_years.participants(db, 2027, municipality_id=ids["mun"])
    assert not joined.takes_part_on(date(2027, 3, 1)) and joined.takes_part_on(march)


async def test_copy_from_last_year_keeps_the_marks(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    school = await db.get(School, ids["poor"])
    assert school is not None
    await program_years.set_participation(
        db, school, THIS_YEAR - 1, low_results=True, unfavourable_conditions=True,
        level=ProgramLevel.MUNICIPAL, joined_on=date(THIS_YEAR - 1, 5, 1),
    )  # fmt: skip
    low = await db.get(School, ids["low"])
    assert low is not None
    await program_years.set_participation(
        db, low, THIS_YEAR - 1, low_results=True, unfavourable_conditions=False,
        level=ProgramLevel.REGIONAL,
    )  # fmt: skip
    # The low-results school is already marked this year, its own way: it stays so.
    await program_years.set_participation(
        db, low, THIS_YEAR, low_results=False, unfavourable_conditions=True,
        level=ProgramLevel.MUNICIPAL,
    )  # fmt: skip
    await db.commit()

    await harness.send(COORDINATOR, "/programschools")
    await harness.press(COORDINATOR, "Скопировать с прошлого года")
    assert alerts(harness)[-1] == "Добавлено школ из прошлого года: 1"
    poor = await participation(db, ids["poor"], THIS_YEAR)
    assert poor is not None
    assert (poor.low_results, poor.unfavourable_conditions, poor.level, poor.joined_on) == (
        True, True, ProgramLevel.MUNICIPAL, None,
    )  # fmt: skip
    low_now = await participation(db, ids["low"], THIS_YEAR)
    assert low_now is not None and not low_now.low_results
    # Again: nothing more; and a year whose previous one is empty says so.
    await harness.press(COORDINATOR, "Скопировать с прошлого года")
    assert alerts(harness)[-1] == "Добавлено школ из прошлого года: 0"
    await harness.press(COORDINATOR, str(THIS_YEAR - 1))
    await harness.press(COORDINATOR, "Скопировать с прошлого года")
    assert f"В прошлом году ({THIS_YEAR - 2})" in harness.last_text(COORDINATOR)


async def test_a_school_added_gets_the_years_tasks_for_school_leaders(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    low = await db.get(School, ids["low"])
    assert low is not None
    await program_years.set_participation(
        db, low, THIS_YEAR, low_results=True, unfavourable_conditions=False,
        level=ProgramLevel.REGIONAL,
    )  # fmt: skip
    for responsible in (Responsible.SCHOOL_LEADERS, Responsible.COORDINATORS):
        deadline = Deadline(
            municipality_id=ids["mun"], year=THIS_YEAR, title=f"Отчёт ({responsible})",
            responsible=responsible, starts_on=date(THIS_YEAR, 1, 1),
            due_on=date(THIS_YEAR, 12, 31),
        )  # fmt: skip
        db.add(deadline)
        await db.flush()
        await fan_out(db, deadline)
    await db.commit()

    await harness.send(COORDINATOR, "/programschools")
    await harness.press(COORDINATOR, "▫️ ООШ № 9")
    db.expire_all()
    tasks = (await db.scalars(select(DeadlineTask).order_by(DeadlineTask.id))).all()
    by_school = {task.school_id for task in tasks if task.school_id is not None}
    assert by_school == {ids["low"], ids["poor"]}
    # The coordinators' item is not fanned out to schools.
    coordinators_tasks = [task for task in tasks if task.person_id is not None]
    assert len(coordinators_tasks) == 1

    # Taken out again: its pending tasks of the year go (the year's shares no longer count
    # it); a done one would stay.
    await harness.press(COORDINATOR, "✅ ООШ № 9")
    db.expire_all()
    left = (await db.scalars(select(DeadlineTask.school_id))).all()
    assert ids["poor"] not in left and ids["low"] in left


async def test_another_municipality_is_refused(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    for data in (
        ProgramCb(action="mark", school_id=ids["low"], year=THIS_YEAR, value="part"),
        ProgramCb(action="year", year=THIS_YEAR, value=str(ids["mun"])),
        ProgramCb(action="copy", year=THIS_YEAR, value=str(ids["mun"])),
        ProgramCb(action="mark", school_id=ids["low"], year=THIS_YEAR, value="bogus"),
        ProgramCb(action="year", year=THIS_YEAR, value="not-a-number"),
    ):
        await harness.callback(FOREIGN_COORDINATOR, data.pack())
    assert await participation(db, ids["low"], THIS_YEAR) is None
    answers = harness.texts_to(FOREIGN_COORDINATOR)
    assert sum("недоступны" in a for a in answers) == 4 and "устарела" in answers[3]
    texts = " ".join(answers)
    assert "Грачёвский" not in texts and "СОШ № 2" not in texts
    # Their own list is theirs only.
    await harness.send(FOREIGN_COORDINATOR, "/programschools")
    own = harness.last_text(FOREIGN_COORDINATOR)
    assert "Шпаковский округ" in own and "Участвуют: 0 из 2" in own


async def test_the_year_kind_is_set_in_the_municipality_settings(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    await harness.send(COORDINATOR, "/deadlines")
    assert "Год программы: календарный (январь – декабрь)" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "📅 Год программы")
    db.expire_all()
    mun = await db.get(Municipality, ids["mun"])
    assert mun is not None and mun.year_kind == YearKind.SCHOOL
    assert "Год программы: учебный (сентябрь – август)" in harness.last_text(COORDINATOR)
    # The schools screen now counts school years.
    await harness.send(COORDINATOR, "/programschools")
    today = datetime.now(UTC).date()
    current = program_years.year_of(YearKind.SCHOOL, today)
    text = harness.last_text(COORDINATOR)
    assert f"{current}/{current + 1} (01.09.{current} – 31.08.{current + 1})" in text
    # Back to calendar years; a forged kind is refused.
    await harness.press(COORDINATOR, "📅 Год программы")
    db.expire_all()
    mun = await db.get(Municipality, ids["mun"])
    assert mun is not None and mun.year_kind == YearKind.CALENDAR
    forged = MunicipalitySettingsCb(action="year_kind", municipality_id=ids["mun"], value="lunar")
    await harness.callback(COORDINATOR, forged.pack())
    assert "устарела" in harness.last_text(COORDINATOR)
    foreign = MunicipalitySettingsCb(action="year_kind", municipality_id=ids["mun"], value="school")
    await harness.callback(FOREIGN_COORDINATOR, foreign.pack())
    db.expire_all()
    mun = await db.get(Municipality, ids["mun"])
    assert mun is not None and mun.year_kind == YearKind.CALENDAR


async def test_an_admin_picks_a_municipality_of_the_region_first(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    await harness.send(ADMIN, "/programschools")
    assert "Выберите муниципалитет" in harness.last_text(ADMIN)
    names = harness.buttons(ADMIN)
    assert "Апанасенковский округ" in names and "Грачёвский муниципальный округ" in names
    assert "Шпаковский округ" not in names  # another region
    await harness.press(ADMIN, "Грачёвский муниципальный округ")
    await harness.press(ADMIN, "▫️ СОШ № 2")
    assert await participation(db, ids["low"], THIS_YEAR) is not None
    await harness.press(ADMIN, "◀ Муниципалитеты")
    assert "Выберите муниципалитет" in harness.last_text(ADMIN)
    # Another region's school is not the admin's.
    await harness.callback(
        ADMIN,
        ProgramCb(
            action="mark", school_id=ids["foreign_school"], year=THIS_YEAR, value="part"
        ).pack(),
    )
    assert await participation(db, ids["foreign_school"], THIS_YEAR) is None


async def test_a_long_list_of_schools_turns_pages(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    for n in range(10, 17):
        db.add(School(municipality_id=ids["mun"], name=f"МКОУ СОШ № {n}", short_name=f"СОШ № {n}"))
    await db.commit()
    await harness.send(COORDINATOR, "/programschools")
    first = harness.buttons(COORDINATOR)
    assert "▶" in first and "◀" not in first
    assert sum(b.startswith("▫️") for b in first) == 6
    await harness.press(COORDINATOR, "▶")
    second = harness.buttons(COORDINATOR)
    assert "◀" in second and sum(b.startswith("▫️") for b in second) == 4
    # A mark pressed on the second page keeps the page.
    await harness.press(COORDINATOR, "▫️ СОШ № 16")
    assert "✅ СОШ № 16" in harness.buttons(COORDINATOR)
    assert "◀" in harness.buttons(COORDINATOR)


async def test_the_program_year_button_lists_the_years_screens_in_order(
    harness: Harness, db: AsyncSession
) -> None:
    """«🗓 Программа года» stands for six screens in the coordinator's menu: it answers with
    their commands in the order a year runs, each one opening its screen when tapped."""
    await arrange(db)
    await harness.send(COORDINATOR, "🗓 Программа года")
    text = harness.last_text(COORDINATOR)
    commands = ["/programschools", "/plan", "/duedates", "/monitoring", "/board", "/kpi"]
    positions = [text.index(command + " ") for command in commands]
    assert positions == sorted(positions)
    assert "Школы программы по годам" in text and "Показатели программы" in text
    await harness.send(COORDINATOR, "/kpi")
    assert "Показатели" in harness.last_text(COORDINATOR)
