"""Roster upload in the chat: dry run, apply, re-import, problems, refusals, the template."""

from __future__ import annotations

import io
import os
from typing import Any

import openpyxl
from aiogram.methods import GetFile, SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RosterCb
from storage.models import (
    Municipality,
    Person,
    PersonRole,
    Role,
    RosterUpload,
    School,
    TutorAssignment,
)
from tests import seed
from tests.harness import Harness
from tests.telegram_limits import parse_html

COORDINATOR_ID = 3001
TEACHER_ID = 3002

PEOPLE_HEADER = ["ФИО", "Телефон", "Школа", "Роль", "Предметы", "Наставник"]
SCHOOLS_HEADER = ["Название", "Краткое название", "ШНОР", "ШНСУ", "Школа-лидер"]


def xlsx(
    people: list[list[Any]],
    schools: list[list[Any]] | None = None,
    header: list[str] | None = None,
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Участники"
    sheet.append(header or PEOPLE_HEADER)
    for row in people:
        sheet.append(row)
    if schools is not None:
        school_sheet = workbook.create_sheet("Школы")
        school_sheet.append(SCHOOLS_HEADER)
        for row in schools:
            school_sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BASIC_PEOPLE = [
    [
        "Петрова Анна Ивановна",
        "8 918 111-22-33",
        "СОШ № 2",
        "учитель",
        "Математика",
        "Орлов Игорь Петрович",
    ],
    ["Орлов Игорь Петрович", "+7 918 444-55-66", "МКОУ СОШ № 1 с. Грачёвка", "наставник", "", ""],
    [
        "Кузнецова Елена Викторовна",
        "79187778899",
        "Гимназия № 5",
        "директор",
        "Русский язык, Литература",
        "",
    ],
]
BASIC_SCHOOLS = [["МБОУ Гимназия № 5 с. Грачёвка", "Гимназия № 5", "нет", "да", "нет"]]


async def coordinator_place(db: AsyncSession) -> tuple[Municipality, School, School, Person]:
    mun, low, leader = await seed.place(db)
    coordinator = await seed.person(
        db,
        name="Сидорова Ольга Павловна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    await db.commit()
    return mun, low, leader, coordinator


async def count(db: AsyncSession, model: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


def file_requests(harness: Harness) -> list[GetFile]:
    return [r for r in harness.requests if isinstance(r, GetFile)]


async def test_menu_button_explains_format_and_offers_template(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)

    await harness.send(COORDINATOR_ID, "📋 Список участников")

    assert "ФИО" in harness.last_text(COORDINATOR_ID)
    assert "Школы" in harness.last_text(COORDINATOR_ID)
    assert harness.buttons(COORDINATOR_ID) == ["📥 Скачать шаблон"]


async def test_dry_run_writes_nothing_then_apply_imports_everything(
    harness: Harness, db: AsyncSession
) -> None:
    mun, low, _leader, _ = await coordinator_place(db)
    mun_id, low_id = mun.id, low.id
    people_before = await count(db, Person)

    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(BASIC_PEOPLE, BASIC_SCHOOLS))
    await harness.run_jobs()

    report = harness.last_text(COORDINATOR_ID)
    assert "Новых участников: 3" in report
    assert "Будет создано школ: 1" in report
    assert "Новых назначений наставников: 1" in report
    assert harness.buttons(COORDINATOR_ID) == ["✅ Применить", "Отмена"]
    assert await count(db, Person) == people_before
    assert await count(db, School) == 2
    assert await count(db, RosterUpload) == 1

    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    assert "Список участников загружен" in harness.last_text(COORDINATOR_ID)
    db.expire_all()
    assert await count(db, Person) == people_before + 3
    anna = await db.scalar(select(Person).where(Person.phone == "+79181112233"))
    assert anna is not None
    assert (anna.full_name, anna.municipality_id, anna.school_id) == (
        "Петрова Анна Ивановна",
        mun_id,
        low_id,
    )
    assert anna.role_set == {Role.TEACHER}
    assert anna.subject_names == ["Математика"]
    director = await db.scalar(select(Person).where(Person.phone == "+79187778899"))
    assert director is not None and director.role_set == {Role.TEACHER, Role.SCHOOL_LEADER}
    assert director.subject_names == ["Литература", "Русский язык"]
    gymnasium = await db.scalar(select(School).where(School.short_name == "Гимназия № 5"))
    assert gymnasium is not None and gymnasium.unfavourable_conditions
    assert director.school_id == gymnasium.id
    tutor = await db.scalar(select(Person).where(Person.phone == "+79184445566"))
    assert tutor is not None and tutor.role_set == {Role.TUTOR}
    assignment = await db.scalar(select(TutorAssignment))
    assert assignment is not None
    assert (assignment.tutor_id, assignment.teacher_id) == (tutor.id, anna.id)
    upload = await db.scalar(select(RosterUpload))
    assert upload is not None and upload.applied_at is not None


async def test_reimport_updates_people_and_never_duplicates(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)
    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(BASIC_PEOPLE, BASIC_SCHOOLS))
    await harness.run_jobs()
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()
    people_after_first = await count(db, Person)

    changed = [list(row) for row in BASIC_PEOPLE]
    changed[0][0] = "Петрова-Смирнова Анна Ивановна"  # married: same phone, new surname
    changed[0][4] = "Математика, Информатика"
    await harness.upload(COORDINATOR_ID, "список2.xlsx", xlsx(changed, BASIC_SCHOOLS))
    await harness.run_jobs()

    report = harness.last_text(COORDINATOR_ID)
    assert "Новых участников: 0" in report
    assert "Будут обновлены: 1" in report
    assert "Без изменений: 2" in report
    assert "Новых назначений наставников: 0" in report
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    assert await count(db, Person) == people_after_first
    assert await count(db, TutorAssignment) == 1
    assert await count(db, School) == 3
    anna = await db.scalar(select(Person).where(Person.phone == "+79181112233"))
    assert anna is not None and anna.full_name == "Петрова-Смирнова Анна Ивановна"
    assert anna.subject_names == ["Информатика", "Математика"]


async def test_person_without_phone_is_matched_by_name_and_school(
    harness: Harness, db: AsyncSession
) -> None:
    mun, low, _, _ = await coordinator_place(db)
    existing = await seed.person(
        db, name="Белова Нина Сергеевна", roles=[Role.TEACHER], municipality=mun, school=low
    )
    existing_id = existing.id
    await db.commit()

    await harness.upload(
        COORDINATOR_ID,
        "список.xlsx",
        xlsx([["Белова Нина Сергеевна", "8 918 000-11-22", "СОШ № 2", "педагог", "", ""]]),
    )
    await harness.run_jobs()
    assert "Будут обновлены: 1" in harness.last_text(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    refreshed = await db.get(Person, existing_id)
    assert refreshed is not None and refreshed.phone == "+79180001122"
    assert await count(db, Person) == 2


async def test_missing_required_column_is_a_whole_file_problem(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)

    await harness.upload(
        COORDINATOR_ID,
        "список.xlsx",
        xlsx([["8 918 111-22-33", "СОШ № 2"]], header=["Телефон", "Школа"]),
    )
    await harness.run_jobs()

    report = harness.last_text(COORDINATOR_ID)
    assert "нет обязательных столбцов: ФИО" in report
    assert harness.buttons(COORDINATOR_ID) == ["Отмена"]


async def test_problems_are_listed_by_row_and_skipped_on_apply(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)
    rows = [
        ["Петрова Анна Ивановна", "8 918 111-22-33", "СОШ № 2", "учитель", "", ""],  # row 2
        ["Смирнова Ирина Олеговна", "8 918 111-22-33", "СОШ № 1", "учитель", "", ""],  # row 3
        ["", "8 918 222-33-44", "СОШ № 1", "учитель", "", ""],  # row 4
        ["Лебедев Олег Павлович", "12345", "СОШ № 1", "учитель", "", ""],  # row 5
        ["Волкова Дарья Андреевна", "", "Школа № 99", "учитель", "", ""],  # row 6
        ["Зайцев Пётр Ильич", "", "СОШ № 1", "завхоз", "", ""],  # row 7
        ["Морозова Алла Юрьевна", "", "СОШ № 1", "учитель", "", "Неизвестный Наставник"],  # 8
        ["Егорова Вера Львовна", "8 918 333-44-55", "СОШ № 1", "учитель", "", ""],  # row 9
    ]

    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(rows))
    await harness.run_jobs()

    report = harness.last_text(COORDINATOR_ID)
    assert "Строка 2: тот же телефон, что в строке 3" in report
    assert "Строка 3: тот же телефон, что в строке 2" in report
    assert "Строка 4: не указано ФИО" in report
    assert "Строка 5: неверный телефон «12345»" in report
    assert "Строка 6: школа «Школа № 99» не найдена" in report
    assert "Строка 7: неизвестная роль «завхоз»" in report
    assert "Строка 8: наставник «Неизвестный Наставник» не найден" in report
    assert "Новых участников: 1" in report
    assert "пропущено строк: 7" in report

    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    names = set((await db.scalars(select(Person.full_name))).all())
    assert names == {"Сидорова Ольга Павловна", "Егорова Вера Львовна"}


async def test_many_problems_come_as_a_file(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)
    rows = [["Иванова Анна Петровна", "", "Нет такой школы", "", "", ""] for _ in range(45)]

    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(rows))
    await harness.run_jobs()

    assert "и ещё 15" in harness.texts_to(COORDINATOR_ID)[-2]
    document = harness.sent_to(COORDINATOR_ID)[-1]
    assert isinstance(document, SendDocument)
    assert isinstance(document.document, BufferedInputFile)
    sheet = openpyxl.load_workbook(io.BytesIO(document.document.data)).active
    assert sheet is not None
    assert sheet.max_row == 46  # heading + every problem


async def test_a_report_of_long_problems_fits_one_message_and_the_file_has_them_all(
    harness: Harness, db: AsyncSession
) -> None:
    """Thirty problems quoting 600-character cells made a report of ≈ 19,000 characters, which
    Telegram refused: the coordinator saw nothing. Now the message quotes cells shortened and
    holds as many problems as fit; the spreadsheet lists every one, in full."""
    await coordinator_place(db)
    school = "Школа, которой нет " + "очень длинное название " * 25
    rows = [["Иванова Анна Петровна", "", f"{school}{n}", "", "", ""] for n in range(40)]
    rows.append(["Егорова Вера Львовна", "8 918 333-44-55", "СОШ № 1", "учитель", "", ""])

    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(rows))
    await harness.run_jobs()

    report = harness.texts_to(COORDINATOR_ID)[-2]
    shown = parse_html(report)
    assert len(shown) <= 4096
    assert "Строка 2: школа «Школа, которой нет" in shown
    assert "…" in shown  # a long cell is quoted shortened
    assert "и ещё" in shown
    # The report is whole to its end, and «Применить» still takes the one good row.
    assert "Нажмите «Применить»" in shown
    assert "✅ Применить" in harness.buttons(COORDINATOR_ID)
    document = harness.sent_to(COORDINATOR_ID)[-1]
    assert isinstance(document, SendDocument)
    assert isinstance(document.document, BufferedInputFile)
    sheet = openpyxl.load_workbook(io.BytesIO(document.document.data)).active
    assert sheet is not None
    assert sheet.max_row == 41  # heading + every problem
    assert any(f"{school}39" in str(cell.value) for cell in sheet["C"])


async def test_csv_in_windows_1251_with_semicolons(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)
    content = (
        "ФИО;Телефон;Школа;Роль\r\n"
        "Петрова Анна Ивановна;8 918 111-22-33;СОШ № 2;учитель\r\n"
        "Орлов Игорь Петрович;+7 918 444-55-66;СОШ № 1;куратор, учитель\r\n"
    ).encode("cp1251")

    await harness.upload(COORDINATOR_ID, "список.csv", content)
    await harness.run_jobs()
    assert "Новых участников: 2" in harness.last_text(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    orlov = await db.scalar(select(Person).where(Person.full_name == "Орлов Игорь Петрович"))
    assert orlov is not None and orlov.role_set == {Role.TUTOR, Role.TEACHER}


async def test_random_bytes_named_xlsx_are_a_broken_file(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)

    await harness.upload(COORDINATOR_ID, "список.xlsx", os.urandom(2048))
    await harness.run_jobs()

    assert "Не удалось прочитать файл как таблицу" in harness.last_text(COORDINATOR_ID)
    assert await count(db, RosterUpload) == 0


async def test_pdf_is_refused_without_download(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)

    await harness.upload(COORDINATOR_ID, "приказ.pdf", b"%PDF-1.4 ...", mime_type="application/pdf")
    await harness.run_jobs()

    assert "Нужен файл .xlsx (Excel) или .csv" in harness.last_text(COORDINATOR_ID)
    assert file_requests(harness) == []
    assert await count(db, RosterUpload) == 0


async def test_ten_megabyte_file_is_refused_before_download(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)

    await harness.upload(COORDINATOR_ID, "огромный.xlsx", b"\0" * (10 * 1024 * 1024))
    await harness.run_jobs()

    assert "Файл слишком большой: можно до 5 МБ" in harness.last_text(COORDINATOR_ID)
    assert file_requests(harness) == []
    assert await count(db, RosterUpload) == 0


async def test_teacher_document_does_not_reach_the_import(
    harness: Harness, db: AsyncSession
) -> None:
    mun, low, _, _ = await coordinator_place(db)
    await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
        telegram_id=TEACHER_ID,
    )
    await db.commit()

    await harness.upload(TEACHER_ID, "список.xlsx", xlsx(BASIC_PEOPLE))

    assert not any("Новых участников" in text for text in harness.texts_to(TEACHER_ID))
    assert file_requests(harness) == []
    assert await count(db, RosterUpload) == 0


async def test_second_apply_is_refused_politely(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)
    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(BASIC_PEOPLE, BASIC_SCHOOLS))
    await harness.run_jobs()
    upload = await db.scalar(select(RosterUpload))
    assert upload is not None
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()
    people_after = await count(db, Person)

    await harness.callback(COORDINATOR_ID, RosterCb(action="apply", upload_id=upload.id).pack())
    await harness.run_jobs()

    assert "уже применён" in harness.last_text(COORDINATOR_ID)
    assert await count(db, Person) == people_after


async def test_foreign_upload_is_refused(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)
    other, _, _ = await seed.place(db, "Кировский городской округ")
    foreign = RosterUpload(municipality_id=other.id, filename="x.xlsx", content=xlsx(BASIC_PEOPLE))
    db.add(foreign)
    await db.commit()
    people_before = await count(db, Person)

    await harness.callback(COORDINATOR_ID, RosterCb(action="apply", upload_id=foreign.id).pack())
    await harness.run_jobs()

    assert "загрузка не найдена" in harness.last_text(COORDINATOR_ID)
    assert await count(db, Person) == people_before


async def test_cancel_forgets_the_upload(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)
    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(BASIC_PEOPLE, BASIC_SCHOOLS))
    await harness.run_jobs()

    await harness.press(COORDINATOR_ID, "Отмена")

    assert "Загрузка отменена" in harness.last_text(COORDINATOR_ID)
    db.expire_all()
    assert await count(db, RosterUpload) == 0
    assert await count(db, PersonRole) == 1  # only the coordinator's own grant


async def test_template_is_a_valid_workbook_that_imports_as_is(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)
    await harness.send(COORDINATOR_ID, "/roster")

    await harness.press(COORDINATOR_ID, "Скачать шаблон")

    document = harness.sent_to(COORDINATOR_ID)[-1]
    assert isinstance(document, SendDocument)
    assert isinstance(document.document, BufferedInputFile)
    assert (document.document.filename or "").endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook.sheetnames == ["Участники", "Школы"]
    people_header = [cell.value for cell in workbook["Участники"][1]]
    assert people_header[:5] == ["ФИО", "Телефон", "Школа", "Роль", "Предметы"]
    assert workbook["Школы"]["A1"].value == "Название"
    assert workbook["Участники"].max_row >= 2

    await harness.upload(COORDINATOR_ID, "шаблон.xlsx", document.document.data)
    await harness.run_jobs()

    report = harness.last_text(COORDINATOR_ID)
    assert "Новых участников: 2" in report
    assert "Новых назначений наставников: 1" in report
    assert "Ошибок" not in report


async def test_schools_sheet_updates_flags_and_reports_bad_values(
    harness: Harness, db: AsyncSession
) -> None:
    _, low, _, _ = await coordinator_place(db)
    low_id = low.id
    schools = [
        ["МКОУ СОШ № 2 с. Кугульта", "СОШ № 2", "да", "да", "нет"],  # gains ШНСУ
        ["МБОУ СОШ № 7", "СОШ № 7", "может быть", "нет", "нет"],  # row 3: bad flag
        ["", "Без названия", "нет", "нет", "нет"],  # row 4: no name
    ]
    people = [["Петрова Анна Ивановна", "", "СОШ № 7", "учитель", "", ""]]

    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(people, schools))
    await harness.run_jobs()

    report = harness.last_text(COORDINATOR_ID)
    assert "Будет создано школ: 0, обновлено: 1" in report
    assert "Лист «Школы», строка 3: в столбце «ШНОР (да/нет)»" in report
    assert "«может быть»" in report
    assert "Лист «Школы», строка 4: не указано название школы" in report
    assert "Строка 2: школа «СОШ № 7» не найдена" in report

    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    school = await db.get(School, low_id)
    assert school is not None and school.low_results and school.unfavourable_conditions
    assert await count(db, School) == 2


async def test_tutor_already_in_the_municipality_is_found_by_name(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, leader, _ = await coordinator_place(db)
    tutor = await seed.person(
        db, name="Орлов Игорь Петрович", roles=[Role.TUTOR], municipality=mun, school=leader
    )
    tutor_id = tutor.id
    await seed.person(
        db, name="Орлова Ирина Петровна", roles=[Role.TUTOR], municipality=mun, school=leader
    )
    await db.commit()
    people = [
        ["Петрова Анна Ивановна", "", "СОШ № 2", "учитель", "", "орлов  игорь петрович"],
        ["Смирнова Ирина Олеговна", "", "СОШ № 2", "учитель", "", "Орлова Ирина Петровна"],
    ]

    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(people))
    await harness.run_jobs()
    assert "Новых назначений наставников: 2" in harness.last_text(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    anna = await db.scalar(select(Person).where(Person.full_name == "Петрова Анна Ивановна"))
    assert anna is not None
    pair = await db.scalar(select(TutorAssignment).where(TutorAssignment.teacher_id == anna.id))
    assert pair is not None and pair.tutor_id == tutor_id


async def test_ambiguous_tutor_name_asks_for_a_phone(harness: Harness, db: AsyncSession) -> None:
    await coordinator_place(db)
    people = [
        ["Орлов Игорь Петрович", "8 918 444-55-66", "СОШ № 1", "наставник", "", ""],
        ["Орлов Игорь Петрович", "8 918 444-55-77", "СОШ № 2", "наставник", "", ""],
        ["Петрова Анна Ивановна", "", "СОШ № 2", "учитель", "", "Орлов Игорь Петрович"],
    ]

    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(people))
    await harness.run_jobs()

    assert "Строка 4: наставников «Орлов Игорь Петрович» несколько" in harness.last_text(
        COORDINATOR_ID
    )


async def test_report_speaks_english_to_an_english_coordinator(
    harness: Harness, db: AsyncSession
) -> None:
    _, _, _, coordinator = await coordinator_place(db)
    coordinator.locale = "en"
    await db.commit()
    harness.user(COORDINATOR_ID, language_code="en")

    await harness.upload(
        COORDINATOR_ID,
        "roster.xlsx",
        xlsx(
            [
                ["Petrova Anna", "+7 918 111-22-33", "СОШ № 2", "teacher", "", ""],
                ["", "", "", "", "", "x"],
            ],
            header=["Full name", "Phone", "School", "Role", "Subjects", "Tutor (name or phone)"],
        ),
    )
    await harness.run_jobs()

    report = harness.last_text(COORDINATOR_ID)
    assert "New people: 1" in report
    assert "Row 3: no full name" in report
    assert harness.buttons(COORDINATOR_ID) == ["✅ Apply", "Cancel"]


async def test_coordinator_of_two_municipalities_checks_the_file_for_the_other(
    harness: Harness, db: AsyncSession
) -> None:
    first, _low, _leader, coordinator = await coordinator_place(db)
    second, second_school, _ = await seed.place(db, municipality="Кировский городской округ")
    db.add(PersonRole(person_id=coordinator.id, role=Role.COORDINATOR, municipality_id=second.id))
    await db.commit()
    second_id, second_school_id = second.id, second_school.id
    people = [["Волкова Инна Сергеевна", "8 918 000-11-22", "СОШ № 2", "учитель", "", ""]]

    await harness.upload(COORDINATOR_ID, "киров.xlsx", xlsx(people))
    await harness.run_jobs()
    assert first.name in harness.last_text(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "Кировский городской округ")
    await harness.run_jobs()
    assert "Кировский городской округ" in harness.last_text(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    volkova = await db.scalar(select(Person).where(Person.phone == "+79180001122"))
    assert volkova is not None
    assert (volkova.municipality_id, volkova.school_id) == (second_id, second_school_id)


async def test_switching_to_a_foreign_municipality_is_refused(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)
    foreign, _, _ = await seed.place(db, municipality="Кировский городской округ")
    await db.commit()
    foreign_id = foreign.id
    await harness.upload(COORDINATOR_ID, "список.xlsx", xlsx(BASIC_PEOPLE, BASIC_SCHOOLS))
    await harness.run_jobs()
    upload_id = await db.scalar(select(RosterUpload.id))

    await harness.callback(COORDINATOR_ID, f"ro:for:{upload_id}:{foreign_id}")
    await harness.run_jobs()

    assert "загрузка не найдена" in harness.last_text(COORDINATOR_ID)
    db.expire_all()
    upload = await db.scalar(select(RosterUpload))
    assert upload is not None and upload.municipality_id != foreign_id
