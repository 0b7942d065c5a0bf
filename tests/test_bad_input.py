"""Numbers a person types or a button carries: unicode digits, huge and negative values.

Each refusal is the person's answer («write a whole number», «old button»), never an error in
the log: `isdigit()` is true for «①²⁵», which `int()` refuses; 400 nines make a float infinite;
an id past 2³¹ does not fit the 32-bit columns of PostgreSQL.
"""

from __future__ import annotations

import inspect
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

import bot.callbacks
from bot.errors import DomainError
from bot.handlers.admin import PICK_PURPOSES
from bot.services.consultation_report import ReportFilter
from bot.services.consultations import DURATION_MAX_MINUTES, parse_duration
from bot.services.typed_numbers import NotAWholeNumber, OutOfRange, typed_whole_number
from storage.models import Role
from tests import seed
from tests.harness import Harness
from tests.test_municipality_settings import COORDINATOR, arrange_region, reread

UNICODE_DIGITS = ["①", "²", "⁵", "1²", "٣", "１２"]
EVERYONE = 5901


@pytest.mark.parametrize("typed", UNICODE_DIGITS)
def test_a_typed_number_takes_ascii_digits_only(typed: str) -> None:
    with pytest.raises(NotAWholeNumber):
        typed_whole_number(typed, 0, 100)


@pytest.mark.parametrize("typed", ["101", "9" * 400, "9" * 5000, "-1"])
def test_a_typed_number_is_bounded(typed: str) -> None:
    with pytest.raises((OutOfRange, NotAWholeNumber)):
        typed_whole_number(typed, 0, 100)


def test_a_typed_number_allows_spaces_and_leading_zeros() -> None:
    assert typed_whole_number(" 007 ", 0, 100) == 7


@pytest.mark.parametrize("typed", UNICODE_DIGITS)
async def test_a_deadline_in_unicode_digits_asks_for_a_number(
    harness: Harness, db: AsyncSession, typed: str, caplog: pytest.LogCaptureFixture
) -> None:
    region = await arrange_region(db)
    await harness.send(COORDINATOR, "/deadlines")
    await harness.press(COORDINATOR, "Напоминание наставнику")

    with caplog.at_level(logging.ERROR):
        await harness.send(COORDINATOR, typed)

    assert "целым числом часов" in harness.last_text(COORDINATOR)
    assert (await reread(db, region.mun)).sla_remind_hours is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("page", ["²", "①", "9" * 30, "-1"])
async def test_a_forged_deadlines_page_shows_the_first_page(
    harness: Harness, db: AsyncSession, page: str, caplog: pytest.LogCaptureFixture
) -> None:
    await arrange_region(db)

    with caplog.at_level(logging.ERROR):
        await harness.callback(COORDINATOR, f"ms:page:0:{page}")

    [answer] = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert "что-то пошло не так" not in (answer.text or "")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("typed", ["9" * 400 + " ч", "9" * 400 + ",5 часов", "9" * 5000])
def test_an_endless_duration_is_too_long(typed: str) -> None:
    with pytest.raises(DomainError) as refusal:
        parse_duration(typed)
    assert refusal.value.key == "consultations.duration_too_long"
    assert refusal.value.params == {"hours": DURATION_MAX_MINUTES // 60}


@pytest.mark.parametrize("typed", ["²", "① ч", "٣٠ мин"])
def test_a_duration_in_unicode_digits_is_not_understood(typed: str) -> None:
    with pytest.raises(DomainError) as refusal:
        parse_duration(typed)
    assert refusal.value.key == "consultations.duration_invalid"


def test_durations_as_people_write_them_still_count() -> None:
    assert [parse_duration(t) for t in ("45", "45 мин", "1,5 ч", "2 часа")] == [45, 45, 90, 120]


@pytest.mark.parametrize(
    "extra", [f"year.{'9' * 20}.0", f"year.0.{2**31}", "year.².0", "year.0.-1", "year.٣.0"]
)
def test_a_report_filter_with_an_id_past_the_columns_is_an_old_button(extra: str) -> None:
    with pytest.raises(DomainError) as refusal:
        ReportFilter.unpack(1, extra)
    assert refusal.value.key == "consultations.stale_step"


async def test_a_20_digit_school_in_the_report_filter_is_an_old_button(
    harness: Harness, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    mun, _, _ = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Анна Ивановна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=EVERYONE,
    )
    await db.commit()

    with caplog.at_level(logging.ERROR):
        await harness.callback(EVERYONE, f"co:rep:{mun.id}:year.{'9' * 20}.0")

    assert "относится к другому шагу" in harness.last_text(EVERYONE)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- every button, every numeric field ---------------------------------------------------------

HANDLERS = Path(bot.callbacks.__file__).parent / "handlers"


def _callback_classes() -> list[type[CallbackData]]:
    return [
        cls
        for _, cls in inspect.getmembers(bot.callbacks, inspect.isclass)
        if issubclass(cls, CallbackData) and cls is not CallbackData
    ]


def _actions(cls: type[CallbackData]) -> set[str]:
    """The actions the handlers route on for `cls`, read from their filters, so a new action
    is covered without editing this test."""
    found: set[str] = set()
    for path in HANDLERS.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if f"{cls.__name__}.filter(" in line or (
                cls is bot.callbacks.ConsultationCb and "pressed(" in line
            ):
                found.update(re.findall(r'"([a-z_]+)"', line))
    if cls is bot.callbacks.AdminCb:
        found.update(PICK_PURPOSES)
        found.update(f"{p}_page" for p in PICK_PURPOSES)
    return found or {"x"}


# The text fields a handler reads besides the action, filled in as its own buttons fill them.
TEXT_FIELDS: dict[str, str] = {"extra": "year.0.0", "code": "", "locale": "ru"}
BAD_NUMBERS = [2**31, 2**53, -1]


def _forged_buttons() -> list[tuple[str, str]]:
    """(class name, callback data) for every action × numeric field × bad number."""
    forged: list[tuple[str, str]] = []
    for cls in _callback_classes():
        fields = cls.model_fields
        numeric = [name for name, info in fields.items() if info.annotation in (int, "int")]
        text_fields = [name for name, info in fields.items() if info.annotation in (str, "str")]
        routing = text_fields[0] if text_fields else None
        for action in sorted(_actions(cls)) if routing else [""]:
            for field_name in numeric:
                for bad in BAD_NUMBERS:
                    values: dict[str, Any] = {}
                    for name, info in fields.items():
                        if name == routing:
                            values[name] = action
                        elif name in numeric:
                            values[name] = bad if name == field_name else 1
                        elif info.annotation in (bool, "bool"):
                            values[name] = True
                        else:
                            values[name] = TEXT_FIELDS.get(name, "remind")
                    # model_construct: the class itself would refuse to build such a button.
                    forged.append((cls.__name__, cls.model_construct(**values).pack()))
    return forged


def test_every_numeric_field_is_forged() -> None:
    forged = _forged_buttons()
    prefixes = {data.split(":")[0] for _, data in forged}
    assert {"jp", "jd", "ro", "iv", "ad", "cm", "bc", "qu", "co", "ms"} <= prefixes
    assert len(forged) > 100


async def test_every_button_with_an_id_past_the_columns_is_an_old_button(
    harness: Harness, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """Pressed by someone holding every role, so each button reaches its handlers."""
    mun, school, _ = await seed.place(db)
    await seed.person(
        db,
        name="Всеролева Анна Ивановна",
        roles=[Role.ADMIN, Role.COORDINATOR, Role.TUTOR, Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=EVERYONE,
    )
    await db.commit()

    not_old: list[str] = []
    with caplog.at_level(logging.ERROR):
        for _, data in _forged_buttons():
            harness.clear()
            await harness.callback(EVERYONE, data)
            answers = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
            if len(answers) != 1 or "устарела" not in (answers[0].text or ""):
                not_old.append(data)

    assert not_old == []
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
