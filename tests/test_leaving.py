"""The one rule for leaving, for the plain-handler modes: in every state of every mode, each
main-menu button lands in its menu exactly as it does outside any mode, writes nothing, and the
mode is over. (Forms, which are set aside instead, are tested in tests/test_forms*.py.)"""

from __future__ import annotations

import pytest
from aiogram.fsm.state import State
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.keyboards.menus import menu_keys
from bot.states import (
    AdminFlow,
    Communities,
    DeadlinesFlow,
    EditConsultation,
    InviteFlow,
    Joining,
    QuestionFlow,
)
from bot.texts import t
from config.settings import Settings
from storage.models import (
    Broadcast,
    Community,
    Consultation,
    Delivery,
    Invite,
    Municipality,
    Role,
    School,
    Thread,
    ThreadMessage,
)
from tests import seed
from tests.harness import Harness

EVERYONE_ID = 7001
ALL_ROLES = [Role.TEACHER, Role.TUTOR, Role.COORDINATOR, Role.ADMIN]
MODES: list[State] = [
    *QuestionFlow.__all_states__,
    *DeadlinesFlow.__all_states__,
    *EditConsultation.__all_states__,
    *InviteFlow.__all_states__,
    *AdminFlow.__all_states__,
    *Communities.__all_states__,
    *Joining.__all_states__,
]
WRITTEN = [
    Broadcast,
    Community,
    Consultation,
    Delivery,
    Invite,
    Municipality,
    School,
    Thread,
    ThreadMessage,
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One person presses many buttons here: no flood pacing for them."""
    return settings.model_copy(update={"flood_messages": 10_000, "flood_abuse_per_minute": 100_000})


async def someone_with_every_role(db: AsyncSession) -> None:
    mun, school, leader = await seed.place(db)
    everyone = await seed.person(
        db,
        name="Смирнова Ольга Викторовна",
        roles=ALL_ROLES,
        municipality=mun,
        school=school,
        telegram_id=EVERYONE_ID,
    )
    tutor = await seed.person(
        db, name="Петрова Анна Ивановна", roles=[Role.TUTOR], municipality=mun, school=leader
    )
    await seed.assign_tutor(db, tutor, everyone)
    await db.commit()


async def counts(db: AsyncSession) -> dict[str, int]:
    return {
        model.__tablename__: await db.scalar(select(func.count()).select_from(model)) or 0
        for model in WRITTEN
    }


async def press_menu(harness: Harness, key: str) -> str:
    harness.clear()
    with harness.dp["texts"].context():
        label = t(key, locale="ru")
    await harness.send(EVERYONE_ID, label)
    return "\n".join(harness.texts_to(EVERYONE_ID))


async def test_every_menu_button_ends_every_mode_and_lands_in_its_menu(
    harness: Harness, db: AsyncSession
) -> None:
    await someone_with_every_role(db)
    await harness.send(EVERYONE_ID, "/menu")
    context = harness.dp.fsm.get_context(harness.bot, EVERYONE_ID, EVERYONE_ID)
    keys = menu_keys(frozenset(ALL_ROLES))
    expected = {}
    for key in keys:
        await context.clear()
        expected[key] = await press_menu(harness, key)

    wrong: list[str] = []
    for mode in MODES:
        for key in keys:
            await context.clear()
            await context.set_state(mode)
            before = await counts(db)

            landed = await press_menu(harness, key)

            if landed != expected[key]:
                wrong.append(f"{key} in {mode.state}: answered {landed[:80]!r}")
            if await counts(db) != before:
                wrong.append(f"{key} in {mode.state}: wrote something")
            if await context.get_state() not in (None, *_modes_the_menu_starts(key)):
                wrong.append(f"{key} in {mode.state}: still in the mode")
    assert not wrong, "\n".join(wrong)


def _modes_the_menu_starts(key: str) -> tuple[str, ...]:
    """A menu button may itself start a mode (asking the tutor does)."""
    return (QuestionFlow.asking.state,) if key == "menu.ask_tutor" else ()
