"""The broadcast composer is a form, under the one rule for leaving (see tests/test_forms.py).

A command or a main-menu button pressed at any step of the composer lands in that menu and
writes nothing: no broadcast, no delivery, no text of the broadcast; the composer is left, not
lost, and «Новая рассылка» brings it back at the same step. A document sent to the composer is
the broadcast's attachment; outside it, the roster upload.
"""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, SendDocument
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.keyboards.menus import COMMON_MENU, MENU_BY_ROLE
from bot.states import Broadcasting
from config.settings import Settings
from storage.models import Broadcast, Delivery, Role
from tests import seed, walk
from tests.harness import Harness
from tests.test_broadcasts import COORDINATOR, arrange

OTHER_COORDINATOR = 8002

Step = walk.Step


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """These tests walk the composer many times over as one person: no flood pacing for them."""
    return settings.model_copy(update={"flood_messages": 10_000})


def press(text: str) -> Step:
    return walk.press(COORDINATOR, text)


async def open_composer(harness: Harness) -> None:
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")


# What takes the coordinator to each step of the composer from the one before.
TO_NEXT_STEP: list[tuple[str, Step]] = [
    (Broadcasting.compose.state, open_composer),
    (Broadcasting.audience.state, walk.send(COORDINATOR, "Семинар в пятницу")),
    (Broadcasting.choices.state, press("Школы")),
    (
        Broadcasting.preview.state,
        walk.in_turn(press("СОШ № 2"), press("Назад"), press("Предпросмотр")),
    ),
    (Broadcasting.schedule.state, press("Запланировать")),
]


async def walk_to(harness: Harness, state: str) -> None:
    await walk.walk_to(harness, TO_NEXT_STEP, state)


# Every way out a coordinator has: their menu buttons, then /help typed.
WAYS_OUT = [*MENU_BY_ROLE[Role.COORDINATOR], *COMMON_MENU, "/help"]


async def _written(db: AsyncSession) -> tuple[int, int]:
    broadcasts = await db.scalar(select(func.count()).select_from(Broadcast))
    deliveries = await db.scalar(select(func.count()).select_from(Delivery))
    return broadcasts or 0, deliveries or 0


@pytest.mark.parametrize("state", [state for state, _ in TO_NEXT_STEP])
async def test_every_way_out_at_every_step_lands_in_its_menu_and_writes_nothing(
    harness: Harness, db: AsyncSession, state: str
) -> None:
    await arrange(db)
    await walk.leave_at_each_way_out_and_come_back(
        harness,
        db,
        COORDINATOR,
        way=TO_NEXT_STEP,
        state=state,
        ways_out=WAYS_OUT,
        come_back=open_composer,
        written=_written,
    )
    assert await _written(db) == (0, 0)


async def test_typed_text_after_leaving_is_not_the_broadcast_until_the_composer_is_back(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await walk_to(harness, Broadcasting.compose.state)

    await harness.send(COORDINATOR, "📋 Список участников")
    await harness.send(COORDINATOR, "Просто сообщение")
    assert "Кому отправить" not in harness.last_text(COORDINATOR), "the composer took the text"

    await open_composer(harness)
    await harness.send(COORDINATOR, "Семинар в пятницу")
    assert "Кому отправить" in harness.last_text(COORDINATOR), "back in the composer, it is"


async def test_a_document_is_the_attachment_in_the_composer_and_a_roster_outside_it(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await walk_to(harness, Broadcasting.compose.state)

    await harness.upload(COORDINATOR, "программа.xlsx", b"not a roster")
    assert "Кому отправить" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Предпросмотр")
    [preview] = [r for r in harness.requests if isinstance(r, SendDocument)]
    assert preview.chat_id == COORDINATOR

    await harness.send(COORDINATOR, "📋 Список участников")  # the composer is left
    await harness.upload(COORDINATOR, "список.xlsx", b"a roster")
    assert "Файл получен" in harness.last_text(COORDINATOR)


async def test_another_coordinators_composer_button_is_an_old_button_to_them(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    mun, _low, _leader = await seed.place(db, municipality="Ипатовский городской округ")
    await seed.person(
        db,
        name="Координатор Другой Округ",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=OTHER_COORDINATOR,
    )
    await db.commit()
    await walk_to(harness, Broadcasting.choices.state)
    button = harness.button_data(COORDINATOR, "СОШ № 2")
    harness.clear()

    await harness.callback(OTHER_COORDINATOR, button)

    (answer,) = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert "устарела" in (answer.text or "")
    assert harness.sent_to(COORDINATOR) == [], "the composer's owner saw nothing"
    assert all("СОШ № 2" not in text for text in harness.texts_to(OTHER_COORDINATOR))
    assert await _written(db) == (0, 0)
