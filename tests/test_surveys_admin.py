"""Surveys as coordinators run them, end to end through the dispatcher and the outbox: the
launch form, invitations, the live count, reminders, closing, the summary, the .xlsx, the
non-responders segment and the public link."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.methods import AnswerCallbackQuery, SendDocument, SendMediaGroup, SendPhoto
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import SurveyCb
from bot.errors import DomainError
from bot.services import audience as audiences
from bot.services import surveys
from bot.services.scope import scope_of
from storage.models import (
    Answer,
    Delivery,
    FsmRecord,
    Person,
    Response,
    ResponseStatus,
    Survey,
    SurveyInvitee,
    SurveyStatus,
)
from tests.harness import Harness
from tests.survey_world import (
    COORDINATOR,
    FOREIGN_COORDINATOR,
    FOREIGN_TEACHER,
    GUEST,
    TEACHERS,
    TZ,
    answer_as,
    arrange,
    launched,
    to_confirm,
    use_scenarios,
)

NAMED = """
id: test_needs
title: Потребности педагогов
description: Какая помощь вам нужна в этом году
audience: [teacher]
sections:
  - id: main
    title: Основное
    questions:
      - id: help
        type: single
        text: Какая помощь нужна?
        options:
          - {id: method, label: Методическая}
          - {id: subject, label: Предметная}
      - id: rate
        type: scale
        text: Оцените поддержку
        scale: {min: 1, max: 3, labels: {1: слабая, 2: средняя, 3: сильная}}
      - id: ok
        type: yes_no
        text: Нужна ли встреча?
      - id: comment
        type: text
        text: Что ещё?
        required: false
        max_length: 200
"""

PUBLIC = """
id: test_parents
title: Удовлетворённость родителей
audience: [teacher]
public: true
anonymous: true
sections:
  - id: main
    title: Основное
    questions:
      - id: ok
        type: yes_no
        text: Довольны ли вы школой?
"""


@pytest.fixture(autouse=True)
def scenario_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from use_scenarios(
        tmp_path, monkeypatch, {"test_needs.yaml": NAMED, "test_parents.yaml": PUBLIC}
    )


def tapped(harness: Harness) -> list[str]:
    """The answers to taps (alerts and notes), oldest first."""
    return [r.text or "" for r in harness.requests if isinstance(r, AnswerCallbackQuery)]


def summary_text(harness: Harness) -> str:
    """The newest text summary sent to the coordinator (the charts come after it)."""
    return [text for text in harness.texts_to(COORDINATOR) if "📊 Итоги" in text][-1]


def charts_sent(harness: Harness) -> int:
    groups = [r for r in harness.sent_to(COORDINATOR) if isinstance(r, SendMediaGroup)]
    single = [r for r in harness.sent_to(COORDINATOR) if isinstance(r, SendPhoto)]
    return sum(len(g.media) for g in groups) + len(single)


def documents(harness: Harness) -> list[bytes]:
    files = [r.document for r in harness.requests if isinstance(r, SendDocument)]
    return [f.data for f in files if isinstance(f, BufferedInputFile)]


async def test_launch_end_to_end_invites_the_audience_through_the_outbox(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await to_confirm(harness)
    confirm = harness.last_text(COORDINATOR)
    assert "Потребности педагогов" in confirm
    assert "Получат приглашение: <b>8</b>" in confirm
    assert "Не анонимный" in confirm

    await harness.press(COORDINATOR, "Запустить")
    # A second tap on the same button (its message still shows it) makes no twin.
    await harness.press(COORDINATOR, "Запустить") if "Запустить" in str(
        harness.buttons(COORDINATOR)
    ) else None

    assert await db.scalar(select(func.count()).select_from(Survey)) == 1
    survey = await db.scalar(select(Survey))
    assert survey is not None
    assert survey.invited == 8 and survey.status == SurveyStatus.OPEN
    deadline = survey.deadline if survey.deadline.tzinfo else survey.deadline.replace(tzinfo=UTC)
    local = deadline.astimezone(TZ)
    assert local.date() == datetime.now(TZ).date() + timedelta(days=7)
    assert (local.hour, local.minute) == (23, 59)
    assert "Ответили 0 из 8 (0%)" in harness.last_text(COORDINATOR)

    invitations = (
        await db.scalars(select(Delivery).where(Delivery.kind == "survey_invitation"))
    ).all()
    assert sorted(d.chat_id for d in invitations) == list(TEACHERS)
    payload = invitations[0].payload
    assert "Потребности педагогов" in payload["text"]
    assert "Какая помощь вам нужна" in payload["text"]
    markup = str(payload["markup"])
    assert "Ответить" in markup
    assert SurveyCb(action="answer", survey_id=survey.id).pack() in markup
    # Nobody outside the scope or the scenario's roles is invited.
    invited = await db.scalar(select(func.count()).where(SurveyInvitee.survey_id == survey.id))
    assert invited == 8


async def test_a_double_launch_with_one_key_makes_one_survey(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
    assert coordinator is not None
    deadline = surveys.deadline_in(3, TZ)
    for _ in range(2):
        result = await surveys.launch(
            db, harness.dp["settings"], coordinator, scenario_id="test_needs",
            chosen=audiences.Audience(), deadline=deadline, launch_key="k1", locale="ru",
        )  # fmt: skip
    assert result.invitees == []  # the second call finds the first survey
    assert await db.scalar(select(func.count()).select_from(Survey)) == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("завтра", "Не понял дату"),
        ("31.02.2027", "Такого дня нет"),
        ("01.01.2020", "уже прошёл"),
        ((date.today() + timedelta(days=200)).strftime("%d.%m.%Y"), "не дальше чем через 180"),
    ],
)
async def test_a_typed_deadline_is_checked(
    harness: Harness, db: AsyncSession, typed: str, expected: str
) -> None:
    await arrange(db)
    await harness.send(COORDINATOR, "🗳 Опросы")
    await harness.press(COORDINATOR, "Новый опрос")
    await harness.press(COORDINATOR, "Потребности педагогов")
    await harness.press(COORDINATOR, "Далее: срок ответа")
    await harness.send(COORDINATOR, typed)
    assert expected in harness.last_text(COORDINATOR)
    assert await db.scalar(select(func.count()).select_from(Survey)) == 0


async def test_a_typed_deadline_is_the_end_of_that_day() -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    moment = surveys.parse_deadline("15.12.2026", TZ, now)
    assert moment.astimezone(TZ).date() == date(2026, 12, 15)
    assert moment.astimezone(TZ).hour == 23


async def test_live_count_and_reminders_once_and_not_to_those_who_answered(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db)
    await answer_as(db, survey, TEACHERS[0], {"help": "method", "rate": 3, "ok": "yes"})

    await harness.press(COORDINATOR, "Обновить")
    assert "Ответили 1 из 8 (12%)" in harness.last_text(COORDINATOR)

    await harness.press(COORDINATOR, "Напомнить")
    assert "Напоминание получат: 7" in tapped(harness)[-1]
    await harness.press(COORDINATOR, "Напомнить")
    assert "Напоминание получат: 0" in tapped(harness)[-1]
    reminders = (await db.scalars(select(Delivery).where(Delivery.kind == "survey_reminder"))).all()
    assert len(reminders) == 7
    assert TEACHERS[0] not in {d.chat_id for d in reminders}


async def test_the_sweep_reminds_a_day_before_and_closes_after_the_deadline(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db)
    await answer_as(db, survey, TEACHERS[1], {"help": "subject", "rate": 2, "ok": "no"})
    soon = datetime.now(UTC) + timedelta(hours=5)
    await db.execute(update(Survey).where(Survey.id == survey.id).values(deadline=soon))
    await db.commit()

    for _ in range(2):
        await harness.run_job("bot.scheduler.surveys:sweep")
    reminders = (await db.scalars(select(Delivery).where(Delivery.kind == "survey_reminder"))).all()
    assert len(reminders) == 7

    past = datetime.now(UTC) - timedelta(minutes=1)
    await db.execute(update(Survey).where(Survey.id == survey.id).values(deadline=past))
    await db.commit()
    await harness.run_job("bot.scheduler.surveys:sweep")
    await harness.run_job("bot.scheduler.surveys:sweep")
    db.expire_all()
    closed = await db.get(Survey, survey.id)
    assert closed is not None and closed.status == SurveyStatus.CLOSED
    notices = (await db.scalars(select(Delivery).where(Delivery.kind == "survey_closed"))).all()
    assert len(notices) == 1 and notices[0].chat_id == COORDINATOR
    assert "Ответили 1 из 8" in notices[0].payload["text"]
    assert "Итоги" in str(notices[0].payload["markup"])

    # Answering now is refused, with the day it closed.
    harness.clear()
    await harness.callback(TEACHERS[2], SurveyCb(action="answer", survey_id=survey.id).pack())
    assert "Опрос закрыт" in str(tapped(harness) + harness.texts_to(TEACHERS[2]))


async def test_my_surveys_lists_what_waits_and_refuses_an_answered_one(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db)
    await harness.send(TEACHERS[3], "🗳 Мои опросы")
    assert "Потребности педагогов" in harness.last_text(TEACHERS[3])
    await answer_as(db, survey, TEACHERS[3], {"help": "method", "rate": 1, "ok": "yes"})
    await harness.send(TEACHERS[3], "🗳 Мои опросы")
    assert "нет опросов" in harness.last_text(TEACHERS[3])
    harness.clear()
    await harness.callback(TEACHERS[3], SurveyCb(action="answer", survey_id=survey.id).pack())
    assert "уже ответили" in str(tapped(harness) + harness.texts_to(TEACHERS[3]))
    harness.clear()
    await harness.callback(FOREIGN_TEACHER, SurveyCb(action="answer", survey_id=survey.id).pack())
    assert "не для вас" in str(tapped(harness) + harness.texts_to(FOREIGN_TEACHER))


async def test_summary_counts_and_xlsx(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    survey = await launched(harness, db)
    await answer_as(db, survey, TEACHERS[0], {"help": "method", "rate": 3, "ok": "yes"})
    await answer_as(
        db, survey, TEACHERS[1], {"help": "method", "rate": 1, "ok": "no", "comment": "=SUM(A1)"}
    )
    await answer_as(db, survey, TEACHERS[2], {"help": "subject", "rate": 2, "ok": "yes"})

    await harness.callback(COORDINATOR, SurveyCb(action="summary", survey_id=survey.id).pack())
    text = summary_text(harness)
    assert "Методическая — 2 (67%)" in text
    assert "Предметная — 1 (33%)" in text
    assert "Среднее: 2" in text
    assert "Да — 2 (67%)" in text
    assert "Ответов своими словами: 1" in text
    assert "Ответили по школам" in text
    assert charts_sent(harness) == 3  # a chart per choice question: single, scale, yes/no

    await harness.callback(COORDINATOR, SurveyCb(action="xlsx", survey_id=survey.id).pack())
    assert await harness.run_jobs() == 1
    content = documents(harness)[-1]
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(book["Ответы"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Отправлено", "ФИО", "Школа", "Муниципалитет")
    assert len(rows) == 4
    assert rows[1][1] == "Учитель Номер 0"
    assert "Методическая" in rows[1]
    assert "=SUM(A1)" in rows[2]  # text stays text
    summary = list(book["Сводка"].iter_rows(values_only=True))
    assert ("Какая помощь нужна?", "Методическая", 2, 67) in summary


async def test_an_anonymous_survey_shows_nothing_under_five_answers(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db, "Удовлетворённость")
    assert survey.anonymous
    for telegram_id in TEACHERS[:4]:
        await answer_as(db, survey, telegram_id, {"ok": "yes"})
    await harness.callback(COORDINATOR, SurveyCb(action="summary", survey_id=survey.id).pack())
    text = summary_text(harness)
    assert "Итоги появятся, когда ответят хотя бы 5 человек" in text
    assert "Да —" not in text
    assert charts_sent(harness) == 0
    await harness.callback(COORDINATOR, SurveyCb(action="xlsx", survey_id=survey.id).pack())
    assert "хотя бы 5" in str(tapped(harness) + harness.texts_to(COORDINATOR))

    await answer_as(db, survey, TEACHERS[4], {"ok": "no"})
    await harness.callback(COORDINATOR, SurveyCb(action="summary", survey_id=survey.id).pack())
    text = summary_text(harness)
    assert "Да — 4 (80%)" in text and "Ответили по школам" not in text
    assert charts_sent(harness) == 1
    await harness.callback(COORDINATOR, SurveyCb(action="xlsx", survey_id=survey.id).pack())
    assert await harness.run_jobs() == 1
    book = load_workbook(io.BytesIO(documents(harness)[-1]), read_only=True)
    header = next(book["Ответы"].iter_rows(values_only=True))
    assert "ФИО" not in header and "Школа" not in header


async def test_non_responders_are_a_broadcast_segment(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    survey = await launched(harness, db)
    await answer_as(db, survey, TEACHERS[0], {"help": "method", "rate": 3, "ok": "yes"})
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
    assert coordinator is not None
    scope = await scope_of(db, coordinator)
    chosen = audiences.Audience(segments={audiences.SURVEY_SEGMENT: survey.id})
    await audiences.validate(db, scope, chosen)
    assert await audiences.count(db, scope, chosen) == 7
    offered = await audiences.choices(db, scope, audiences.Audience(), "survey")
    assert [c.value for c in offered] == [survey.id]

    foreign = await db.scalar(select(Person).where(Person.telegram_id == FOREIGN_COORDINATOR))
    assert foreign is not None
    with pytest.raises(DomainError):
        await audiences.validate(db, await scope_of(db, foreign), chosen)

    # In the composer: the segment is a kind of its own.
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, "Ответьте, пожалуйста, на опрос")
    await harness.press(COORDINATOR, "Не ответили на опрос")
    await harness.press(COORDINATOR, "Потребности педагогов")
    assert "Получателей сейчас: <b>7</b>" in harness.last_text(COORDINATOR)


async def test_a_guest_answers_by_the_public_link_and_nothing_personal_is_kept(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db, "Удовлетворённость")
    await harness.press(COORDINATOR, "Ссылка")
    link = harness.last_text(COORDINATOR).split("start=")[1].split()[0]
    assert link.startswith("s_")
    db.expire_all()
    stored = await db.get(Survey, survey.id)
    assert stored is not None and stored.public_code_hash is not None
    assert link[2:] not in stored.public_code_hash

    await harness.send(GUEST, f"/start {link}")
    assert "Бот сохранит только ваши ответы" in harness.last_text(GUEST)
    await harness.press(GUEST, "Согласен")
    response = await db.scalar(select(Response).where(Response.survey_id == survey.id))
    assert response is not None
    assert response.person_id is None and response.school_id is None
    assert await db.scalar(select(Person).where(Person.telegram_id == GUEST)) is None

    await harness.send(GUEST, "/start s_AAAAAAAAAAAAAAAA")
    assert "Такой ссылки на опрос нет" in harness.last_text(GUEST)
    await db.execute(update(Survey).where(Survey.id == survey.id).values(status="closed"))
    await db.commit()
    await harness.send(GUEST, f"/start {link}")
    assert "Опрос закрыт" in harness.last_text(GUEST)


async def test_another_municipalitys_coordinator_cannot_see_or_act(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db)
    await harness.send(FOREIGN_COORDINATOR, "🗳 Опросы")
    assert "Потребности" not in harness.last_text(FOREIGN_COORDINATOR)
    for action in ("card", "remind", "summary", "xlsx", "link", "close"):
        harness.clear()
        await harness.callback(
            FOREIGN_COORDINATOR, SurveyCb(action=action, survey_id=survey.id).pack()
        )
        seen = str(tapped(harness) + harness.texts_to(FOREIGN_COORDINATOR))
        assert "Опрос не найден" in seen, action
    db.expire_all()
    still = await db.get(Survey, survey.id)
    assert still is not None and still.status == SurveyStatus.OPEN
    assert await db.scalar(select(func.count()).where(Delivery.kind == "survey_reminder")) == 0


async def test_an_invited_teacher_answers_from_the_invitation_and_the_count_moves(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db)
    await harness.deliver()
    teacher = TEACHERS[5]
    assert "Потребности педагогов" in harness.last_text(teacher)

    await harness.press(teacher, "Ответить")
    assert "Какая помощь нужна?" in harness.last_text(teacher)
    await harness.press(teacher, "Методическая")
    await harness.press(teacher, "2 ·")
    await harness.press(teacher, "Да")
    await harness.press(teacher, "Пропустить")
    await harness.press(teacher, "Отправить")

    response = await db.scalar(select(Response).where(Response.survey_id == survey.id))
    assert response is not None and response.status == ResponseStatus.SUBMITTED
    await harness.callback(COORDINATOR, SurveyCb(action="card", survey_id=survey.id).pack())
    assert "Ответили 1 из 8 (12%)" in harness.last_text(COORDINATOR)
    # Once sent, the invitation's button says so instead of starting again.
    harness.clear()
    await harness.callback(teacher, SurveyCb(action="answer", survey_id=survey.id).pack())
    assert "уже ответили" in str(tapped(harness) + harness.texts_to(teacher))


async def test_a_guest_sends_answers_by_link_and_no_trace_of_them_is_kept(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db, "Удовлетворённость")
    await harness.press(COORDINATOR, "Ссылка")
    link = harness.last_text(COORDINATOR).split("start=")[1].split()[0]

    await harness.send(GUEST, f"/start {link}")
    await harness.press(GUEST, "Согласен")
    assert "Довольны ли вы школой?" in harness.last_text(GUEST)
    await harness.press(GUEST, "Да")
    await harness.press(GUEST, "Отправить")

    response = await db.scalar(select(Response).where(Response.survey_id == survey.id))
    assert response is not None and response.status == ResponseStatus.SUBMITTED
    assert response.person_id is None and response.school_id is None
    assert response.municipality_id is None
    answers = (await db.scalars(select(Answer).where(Answer.response_id == response.id))).all()
    assert [a.value for a in answers] == ["yes"]
    assert await db.scalar(select(Person).where(Person.telegram_id == GUEST)) is None
    invitees = await db.scalar(select(func.count()).where(SurveyInvitee.survey_id == survey.id))
    assert invitees == 8  # the guest became nobody's invitee
    assert await db.scalar(select(func.count()).where(Delivery.chat_id == GUEST)) == 0
    # The guest's form is gone once the answers are sent (dialog state in the database).
    left = await db.scalar(select(func.count()).where(FsmRecord.user_id == GUEST))
    assert left == 0
