"""The world the survey tests share: a municipality with a coordinator and eight teachers, another
municipality with its own coordinator and teacher, scenario files of the test's own, and the
steps of launching a survey and answering it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import scenarios
from storage.models import Answer, Person, Response, ResponseStatus, Role, Survey, SurveyInvitee
from tests import seed
from tests.harness import Harness

COORDINATOR = 9001
FOREIGN_COORDINATOR = 9002
TEACHERS = range(9100, 9108)
FOREIGN_TEACHER = 9199
GUEST = 9500
TZ = ZoneInfo("Europe/Moscow")


def use_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> Iterator[None]:
    """For an autouse fixture: the catalogue is these files (name → YAML) for the test."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(scenarios, "SCENARIOS_DIR", folder)
    scenarios.catalogue.cache_clear()
    yield
    scenarios.catalogue.cache_clear()


async def arrange(db: AsyncSession) -> None:
    mun, low, leader = await seed.place(db)
    await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    for n, telegram_id in enumerate(TEACHERS):
        await seed.person(
            db, name=f"Учитель Номер {n}", roles=[Role.TEACHER], municipality=mun,
            school=low if n % 2 else leader, telegram_id=telegram_id,
        )  # fmt: skip
    other, foreign_school, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db, name="Чужой Координатор", roles=[Role.COORDINATOR], municipality=other,
        telegram_id=FOREIGN_COORDINATOR,
    )  # fmt: skip
    await seed.person(
        db, name="Чужой Учитель", roles=[Role.TEACHER], municipality=other,
        school=foreign_school, telegram_id=FOREIGN_TEACHER,
    )  # fmt: skip
    await db.commit()


async def to_confirm(harness: Harness, scenario: str = "Потребности педагогов") -> None:
    await harness.send(COORDINATOR, "🗳 Опросы")
    await harness.press(COORDINATOR, "Новый опрос")
    await harness.press(COORDINATOR, scenario)
    await harness.press(COORDINATOR, "Далее: срок ответа")
    await harness.press(COORDINATOR, "+7")


async def launched(harness: Harness, db: AsyncSession, scenario: str = "Потребности") -> Survey:
    await to_confirm(harness, scenario)
    await harness.press(COORDINATOR, "Запустить")
    survey = await db.scalar(select(Survey).order_by(Survey.id.desc()))
    assert survey is not None
    db.expunge(survey)  # a snapshot: later commits do not expire it
    return survey


async def answer_as(db: AsyncSession, survey: Survey, telegram_id: int, values: dict) -> None:  # type: ignore[type-arg]
    """A submitted response stored as the runner stores it."""
    person = await db.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert person is not None
    now = datetime.now(UTC)
    response = Response(
        scenario_id=survey.scenario_id,
        scenario_version="x",
        survey_id=survey.id,
        person_id=None if survey.anonymous else person.id,
        school_id=None if survey.anonymous else person.school_id,
        municipality_id=None if survey.anonymous else person.municipality_id,
        status=ResponseStatus.SUBMITTED,
        submitted_at=now,
    )
    db.add(response)
    await db.flush()
    db.add_all(
        Answer(response_id=response.id, question_id=q, value=v, answered_at=now)
        for q, v in values.items()
    )
    await db.execute(
        update(SurveyInvitee)
        .where(SurveyInvitee.survey_id == survey.id, SurveyInvitee.person_id == person.id)
        .values(answered_at=now)
    )
    await db.commit()
