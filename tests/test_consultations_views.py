"""Who sees which consultations: the teacher's list, the coordinator's report, schools without
consultations and the Excel export — each only within its owner's reach."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl
from aiogram.methods import AnswerCallbackQuery, SendDocument, SendMessage
from aiogram.types import BufferedInputFile
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ConsultationCb
from bot.delivery.split import visible_length
from bot.services.consultations import program_year
from storage.models import Municipality, Role, School
from tests import seed
from tests.harness import Harness
from tests.test_consultations_log import (
    TEACHER_ID,
    TUTOR_ID,
    World,
    add_consultation,
    arrange,
    moscow_today,
)

COORDINATOR_ID = 2001
FOREIGN_COORDINATOR_ID = 2002


async def arrange_two_municipalities(db: AsyncSession) -> tuple[World, dict[str, int]]:
    """The tutor's world plus: a second flagged school with no consultation, a coordinator of
    the municipality, and a whole other municipality with its own school, tutor and entry."""
    world = await arrange(db)
    mun = await db.get(Municipality, world.mun)
    assert mun is not None
    quiet = School(
        municipality_id=world.mun, name="МКОУ ООШ № 7 х. Тугулук", unfavourable_conditions=True
    )
    db.add(quiet)
    await seed.person(
        db,
        name="Орлова Елена Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    other_mun, other_school, _ = await seed.place(db, "Кировский городской округ")
    other_tutor = await seed.person(
        db,
        name="Белов Андрей Ильич",
        roles=[Role.TUTOR],
        municipality=other_mun,
        school=other_school,
    )
    await seed.person(
        db,
        name="Зайцева Нина Петровна",
        roles=[Role.COORDINATOR],
        municipality=other_mun,
        telegram_id=FOREIGN_COORDINATOR_ID,
    )
    await db.flush()
    extra = {
        "quiet_school": quiet.id,
        "other_mun": other_mun.id,
        "other_school": other_school.id,
        "other_tutor": other_tutor.id,
    }
    await db.commit()
    foreign_world = World(
        mun=extra["other_mun"],
        school=extra["other_school"],
        leader=0,
        tutor=extra["other_tutor"],
        other_tutor=0,
        teacher=0,
        colleague=0,
        stranger=0,
    )
    await add_consultation(
        db,
        foreign_world,
        tutor=extra["other_tutor"],
        teachers=[],
        whole_school=True,
        held_on=moscow_today(),
        topic="Консультация в Кировском округе",
    )
    return world, extra


async def test_teacher_sees_only_consultations_with_them(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    today = moscow_today()
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[world.teacher],
        held_on=today - timedelta(days=3),
        topic="Проектная деятельность",
    )
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[],
        whole_school=True,
        held_on=today,
        topic="Педсовет по ВПР",
    )
    await add_consultation(
        db,
        world,
        tutor=world.other_tutor,
        teachers=[world.stranger],
        held_on=today,
        topic="Чужая тема",
    )
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[world.colleague],
        held_on=today,
        topic="Тема коллеги",
    )

    await harness.send(TEACHER_ID, "🗒 Мои консультации")

    text = harness.last_text(TEACHER_ID)
    assert "Проектная деятельность" in text
    assert "Педсовет по ВПР" in text and "со всей командой школы" in text
    assert "Смирнова Ольга Петровна" in text
    assert "Чужая тема" not in text
    assert "Тема коллеги" not in text
    assert text.index("Педсовет по ВПР") < text.index("Проектная деятельность"), "newest first"


async def test_teacher_without_consultations_is_told_so(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await harness.send(TEACHER_ID, "🗒 Мои консультации")
    assert "пока нет" in harness.last_text(TEACHER_ID)


async def test_coordinator_report_filters_and_schools_without(
    harness: Harness, db: AsyncSession
) -> None:
    world, _ = await arrange_two_municipalities(db)
    today = moscow_today()
    year_start, _ = program_year(today)
    await add_consultation(
        db, world, tutor=world.tutor, teachers=[world.teacher], held_on=today, duration=60
    )
    await add_consultation(
        db, world, tutor=world.other_tutor, teachers=[world.stranger], held_on=today, duration=30
    )
    # Held in the previous program year: counted under «all time» only.
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[world.teacher],
        held_on=year_start - timedelta(days=10),
    )

    await harness.send(COORDINATOR_ID, "📊 Консультации: отчёт")
    report = harness.last_text(COORDINATOR_ID)
    assert "Грачёвский муниципальный округ" in report
    assert "Консультаций: <b>2</b>" in report
    assert "часов: 1,5" in report
    assert "1 из 2" in report  # two participating schools, one with a consultation

    await harness.press(COORDINATOR_ID, "Всё время")
    assert "Консультаций: <b>3</b>" in harness.last_text(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "По наставнику")
    assert "Белов Андрей Ильич" not in harness.buttons(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "Кузнецов")
    filtered = harness.last_text(COORDINATOR_ID)
    assert "Наставник: Кузнецов Игорь Львович" in filtered
    assert "Консультаций: <b>1</b>" in filtered

    await harness.press(COORDINATOR_ID, "По школе")
    await harness.press(COORDINATOR_ID, "СОШ № 2")
    both = harness.last_text(COORDINATOR_ID)
    assert "Школа: МКОУ СОШ № 2 с. Кугульта" in both
    assert "Консультаций: <b>1</b>" in both  # Кузнецов's one entry there, all time
    await harness.press(COORDINATOR_ID, "По школе")
    await harness.press(COORDINATOR_ID, "ООШ № 7")
    assert "Консультаций: <b>0</b>" in harness.last_text(COORDINATOR_ID)

    await harness.press(COORDINATOR_ID, "Школы без консультаций")
    without = harness.last_text(COORDINATOR_ID)
    assert "МКОУ ООШ № 7 х. Тугулук" in without
    assert "Кугульта" not in without
    assert "Грачёвка" not in without, "the leader school takes no part in the program"


async def test_export_is_an_xlsx_of_the_municipality_only(
    harness: Harness, db: AsyncSession
) -> None:
    world, _ = await arrange_two_municipalities(db)
    today = moscow_today()
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[world.teacher, world.colleague],
        held_on=today,
        topic="Смысловое чтение",
    )
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[],
        whole_school=True,
        held_on=today,
        topic="Педсовет",
    )

    await harness.send(COORDINATOR_ID, "📊 Консультации: отчёт")
    await harness.press(COORDINATOR_ID, "Выгрузить в Excel")
    await harness.run_jobs()

    document = harness.sent_to(COORDINATOR_ID)[-1]
    assert isinstance(document, SendDocument)
    assert isinstance(document.document, BufferedInputFile)
    filename = document.document.filename or ""
    assert filename.endswith(".xlsx")
    assert "Грачёвский муниципальный округ" in filename and "учебный год" in filename
    sheet = openpyxl.load_workbook(io.BytesIO(document.document.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Дата",
        "Школа",
        "Педагог(и)",
        "Наставник",
        "Формат",
        "Блок компетенций",
        "Тема",
        "Длительность (мин)",
        "Результат",
    )
    assert sheet["A1"].font.bold
    assert (sheet.column_dimensions["G"].width or 0) > 30
    assert len(rows) == 3, "the other municipality's entry is not exported"
    named = next(r for r in rows[1:] if r[6] == "Смысловое чтение")
    assert isinstance(named[0], datetime) and named[0].date() == today
    assert named[1] == "МКОУ СОШ № 2 с. Кугульта"
    assert named[2] == "Иванов Пётр Сергеевич, Петрова Анна Ивановна"
    assert named[3] == "Смирнова Ольга Петровна"
    assert named[4:6] == ("Очно", "Методические")
    assert named[7] == 45
    whole = next(r for r in rows[1:] if r[6] == "Педсовет")
    assert whole[2] == "вся команда школы"


async def test_crafted_buttons_of_another_municipality_are_refused(
    harness: Harness, db: AsyncSession
) -> None:
    world, extra = await arrange_two_municipalities(db)

    foreign_report = ConsultationCb(action="rep", value=extra["other_mun"], extra="year.0.0")
    await harness.callback(COORDINATOR_ID, foreign_report.pack())
    assert "только по муниципалитету" in harness.last_text(COORDINATOR_ID)

    foreign_school = ConsultationCb(
        action="rep", value=world.mun, extra=f"all.{extra['other_school']}.0"
    )
    await harness.callback(COORDINATOR_ID, foreign_school.pack())
    assert "не из вашего муниципалитета" in harness.last_text(COORDINATOR_ID)

    foreign_tutor = ConsultationCb(
        action="xlsx", value=world.mun, extra=f"all.0.{extra['other_tutor']}"
    )
    await harness.callback(COORDINATOR_ID, foreign_tutor.pack())
    assert "не работает в вашем муниципалитете" in harness.last_text(COORDINATOR_ID)

    for action in ("xlsx", "no_cons", "rep_schools", "rep_tutors"):
        crafted = ConsultationCb(action=action, value=extra["other_mun"], extra="all.0.0")
        await harness.callback(COORDINATOR_ID, crafted.pack())
        assert "только по муниципалитету" in harness.last_text(COORDINATOR_ID)
    assert await harness.run_jobs() == 0, "a refused export is not queued"
    assert not [r for r in harness.sent_to(COORDINATOR_ID) if isinstance(r, SendDocument)]

    # The other municipality's coordinator sees their own entry and none of the first.
    await harness.send(FOREIGN_COORDINATOR_ID, "📊 Консультации: отчёт")
    assert "Кировский городской округ" in harness.last_text(FOREIGN_COORDINATOR_ID)
    assert "Консультаций: <b>1</b>" in harness.last_text(FOREIGN_COORDINATOR_ID)


async def test_tutor_and_teacher_cannot_open_the_report(harness: Harness, db: AsyncSession) -> None:
    world, _ = await arrange_two_municipalities(db)
    crafted = ConsultationCb(action="xlsx", value=world.mun, extra="all.0.0").pack()

    await harness.callback(TUTOR_ID, crafted)
    await harness.callback(TEACHER_ID, crafted)
    await harness.run_jobs()

    assert not [r for r in harness.requests if isinstance(r, SendDocument)]
    refusals = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert len(refusals) == 2
    assert all("кнопка устарела" in (r.text or "") for r in refusals)


async def test_export_keeps_formula_looking_text_as_text(
    harness: Harness, db: AsyncSession
) -> None:
    """A topic typed as «=HYPERLINK(…)» must reach the report as the words typed, never as a
    live formula in the coordinator's spreadsheet."""
    world, _ = await arrange_two_municipalities(db)
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[world.teacher],
        held_on=moscow_today(),
        topic='=HYPERLINK("http://example.com","ВПР")',
    )

    await harness.send(COORDINATOR_ID, "📊 Консультации: отчёт")
    await harness.press(COORDINATOR_ID, "Выгрузить в Excel")
    await harness.run_jobs()

    document = harness.sent_to(COORDINATOR_ID)[-1]
    assert isinstance(document, SendDocument)
    assert isinstance(document.document, BufferedInputFile)
    sheet = openpyxl.load_workbook(io.BytesIO(document.document.data)).active
    assert sheet is not None
    [topic_cell] = [c for c in sheet["G"][1:] if "HYPERLINK" in str(c.value)]
    assert topic_cell.data_type == "s"
    assert topic_cell.value == '=HYPERLINK("http://example.com","ВПР")'


async def test_a_crafted_filter_with_unusual_digits_is_refused_politely(
    harness: Harness, db: AsyncSession
) -> None:
    world, _ = await arrange_two_municipalities(db)
    # «²» passes str.isdigit() but int() refuses it.
    crafted = ConsultationCb(action="rep", value=world.mun, extra="all.².0").pack()

    await harness.callback(COORDINATOR_ID, crafted)

    assert "другому шагу" in harness.last_text(COORDINATOR_ID)


async def test_export_survives_control_characters_in_typed_text(
    harness: Harness, db: AsyncSession
) -> None:
    """Text pasted from elsewhere may carry control characters a spreadsheet cannot hold; one
    such entry must not make the whole municipality's export fail."""
    world, _ = await arrange_two_municipalities(db)
    await add_consultation(
        db,
        world,
        tutor=world.tutor,
        teachers=[world.teacher],
        held_on=moscow_today(),
        topic="Смысловое\x07 чтение",
    )

    await harness.send(COORDINATOR_ID, "📊 Консультации: отчёт")
    await harness.press(COORDINATOR_ID, "Выгрузить в Excel")
    await harness.run_jobs()

    document = harness.sent_to(COORDINATOR_ID)[-1]
    assert isinstance(document, SendDocument)
    assert isinstance(document.document, BufferedInputFile)
    sheet = openpyxl.load_workbook(io.BytesIO(document.document.data)).active
    assert sheet is not None
    assert "Смысловое чтение" in [c.value for c in sheet["G"]]


def _texts_fit(harness: Harness, chat_id: int) -> list[str]:
    sent = [r for r in harness.sent_to(chat_id) if isinstance(r, SendMessage)]
    # As Telegram counts (after the HTML is parsed); the fake Bot API checks the same.
    lengths = [visible_length(r.text) for r in sent]
    assert sent and all(length <= 4096 for length in lengths), lengths
    return [r.text for r in sent]


async def test_long_consultation_lists_fit_telegrams_limit(
    harness: Harness, db: AsyncSession
) -> None:
    """Many entries with long outcomes and topics, many schools without consultations: each
    list arrives in messages of at most 4,096 characters, nothing cut off."""
    world, _ = await arrange_two_municipalities(db)
    today = moscow_today()
    for index in range(20):
        await add_consultation(
            db,
            world,
            tutor=world.tutor,
            teachers=[world.teacher],
            held_on=today,
            topic=f"Тема {index:02d} " + "т" * 280,
            outcome=f"Итог {index:02d} " + "и" * 1500,
        )
    for index in range(90):
        db.add(
            School(
                municipality_id=world.mun,
                name=f"МКОУ СОШ № {100 + index} с. Длинное название",
                low_results=True,
            )
        )
    await db.commit()

    await harness.send(TEACHER_ID, "🗒 Мои консультации")
    assert "Итог 19" in "".join(_texts_fit(harness, TEACHER_ID))

    await harness.callback(TUTOR_ID, ConsultationCb(action="mine", value=0, extra="").pack())
    assert "Тема 19" in "".join(_texts_fit(harness, TUTOR_ID))

    await harness.callback(
        COORDINATOR_ID, ConsultationCb(action="no_cons", value=world.mun, extra="").pack()
    )
    assert "СОШ № 189" in "".join(_texts_fit(harness, COORDINATOR_ID))
