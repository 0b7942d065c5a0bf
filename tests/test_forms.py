"""The forms (aiogram-dialog) and the one rule for leaving them.

A command or a main-menu button pressed at any step of a form lands in that menu and writes
nothing; the form is left, not lost: opening it again brings it back at the same step, and typed
text goes elsewhere until then. /cancel ends it; a button of an ended form is an old button.
"""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.keyboards.menus import COMMON_MENU, MENU_BY_ROLE
from bot.states import LogConsultation
from config.settings import Settings
from storage.models import Consultation, Role
from tests import walk
from tests.harness import Harness
from tests.test_consultations_log import OTHER_TUTOR_ID, TUTOR_ID, arrange

Step = walk.Step


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """These tests walk a form many times over as one person: no flood pacing for them."""
    return settings.model_copy(update={"flood_messages": 10_000})


def press(text: str) -> Step:
    return walk.press(TUTOR_ID, text)


def send(text: str) -> Step:
    return walk.send(TUTOR_ID, text)


async def open_log(harness: Harness) -> None:
    await harness.send(TUTOR_ID, "📝 Консультации")
    await harness.press(TUTOR_ID, "Записать консультацию")


# What takes the tutor to each step of the consultation log from the one before.
TO_NEXT_STEP: list[tuple[str, Step]] = [
    (LogConsultation.school.state, open_log),
    (LogConsultation.teachers.state, press("СОШ № 2")),
    (LogConsultation.held_on.state, walk.in_turn(press("Петрова"), press("Дальше"))),
    (LogConsultation.format.state, press("Сегодня")),
    (LogConsultation.block.state, press("Очно")),
    (LogConsultation.topic.state, press("Предметные")),
    (LogConsultation.duration.state, send("Подготовка к ВПР")),
    (LogConsultation.outcome.state, press("45 мин")),
    (LogConsultation.confirm.state, press("Пропустить")),
]


async def walk_to(harness: Harness, state: str) -> None:
    await walk.walk_to(harness, TO_NEXT_STEP, state)


TUTOR_MENU = [*MENU_BY_ROLE[Role.TUTOR], *COMMON_MENU]


async def _consultations(db: AsyncSession) -> int | None:
    return await db.scalar(select(func.count()).select_from(Consultation))


@pytest.mark.parametrize("state", [state for state, _ in TO_NEXT_STEP])
async def test_every_menu_button_at_every_step_lands_in_its_menu_and_writes_nothing(
    harness: Harness, db: AsyncSession, state: str
) -> None:
    await arrange(db)
    await walk.leave_at_each_way_out_and_come_back(
        harness,
        db,
        TUTOR_ID,
        way=TO_NEXT_STEP,
        state=state,
        ways_out=TUTOR_MENU,
        come_back=open_log,
        written=_consultations,
    )
    assert await _consultations(db) == 0


async def test_typed_text_after_leaving_is_not_an_answer_until_the_form_is_back(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await walk_to(harness, LogConsultation.topic.state)

    await harness.send(TUTOR_ID, "👥 Мои педагоги")
    await harness.send(TUTOR_ID, "Просто сообщение")
    assert "Шаг 7" not in harness.last_text(TUTOR_ID), "the form took text after it was left"

    await open_log(harness)
    await harness.send(TUTOR_ID, "Смысловое чтение")
    assert "Шаг 7" in harness.last_text(TUTOR_ID), "back in the form, the topic is its answer"


async def test_cancel_ends_the_form_and_its_buttons_become_old(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await walk_to(harness, LogConsultation.teachers.state)
    button = harness.button_data(TUTOR_ID, "Петрова")

    await harness.send(TUTOR_ID, "/cancel")
    harness.clear()
    await harness.callback(TUTOR_ID, button)

    (answer,) = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert "устарела" in (answer.text or "")
    await open_log(harness)
    assert "Шаг 1" in harness.last_text(TUTOR_ID), "a new form, from the first step"


async def test_another_persons_form_button_is_an_old_button_to_them(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await walk_to(harness, LogConsultation.teachers.state)
    button = harness.button_data(TUTOR_ID, "Петрова")
    harness.clear()

    await harness.callback(OTHER_TUTOR_ID, button)

    (answer,) = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert "устарела" in (answer.text or "")
    assert harness.sent_to(TUTOR_ID) == [], "the form's owner saw nothing"
    assert all("Петрова" not in text for text in harness.texts_to(OTHER_TUTOR_ID))
