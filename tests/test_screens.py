"""Texts and screens as a new user meets them: every text reads well with real names in it, and
each role's main screens say what the bot really does, in Russian and in English."""

from __future__ import annotations

import io
import re
import string
from typing import Any

import openpyxl
import pytest
from aiogram.methods import SendDocument
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audience as audiences
from bot.texts import LOCALES_DIR, read_catalog
from storage.models import Person, Role
from tests import seed
from tests.harness import Harness

LOCALES = ("ru", "en")
TEMPLATES_DIR = LOCALES_DIR / "templates"
# Names with initials end with a period: «Мельников А.П.».
NAME = "Мельников А.П."
# Placeholders that only ever hold numbers, dates («04.03.2025») or a setting's name, which never
# end with a period; every other one is filled with a name, the worst case for a sentence that
# goes on after it.
NOT_NAMES = {
    "answered", "assignments", "average", "columns", "communities", "count", "covered", "current",
    "days", "done", "end", "escalate", "hours", "id", "length", "limit", "max", "max_hours",
    "max_mb", "mb", "members", "min", "minutes", "municipalities", "number", "outcome_max",
    "people", "percent", "remind", "revision", "row", "rows", "schools", "sent", "shown",
    "skipped", "start", "total", "whole_school",
    "date", "expires", "moment", "month", "since", "until", "field",
}  # fmt: skip


def _texts(locale: str) -> list[tuple[str, str]]:
    """Every text of the catalogue, each plural form on its own."""
    found: list[tuple[str, str]] = []
    for message in read_catalog(LOCALES_DIR / locale):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        found.extend((key, form) for form in forms)
    return found


def _with_names(text: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return text.format(**{f: "7" if f in NOT_NAMES else NAME for f in fields})


@pytest.mark.parametrize("locale", LOCALES)
def test_no_text_doubles_the_period_after_a_name(locale: str) -> None:
    doubled = [
        (key, rendered)
        for key, text in _texts(locale)
        # «ABC...» in an example token is the text's own: only a period the name brings counts.
        if (rendered := _with_names(text)).count("..") > text.count("..")
    ]
    assert doubled == []


def test_no_template_puts_a_period_after_a_value() -> None:
    """A template sentence that ends with a value then a period doubles it for «А.П.»."""
    # A list's numbers («1. …») are fine: they never end with a period.
    after_value = re.compile(r"(?<!loop\.index )\}\}\.")
    found = [
        (path.name, line)
        for path in sorted(TEMPLATES_DIR.iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if after_value.search(line)
    ]
    assert found == []


# Russian nouns that need a name in the dative or genitive after them: a name there would have
# to be declined («наставнику Мельникову»), which the bot cannot do; texts phrase around it
# («Наставник: Мельников А.П.»).
CASE_WORDS = re.compile(
    r"(?:наставнику|наставника|педагогу|педагога|учителю|учителя|координатору|координатора"
    r"|\bот|\bдля|\bк|\bу)\s+\{(\w+)\}",
    re.IGNORECASE,
)


def test_no_russian_text_needs_a_name_declined() -> None:
    assert [
        (key, text)
        for key, text in _texts("ru")
        if any(field not in NOT_NAMES for field in CASE_WORDS.findall(text))
    ] == []


# --- broadcasts: who the announcement cannot reach ----------------------------------------------

COORDINATOR = 8801
ADMIN = 8802
JOINED = (8810, 8811, 8812)
FORMULA_NAME = '=HYPERLINK("http://x.example","Жми") Иван\x07ов'


async def arrange_broadcast_audience(db: AsyncSession) -> None:
    mun, low, leader = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Елена Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR,
    )
    await seed.person(
        db, name="Админ Пётр Ильич", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN
    )
    for n, telegram_id in enumerate(JOINED):
        await seed.person(
            db,
            name=f"Подключённый Педагог {n}",
            roles=[Role.TEACHER],
            municipality=mun,
            school=low,
            telegram_id=telegram_id,
        )
    # From the roster, never started the bot.
    await seed.person(
        db,
        name="Неподключённая Анна Сергеевна",
        roles=[Role.TEACHER, Role.TUTOR],
        municipality=mun,
        school=leader,
        phone="+79990000001",
    )
    await seed.person(
        db, name=FORMULA_NAME, roles=[Role.TEACHER], municipality=mun, phone="+79990000002"
    )
    # Another municipality's unjoined teacher is none of this coordinator's business.
    other, other_school, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db,
        name="Чужая Неподключённая",
        roles=[Role.TEACHER],
        municipality=other,
        school=other_school,
        phone="+79990000003",
    )
    await db.commit()


def _sheet_rows(document: SendDocument) -> list[tuple[Any, ...]]:
    data = document.document.data  # type: ignore[union-attr]
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def _documents(harness: Harness) -> list[SendDocument]:
    return [r for r in harness.requests if isinstance(r, SendDocument)]


async def test_broadcast_preview_and_report_name_those_who_never_joined(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_broadcast_audience(db)
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, "Совещание в пятницу")
    await harness.press(COORDINATOR, "Предпросмотр")

    preview = harness.last_text(COORDINATOR)
    assert "Получателей: 4" in preview  # the teachers and the admin
    assert "Ещё не подключились к боту: 2" in preview

    await harness.press(COORDINATOR, "Кто не подключился")
    [document] = _documents(harness)
    header, *rows = _sheet_rows(document)
    assert header == ("ФИО", "Школа", "Роль", "Телефон")
    assert sorted(rows) == sorted(
        [
            ("Неподключённая Анна Сергеевна", "МКОУ СОШ № 1 с. Грачёвка", "педагог, наставник",
             "+79990000001"),
            # A formula in a name stays text, and the control character is gone.
            ('=HYPERLINK("http://x.example","Жми") Иванов', "—", "педагог", "+79990000002"),
        ]
    )  # fmt: skip
    # The preview's buttons come again below the file.
    assert "Отправить сейчас" in " ".join(harness.buttons(COORDINATOR))

    await harness.press(COORDINATOR, "Отправить сейчас")
    await harness.deliver()
    await harness.run_job("bot.delivery.progress:tick")
    await harness.deliver()
    report = harness.last_text(COORDINATOR)
    assert "Итоги рассылки" in report and "Не подключились к боту: 2" in report

    await harness.press(COORDINATOR, "Кто не подключился")
    assert len(_documents(harness)) == 2
    assert len(_sheet_rows(_documents(harness)[-1])) == 3


async def test_the_unjoined_list_shows_phones_only_to_the_municipalitys_coordinator(
    db: AsyncSession,
) -> None:
    await arrange_broadcast_audience(db)
    admin = await db.scalar(select(Person).where(Person.telegram_id == ADMIN))
    assert admin is not None
    scope = await audiences.sender_scope(db, admin)
    people = await audiences.unjoined(db, scope, audiences.Audience(), admin)
    assert {p.name for p in people} == {"Неподключённая Анна Сергеевна", FORMULA_NAME}
    assert {p.phone for p in people} == {None}


async def test_a_preview_with_everyone_joined_offers_no_list(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_broadcast_audience(db)
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, "Совещание в пятницу")
    await harness.press(COORDINATOR, "Школы")
    await harness.press(COORDINATOR, "СОШ № 2")
    await harness.press(COORDINATOR, "Назад")
    await harness.press(COORDINATOR, "Предпросмотр")

    assert "не подключились" not in harness.last_text(COORDINATOR)
    assert "Кто не подключился" not in " ".join(harness.buttons(COORDINATOR))


# --- «Назначить»: who a question would reach ----------------------------------------------------

ASKING_TEACHER = 8901
REACHABLE_TUTOR = 8902
QUEUE_COORDINATOR = 8903


async def test_assigning_marks_tutors_who_never_joined_and_lists_them_last(
    harness: Harness, db: AsyncSession
) -> None:
    mun, school, leader = await seed.place(db)
    await seed.person(
        db,
        name="Иванова Мария Петровна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=ASKING_TEACHER,
    )
    # By name the unjoined tutor comes first; the one a question reaches is listed first.
    await seed.person(
        db, name="Абрамова Нина Ильинична", roles=[Role.TUTOR], municipality=mun, school=leader
    )
    await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=REACHABLE_TUTOR,
    )
    await seed.person(
        db,
        name="Сидорова Ольга Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=QUEUE_COORDINATOR,
    )
    await db.commit()
    await harness.send(ASKING_TEACHER, "/ask")
    await harness.send(ASKING_TEACHER, "Как готовить к ОГЭ?")
    await harness.deliver()

    await harness.press(QUEUE_COORDINATOR, "Назначить наставника")
    assert "не подключился к боту" in harness.last_text(QUEUE_COORDINATOR)
    assert harness.buttons(QUEUE_COORDINATOR) == [
        "Петрова Анна Ивановна",
        "⚪ Абрамова Нина Ильинична (не в боте)",
    ]
    # Chosen anyway, the coordinator is told why it cannot go to them now.
    await harness.press(QUEUE_COORDINATOR, "Абрамова")
    assert "недоступен в боте" in harness.last_text(QUEUE_COORDINATOR)
