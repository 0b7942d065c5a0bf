"""The survey form: one question per screen, every answer stored as given, resume after
leaving or a restart, conditions, the summary with «Изменить», stale buttons and double taps,
a scenario file changed half-way, and the refusals of bad input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import scenarios, survey_runner
from storage.models import (
    Answer,
    CheckStage,
    FsmRecord,
    Person,
    Response,
    ResponseStatus,
    Role,
    SectionScore,
    Survey,
    SurveyInvitee,
)
from tests import seed
from tests.factories import make_callback, make_message, make_photo_message, update_with
from tests.harness import Harness

TEACHER_ID = 1001

SCENARIO = """
id: self_check_teacher
kind: self_check
title: Самодиагностика
audience: [teacher]
repeatable: true
scales:
  freq:
    min: 1
    max: 4
    labels: {1: Никогда, 2: Иногда, 3: Часто, 4: Всегда}
levels:
  - {level: deficit, below_percent: 50}
  - {level: partial, below_percent: 75}
  - {level: none}
dynamics: {sections: [subject]}
sections:
  - id: subject
    title: Предметные компетенции
    scored: true
    questions:
      - {id: s1, type: scale, text: Я анализирую результаты ВПР, scale: freq}
      - {id: s2, type: scale, text: Я планирую уроки по итогам анализа, scale: freq}
      - {id: s3, type: scale, text: Я избегаю сложных тем, scale: freq, reverse: true}
  - id: about
    title: О себе
    questions:
      - id: mentor
        type: yes_no
        text: Есть ли у вас наставник в школе?
      - id: mentor_name_known
        type: single
        text: Как часто вы встречаетесь?
        options: [{id: weekly, label: Каждую неделю}, {id: monthly, label: Раз в месяц}]
        when: {question: mentor, equals: yes}
      - id: forms
        type: multi
        text: Какие формы помощи вам удобны?
        options:
          - {id: course, label: Курсы}
          - {id: seminar, label: Семинар}
          - {id: tutor, label: Куратор}
      - {id: years, type: number, text: "Сколько лет вы преподаёте?", min: 0, max: 60}
      - {id: since, type: date, text: "С какого числа вы работаете в этой школе?"}
      - {id: wish, type: text, text: "Что вам нужнее всего?", max_length: 50, required: false}
"""


@pytest.fixture(autouse=True)
def scenario_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "self_check_teacher.yaml").write_text(SCENARIO, encoding="utf-8")
    monkeypatch.setattr(scenarios, "SCENARIOS_DIR", folder)
    scenarios.catalogue.cache_clear()
    yield folder
    scenarios.catalogue.cache_clear()


@dataclass(frozen=True)
class World:
    teacher: int
    mun: int
    school: int


async def arrange(db: AsyncSession) -> World:
    mun, school, _leader = await seed.place(db)
    teacher = await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER_ID,
    )
    world = World(teacher.id, mun.id, school.id)
    await db.commit()
    return world


async def response_of(db: AsyncSession, person_id: int) -> Response:
    db.expire_all()
    return (await db.scalars(select(Response).where(Response.person_id == person_id))).one()


async def answers_of(db: AsyncSession, response_id: int) -> dict[str, object]:
    db.expire_all()
    rows = await db.execute(
        select(Answer.question_id, Answer.value).where(Answer.response_id == response_id)
    )
    return {question_id: value for question_id, value in rows.all()}


async def answer_scales(harness: Harness, *points: str) -> None:
    for point in points:
        await harness.press(TEACHER_ID, point)


async def test_a_whole_self_check_is_answered_checked_and_sent(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await harness.send(TEACHER_ID, "/selfcheck")
    first = harness.last_text(TEACHER_ID)
    assert "Вопрос 1 из 8" in first  # the follow-up on a mentor is not shown yet
    assert "Я анализирую результаты ВПР" in first
    assert "4 · Всегда" in harness.buttons(TEACHER_ID)
    assert not any("Назад" in b for b in harness.buttons(TEACHER_ID))

    await answer_scales(harness, "4 · Всегда", "3 · Часто", "1 · Никогда")
    assert "Вопрос 4 из 8" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Да")
    # The condition shows the follow-up: one more question.
    assert "Вопрос 5 из 9" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Каждую неделю")

    await harness.press(TEACHER_ID, "Готово")  # nothing ticked on a required multi choice
    assert "хотя бы один вариант" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Курсы")
    await harness.press(TEACHER_ID, "Куратор")
    assert "✅ Курсы" in harness.buttons(TEACHER_ID)
    await harness.press(TEACHER_ID, "Готово")

    await harness.send(TEACHER_ID, "сорок")
    assert "целое число от 0 до 60" in harness.last_text(TEACHER_ID)
    await harness.send(TEACHER_ID, "61")
    assert "целое число от 0 до 60" in harness.last_text(TEACHER_ID)
    await harness.send(TEACHER_ID, "²")
    assert "целое число от 0 до 60" in harness.last_text(TEACHER_ID)
    await harness.send_message(make_photo_message(harness.user(TEACHER_ID)))
    assert "ответ текстом" in harness.last_text(TEACHER_ID)
    await harness.send(TEACHER_ID, "12")

    await harness.send(TEACHER_ID, "31.02.2020")
    assert "Не получилось прочитать дату" in harness.last_text(TEACHER_ID)
    await harness.send(TEACHER_ID, "01.09.2015")

    await harness.send(TEACHER_ID, "я" * 51)
    assert "длиннее 50 символов" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Пропустить")

    summary = harness.last_text(TEACHER_ID)
    assert "Проверьте ответы" in summary
    assert "4 · Всегда" not in summary or "4 — Всегда" in summary
    assert "Каждую неделю" in summary

    response = await response_of(db, world.teacher)
    stored = await answers_of(db, response.id)
    assert stored == {
        "s1": 4,
        "s2": 3,
        "s3": 1,
        "mentor": "yes",
        "mentor_name_known": "weekly",
        "forms": ["course", "tutor"],
        "years": 12,
        "since": "2015-09-01",
        "wish": None,
    }

    await harness.press(TEACHER_ID, "📨 Отправить")
    result = harness.last_text(TEACHER_ID)
    assert "Результат самодиагностики" in result
    # (3 + 2 + 3) of 9 points: 89 % — no deficit.
    assert "Предметные компетенции: 88,9 % — нет дефицита" in result

    response = await response_of(db, world.teacher)
    assert response.status == ResponseStatus.SUBMITTED
    assert response.stage == CheckStage.ENTRY
    assert response.school_id == world.school
    (score,) = (await db.scalars(select(SectionScore))).all()
    assert (score.section_id, score.score, score.max_score, score.level) == (
        "subject",
        8.0,
        9.0,
        "none",
    )


async def test_leaving_and_a_restart_continue_at_the_same_question(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await harness.send(TEACHER_ID, "/selfcheck")
    await answer_scales(harness, "2 · Иногда", "2 · Иногда")
    await harness.send(TEACHER_ID, "/menu")  # another menu
    await harness.send(TEACHER_ID, "/selfcheck")
    assert "Вопрос 3 из 8" in harness.last_text(TEACHER_ID)
    assert "Я избегаю сложных тем" in harness.last_text(TEACHER_ID)

    # The dialog state is lost altogether (as after a /forget of the state or a crash before
    # it was written): the database still knows where the person is.
    await db.execute(delete(FsmRecord))
    await db.commit()
    await harness.send(TEACHER_ID, "/selfcheck")
    assert "Вопрос 3 из 8" in harness.last_text(TEACHER_ID)
    response = await response_of(db, world.teacher)
    assert await answers_of(db, response.id) == {"s1": 2, "s2": 2}


async def test_back_then_edit_from_the_summary(harness: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    await harness.send(TEACHER_ID, "/selfcheck")
    await answer_scales(harness, "1 · Никогда", "1 · Никогда")
    await harness.press(TEACHER_ID, "Назад")
    text = harness.last_text(TEACHER_ID)
    assert "Вопрос 2 из 8" in text
    assert "Ваш ответ: 1 — Никогда" in text
    await harness.press(TEACHER_ID, "3 · Часто")
    assert "Вопрос 3 из 8" in harness.last_text(TEACHER_ID)
    await answer_scales(harness, "4 · Всегда")
    await harness.press(TEACHER_ID, "Нет")  # no follow-up
    await harness.press(TEACHER_ID, "Семинар")
    await harness.press(TEACHER_ID, "Готово")
    await harness.send(TEACHER_ID, "3")
    await harness.send(TEACHER_ID, "1.9.2024")
    await harness.send(TEACHER_ID, "Методические материалы")
    assert "Проверьте ответы" in harness.last_text(TEACHER_ID)

    await harness.press(TEACHER_ID, "✏️ 4")  # «Есть ли наставник»: now yes
    assert "Есть ли у вас наставник" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Да")
    # The answer opened a question: it is asked before the summary comes back.
    assert "Как часто вы встречаетесь" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Раз в месяц")
    assert "Проверьте ответы" in harness.last_text(TEACHER_ID)

    await harness.press(TEACHER_ID, "✏️ 4")
    await harness.press(TEACHER_ID, "Нет")  # hides the follow-up again
    assert "Проверьте ответы" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Отправить")
    response = await response_of(db, world.teacher)
    stored = await answers_of(db, response.id)
    assert "mentor_name_known" not in stored, "an answer to a hidden question is not kept"
    assert stored["s2"] == 3


async def test_an_older_screen_and_a_double_tap_never_skip_a_question(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await harness.send(TEACHER_ID, "/selfcheck")
    first_screen_button = harness.button_data(TEACHER_ID, "2 · Иногда")
    await harness.callback(TEACHER_ID, first_screen_button)
    await harness.callback(TEACHER_ID, first_screen_button)  # the double tap
    assert "Вопрос 2 из 8" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "3 · Часто")
    assert "Вопрос 3 из 8" in harness.last_text(TEACHER_ID)

    four_on_first = first_screen_button.rsplit(".", 1)[0] + ".4"
    await harness.callback(TEACHER_ID, four_on_first)  # a tap on the first, older screen
    assert "Вопрос 3 из 8" in harness.last_text(TEACHER_ID), "the person stays where they were"
    response = await response_of(db, world.teacher)
    assert await answers_of(db, response.id) == {"s1": 4, "s2": 3}

    forged = first_screen_button.rsplit(".", 1)[0] + ".9"
    await harness.callback(TEACHER_ID, forged)
    assert "устарела" in harness.last_text(TEACHER_ID)


async def test_two_devices_answering_at_once_lose_nothing(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await harness.send(TEACHER_ID, "/selfcheck")
    s1 = harness.button_data(TEACHER_ID, "4 · Всегда")
    s2 = s1.replace("0.", "1.", 1)  # not valid: the second question's own check digits differ
    user = harness.user(TEACHER_ID)
    message = make_message(user)
    await harness.feed_many(
        [
            update_with(callback_query=make_callback(user, s1, message)),
            update_with(callback_query=make_callback(user, s1, message)),
            update_with(callback_query=make_callback(user, s2, message)),
        ]
    )
    response = await response_of(db, world.teacher)
    assert response.current_question == "s2"
    assert await answers_of(db, response.id) == {"s1": 4}


async def test_a_file_changed_half_way_keeps_what_still_fits_and_says_so(
    harness: Harness, db: AsyncSession, scenario_dir: Path
) -> None:
    world = await arrange(db)
    await harness.send(TEACHER_ID, "/selfcheck")
    await answer_scales(harness, "4 · Всегда", "4 · Всегда", "2 · Иногда")
    await harness.press(TEACHER_ID, "Да")
    await harness.press(TEACHER_ID, "Раз в месяц")

    # The methodologist removes the «monthly» option and the third statement.
    changed = SCENARIO.replace(", {id: monthly, label: Раз в месяц}", ", {id: rarely, label: Реже}")
    changed = changed.replace(
        "      - {id: s3, type: scale, text: Я избегаю сложных тем, scale: freq, reverse: true}\n",
        "",
    )
    (scenario_dir / "self_check_teacher.yaml").write_text(changed, encoding="utf-8")
    scenarios.catalogue.cache_clear()

    await harness.send(TEACHER_ID, "/selfcheck")
    text = harness.last_text(TEACHER_ID)
    assert "Анкета обновилась" in text
    assert "заново, — 2" in text
    assert "Вопрос 5 из 8" in text  # where the person was, renumbered without the statement
    response = await response_of(db, world.teacher)
    assert await answers_of(db, response.id) == {"s1": 4, "s2": 4, "mentor": "yes"}
    await harness.press(TEACHER_ID, "Курсы")
    await harness.press(TEACHER_ID, "Готово")
    await harness.send(TEACHER_ID, "7")
    await harness.send(TEACHER_ID, "01.09.2019")
    await harness.press(TEACHER_ID, "Пропустить")
    # The question whose answer was dropped is asked before the summary.
    assert "Как часто вы встречаетесь" in harness.last_text(TEACHER_ID)
    assert "Реже" in harness.buttons(TEACHER_ID)


async def test_a_survey_after_its_deadline_refuses_new_and_unfinished_answers(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    now = datetime.now(UTC)
    survey = Survey(
        scenario_id="self_check_teacher",
        municipality_id=world.mun,
        deadline=now + timedelta(days=1),
        invited=1,
    )
    db.add(survey)
    await db.flush()
    db.add(SurveyInvitee(survey_id=survey.id, person_id=world.teacher))
    await db.commit()
    person = await seed_person(db, world.teacher)
    response_id = await survey_runner.begin(
        db, person, frozenset({"teacher"}), "self_check_teacher", survey_id=survey.id
    )
    # The same person, again: the unfinished response, not a second one.
    assert (
        await survey_runner.begin(
            db, person, frozenset({"teacher"}), "self_check_teacher", survey_id=survey.id
        )
        == response_id
    )
    survey.deadline = now - timedelta(minutes=1)
    await db.commit()
    with pytest.raises(DomainError) as refused:
        await survey_runner.screen(db, person, response_id, "ru")
    assert refused.value.key == "surveys.closed"
    with pytest.raises(DomainError) as refused:
        await survey_runner.begin(
            db, person, frozenset({"teacher"}), "self_check_teacher", survey_id=survey.id
        )
    assert refused.value.key == "surveys.closed"


async def seed_person(db: AsyncSession, person_id: int) -> Person:
    found = await db.get(Person, person_id)
    assert found is not None
    return found


async def test_someone_else_cannot_answer_into_a_response(db: AsyncSession) -> None:
    world = await arrange(db)
    mun_place = await seed.place(db, "Другой округ")
    other = await seed.person(
        db, name="Другая Ирина Львовна", roles=[Role.TEACHER], municipality=mun_place[0]
    )
    await db.commit()
    owner = await seed_person(db, world.teacher)
    response_id = await survey_runner.begin(db, owner, frozenset({"teacher"}), "self_check_teacher")
    await db.commit()
    with pytest.raises(DomainError) as refused:
        await survey_runner.screen(db, other, response_id, "ru")
    assert refused.value.key == "surveys.response_gone"


async def test_a_second_check_in_the_same_year_is_the_final_one(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    for _ in range(2):
        await harness.send(TEACHER_ID, "/selfcheck")
        await answer_scales(harness, "2 · Иногда", "2 · Иногда", "2 · Иногда")
        await harness.press(TEACHER_ID, "Нет")
        await harness.press(TEACHER_ID, "Курсы")
        await harness.press(TEACHER_ID, "Готово")
        await harness.send(TEACHER_ID, "5")
        await harness.send(TEACHER_ID, "01.09.2020")
        await harness.press(TEACHER_ID, "Пропустить")
        await harness.press(TEACHER_ID, "Отправить")
    db.expire_all()
    stages = list(
        await db.scalars(
            select(Response.stage).where(Response.person_id == world.teacher).order_by(Response.id)
        )
    )
    assert stages == [CheckStage.ENTRY, CheckStage.FINAL]


async def test_the_sent_check_cannot_be_changed_by_its_old_buttons(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await harness.send(TEACHER_ID, "/selfcheck")
    old = harness.button_data(TEACHER_ID, "1 · Никогда")
    await answer_scales(harness, "2 · Иногда", "2 · Иногда", "2 · Иногда")
    await harness.press(TEACHER_ID, "Нет")
    await harness.press(TEACHER_ID, "Курсы")
    await harness.press(TEACHER_ID, "Готово")
    await harness.send(TEACHER_ID, "5")
    await harness.send(TEACHER_ID, "01.09.2020")
    await harness.press(TEACHER_ID, "Пропустить")
    await harness.press(TEACHER_ID, "Отправить")
    harness.clear()
    await harness.callback(TEACHER_ID, old)
    (alert,) = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert alert.text is not None and "устарел" in alert.text
    db.expire_all()
    assert (await db.scalars(select(Answer.value).where(Answer.question_id == "s1"))).one() == 2
