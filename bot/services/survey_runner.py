"""Answering a scenario, one question at a time, every answer stored as it is given.

The response row is the truth about where a person is (`current_question`), so the form can be
left for another menu, a day or a restart and continues at the same question. Answers are
checked against the scenario's question here; the form only shows and forwards.

Buttons carry the question they were shown for (`choice_id`): a tap on an older screen answers
that question (still shown by the scenario's conditions) and then the person is back where they
were, so a double tap or a second device never skips a question.

A scenario file changed while a response was half-way: answers that no longer fit (a question
or option removed, bounds moved) are dropped and the person is told how many to give again.

Which questions are shown and how a button names one: `survey_order`; typed text read into an
answer, a stored answer shown again, and whether it still fits: `survey_answers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import scenarios, scoring
from bot.services.scenario_schema import (
    Kind,
    Localized,
    Question,
    QuestionType,
    Scale,
    Scenario,
)
from bot.services.scenarios import LoadedScenario
from bot.services.survey_answers import parse_typed, readable, still_fits
from bot.services.survey_order import (
    NO,
    YES,
    choice_id,
    question_of_choice,
    question_token,
    visible,
)
from storage.models import (
    CheckStage,
    Person,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from storage.repositories.responses import ResponsesRepo

# What callers use, some of it from `survey_order` and `survey_answers`.
__all__ = [
    "Choice",
    "Screen",
    "Submitted",
    "Summary",
    "SummaryItem",
    "answer_choice",
    "answer_typed",
    "back",
    "begin",
    "choice_id",
    "finish_multi",
    "go_to",
    "program_year",
    "question_token",
    "readable",
    "screen",
    "skip",
    "submit",
    "summary",
]


# --- what the form shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str  # for the button: the question's place, its check digits and the value
    label: str
    chosen: bool


@dataclass(frozen=True)
class Screen:
    response_id: int
    scenario_title: str
    section_title: str
    question_id: str
    token: str  # see `question_token`
    type: QuestionType
    text: str
    hint: str
    position: int  # 1-based among the questions shown to this person
    total: int
    required: bool
    can_back: bool
    choices: list[Choice]
    low: int | None  # number bounds, text length
    high: int | None
    answer: str | None  # the stored answer, readable
    changed: int  # answers dropped because the file changed since the last screen


@dataclass(frozen=True)
class SummaryItem:
    position: int
    question_id: str
    text: str
    answer: str | None  # None: skipped


@dataclass(frozen=True)
class Summary:
    response_id: int
    scenario_title: str
    items: list[SummaryItem]
    missing: int  # required questions without an answer
    changed: int  # as in `Screen`


@dataclass(frozen=True)
class Submitted:
    response_id: int
    scenario_id: str
    kind: Kind
    survey_id: int | None


# --- the runner -------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


async def _survey_open(survey: Survey | None, now: datetime) -> Survey:
    if survey is None:
        raise DomainError("surveys.not_found")
    if survey.status != SurveyStatus.OPEN or survey.deadline <= now:
        raise DomainError("surveys.closed")
    return survey


async def begin(
    session: AsyncSession,
    person: Person | None,
    roles: frozenset[str],
    scenario_id: str,
    *,
    survey_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """The response the person continues, or a new one: its id. `person` is None only for
    someone answering a public survey by link (nothing about them is kept)."""
    now = now or _now()
    loaded = scenarios.get(scenario_id)
    scenario = loaded.scenario
    repo = ResponsesRepo(session)
    survey = await _survey_open(await repo.survey(survey_id), now) if survey_id else None
    if survey is not None and survey.scenario_id != scenario_id:
        raise DomainError("surveys.not_found")
    anonymous = scenario.anonymous or bool(survey and survey.anonymous)
    if person is None:
        if survey is None or survey.public_code_hash is None:
            raise DomainError("surveys.not_found")
        response = await repo.add(_new_response(loaded, survey_id, None, now))
        return response.id
    if survey is None and not roles & set(scenario.audience):
        raise DomainError("surveys.not_for_you")
    if survey is not None:
        invitee = await repo.invitee(survey.id, person.id)
        if invitee is None:
            if survey.public_code_hash is None:
                raise DomainError("surveys.not_for_you")
            await repo.invite_self(survey.id, person.id)
            invitee = await repo.invitee(survey.id, person.id)
        assert invitee is not None
        if invitee.answered_at is not None and not scenario.repeatable:
            raise DomainError("surveys.already_answered")
        if anonymous:
            draft = await repo.get(invitee.draft_response_id) if invitee.draft_response_id else None
            if draft is not None and draft.status == ResponseStatus.IN_PROGRESS:
                return draft.id
            response = await repo.add(_new_response(loaded, survey.id, None, now))
            invitee.draft_response_id = response.id
            return response.id
    unfinished = await repo.unfinished(person.id, scenario_id, survey_id)
    if unfinished is not None:
        return unfinished.id
    if (
        survey is None
        and not scenario.repeatable
        and await repo.submitted_count(person.id, scenario_id, None)
    ):
        raise DomainError("surveys.already_answered")
    response = await repo.add(_new_response(loaded, survey_id, person.id, now))
    return response.id


def _new_response(
    loaded: LoadedScenario, survey_id: int | None, person_id: int | None, now: datetime
) -> Response:
    return Response(
        scenario_id=loaded.scenario.id,
        scenario_version=loaded.version,
        survey_id=survey_id,
        person_id=person_id,
        status=ResponseStatus.IN_PROGRESS,
        started_at=now,
        updated_at=now,
    )


@dataclass
class _Open:
    response: Response
    loaded: LoadedScenario
    answers: dict[str, Any]
    changed: int  # answers dropped by a changed file, not yet told
    locked: bool = False

    def take_changed(self) -> int:
        changed, self.changed = self.changed, 0
        return changed


_OPENED = "survey_runner.opened"


async def _open(
    session: AsyncSession, person: Person | None, response_id: int, *, lock: bool = False
) -> _Open:
    """The response with its answers, checked. Kept for the rest of the update's session: a
    press answers, then the form draws the next question, and both read the same state (it is
    changed in place by every write here), so a press costs one read of the response."""
    kept: dict[tuple[int, int | None], _Open] = session.info.setdefault(_OPENED, {})
    key = (response_id, person.id if person else None)
    opened = kept.get(key)
    if opened is not None and (opened.locked or not lock):
        if opened.response.status != ResponseStatus.IN_PROGRESS:
            raise DomainError("surveys.already_sent")
        return opened
    opened = await _read(session, person, response_id, lock=lock)
    kept[key] = opened
    return opened


async def _read(
    session: AsyncSession, person: Person | None, response_id: int, *, lock: bool
) -> _Open:
    repo = ResponsesRepo(session)
    response = await (repo.get_for_update(response_id) if lock else repo.get(response_id))
    if response is None:
        raise DomainError("surveys.response_gone")
    if not await _may_open(session, person, response):
        raise DomainError("surveys.response_gone")
    if response.status != ResponseStatus.IN_PROGRESS:
        raise DomainError("surveys.already_sent")
    if response.survey_id is not None:
        await _survey_open(await repo.survey(response.survey_id), _now())
    loaded = scenarios.get(response.scenario_id)
    answers = await repo.answers(response.id)
    changed = 0
    if response.scenario_version != loaded.version:
        by_id = {q.id: q for q in loaded.scenario.questions()}
        stale = [
            question_id
            for question_id, value in answers.items()
            if question_id not in by_id
            or not still_fits(loaded.scenario, by_id[question_id], value)
        ]
        await repo.drop_answers(response.id, stale)
        for question_id in stale:
            answers.pop(question_id)
        response.scenario_version = loaded.version
        changed = len(stale)
    return _Open(response, loaded, answers, changed, locked=lock)


async def _may_open(session: AsyncSession, person: Person | None, response: Response) -> bool:
    """The person's own response (someone answering by link owns the ones without an owner),
    or an anonymous survey response whose draft their invitation points to: an anonymous
    response keeps no owner, only the invitation knows it until it is sent."""
    if response.person_id == (person.id if person else None):
        return True
    if person is None or response.person_id is not None or response.survey_id is None:
        return False
    invitee = await ResponsesRepo(session).invitee(response.survey_id, person.id)
    return invitee is not None and invitee.draft_response_id == response.id


def _question_of_token(opened: _Open, token: str) -> Question:
    question, _value = question_of_choice(opened.loaded.scenario, f"{token}.")
    if question not in visible(opened.loaded.scenario, opened.answers):
        raise DomainError("surveys.question_gone")
    return question


def _current(opened: _Open, shown: list[Question]) -> Question | None:
    """The question on screen: the remembered one if still shown, else the first unanswered."""
    remembered = opened.response.current_question
    for question in shown:
        if question.id == remembered:
            return question
    for question in shown:
        if question.id not in opened.answers:
            return question
    return None


async def screen(
    session: AsyncSession, person: Person | None, response_id: int, locale: str
) -> Screen | None:
    """What the form shows now; None when every question is answered (the summary)."""
    opened = await _open(session, person, response_id)
    scenario = opened.loaded.scenario
    shown = visible(scenario, opened.answers)
    question = _current(opened, shown)
    if question is None:
        return None
    return _screen_of(opened, shown, question, locale)


def _screen_of(opened: _Open, shown: list[Question], question: Question, locale: str) -> Screen:
    scenario = opened.loaded.scenario
    value = opened.answers.get(question.id)
    section = next(s for s in scenario.sections if question in s.questions)
    low = high = None
    if question.type == QuestionType.NUMBER:
        low, high = question.min, question.max
    elif question.type == QuestionType.TEXT:
        high = question.max_length
    position = shown.index(question) + 1
    return Screen(
        response_id=opened.response.id,
        scenario_title=scenario.title.get(locale),
        section_title=section.title.get(locale),
        question_id=question.id,
        token=question_token(scenario, question),
        type=question.type,
        text=question.text.get(locale),
        hint=question.hint.get(locale) if question.hint else "",
        position=position,
        total=len(shown),
        required=question.required,
        can_back=position > 1,
        choices=_choices(scenario, question, value, locale),
        low=low,
        high=high,
        answer=readable(scenario, question, value, locale),
        changed=opened.take_changed(),
    )


def _choices(scenario: Scenario, question: Question, value: Any, locale: str) -> list[Choice]:
    chosen = set(value) if isinstance(value, list) else {value}

    def make(raw: str | int, label: Localized | str, *, stored: str | int | None = None) -> Choice:
        text = label.get(locale) if isinstance(label, Localized) else label
        is_chosen = (raw if stored is None else stored) in chosen
        return Choice(choice_id(scenario, question, raw), text, is_chosen)

    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        # An option's place, not its id, goes into the button: ids may be long, and a button's
        # data is 64 bytes at most.
        return [
            make(index, option.label, stored=option.id)
            for index, option in enumerate(question.options)
        ]
    if question.type == QuestionType.SCALE:
        scale: Scale | None = scenario.scale_of(question)
        if scale is None:
            return []
        return [
            make(point, f"{point} · {scale.labels[point].get(locale)}") for point in scale.points()
        ]
    if question.type == QuestionType.YES_NO:
        return [make(YES, YES), make(NO, NO)]  # labels from the catalogue, by the form
    return []


async def _advance(session: AsyncSession, opened: _Open, answered: Question, now: datetime) -> None:
    """After an answer: the next question without one, after the answered question; the
    remembered question stays if the answer was to an older screen."""
    scenario = opened.loaded.scenario
    shown = visible(scenario, opened.answers)
    remembered = opened.response.current_question
    if remembered not in {q.id for q in shown} or remembered == answered.id:
        after = shown[shown.index(answered) + 1 :] if answered in shown else shown
        following = next((q for q in after if q.id not in opened.answers), None)
        if following is None:
            following = next((q for q in shown if q.id not in opened.answers), None)
        opened.response.current_question = following.id if following else None
    opened.response.updated_at = now


async def answer_choice(
    session: AsyncSession, person: Person | None, response_id: int, raw: str
) -> None:
    """A button was pressed: a single choice, a scale point, yes or no, or a multi toggle."""
    now = _now()
    opened = await _open(session, person, response_id, lock=True)
    scenario = opened.loaded.scenario
    question, value = question_of_choice(scenario, raw)
    if question not in visible(scenario, opened.answers):
        raise DomainError("surveys.question_gone")
    stored: Any
    if question.type == QuestionType.SCALE:
        scale = scenario.scale_of(question)
        point = int(value) if value.lstrip("-").isdigit() and len(value) < 4 else None
        if scale is None or point not in scale.points():
            raise DomainError("error.stale_button")
        stored = point
    elif question.type == QuestionType.YES_NO:
        if value not in (YES, NO):
            raise DomainError("error.stale_button")
        stored = value
    elif question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        place = int(value) if value.isascii() and value.isdigit() and len(value) < 3 else None
        if place is None or place >= len(question.options):
            raise DomainError("error.stale_button")
        value = question.options[place].id
        stored = value
        if question.type == QuestionType.MULTI:
            current = list(opened.answers.get(question.id) or [])
            stored = [v for v in current if v != value] if value in current else [*current, value]
            # A toggle keeps the person on the question; «Готово» moves on.
            await _store(session, opened, question, stored, now)
            opened.response.current_question = question.id
            opened.response.updated_at = now
            return
    else:
        raise DomainError("error.stale_button")
    await _store(session, opened, question, stored, now)
    await _advance(session, opened, question, now)


async def finish_multi(
    session: AsyncSession, person: Person | None, response_id: int, token: str
) -> None:
    """«Готово» under a multiple choice."""
    now = _now()
    opened, question = await _under_button(session, person, response_id, token)
    if question.type != QuestionType.MULTI:
        raise DomainError("error.stale_button")
    if not opened.answers.get(question.id):
        if question.required:
            raise DomainError("surveys.choose_one")
        await _store(session, opened, question, None, now)
    await _advance(session, opened, question, now)


async def answer_typed(
    session: AsyncSession, person: Person | None, response_id: int, text: str
) -> None:
    """Typed text for the question on screen: a number, a short text or a date."""
    now = _now()
    opened = await _open(session, person, response_id, lock=True)
    shown = visible(opened.loaded.scenario, opened.answers)
    question = _current(opened, shown)
    if question is None:
        raise DomainError("surveys.all_answered")
    value = parse_typed(question, text)
    await _store(session, opened, question, value, now)
    await _advance(session, opened, question, now)


async def _store(
    session: AsyncSession, opened: _Open, question: Question, value: Any, now: datetime
) -> None:
    await ResponsesRepo(session).put_answer(
        opened.response.id, question.id, value, now, exists=question.id in opened.answers
    )
    opened.answers[question.id] = value


async def _under_button(
    session: AsyncSession, person: Person | None, response_id: int, token: str
) -> tuple[_Open, Question]:
    """The response, locked, and the question a «Пропустить», «Назад» or «Готово» was shown
    under (still shown by the conditions)."""
    opened = await _open(session, person, response_id, lock=True)
    return opened, _question_of_token(opened, token)


async def skip(session: AsyncSession, person: Person | None, response_id: int, token: str) -> None:
    """«Пропустить»: the question is left without an answer, and the next one comes."""
    opened, question = await _under_button(session, person, response_id, token)
    if question.required:
        raise DomainError("surveys.required")
    now = _now()
    await _store(session, opened, question, None, now)
    await _advance(session, opened, question, now)


async def back(session: AsyncSession, person: Person | None, response_id: int, token: str) -> None:
    """«Назад»: the question before the one the button was shown under."""
    opened, question = await _under_button(session, person, response_id, token)
    shown = visible(opened.loaded.scenario, opened.answers)
    position = shown.index(question)
    if position > 0:
        _show(opened, shown[position - 1])


def _show(opened: _Open, question: Question) -> None:
    opened.response.current_question = question.id
    opened.response.updated_at = _now()


async def go_to(
    session: AsyncSession, person: Person | None, response_id: int, position: int
) -> None:
    """«Изменить» in the summary: the question at `position` (1-based) is on screen again."""
    opened = await _open(session, person, response_id, lock=True)
    shown = visible(opened.loaded.scenario, opened.answers)
    if not 1 <= position <= len(shown):
        raise DomainError("error.stale_button")
    _show(opened, shown[position - 1])


async def summary(
    session: AsyncSession, person: Person | None, response_id: int, locale: str
) -> Summary:
    opened = await _open(session, person, response_id)
    scenario = opened.loaded.scenario
    shown = visible(scenario, opened.answers)
    items = [
        SummaryItem(
            position,
            question.id,
            question.text.get(locale),
            readable(scenario, question, opened.answers.get(question.id), locale),
        )
        for position, question in enumerate(shown, start=1)
    ]
    missing = sum(1 for q in shown if q.required and opened.answers.get(q.id) is None)
    return Summary(response_id, scenario.title.get(locale), items, missing, opened.take_changed())


def program_year(moment: date) -> int:
    """A program year runs from September to August; it is named by its September's year."""
    return moment.year if moment.month >= 9 else moment.year - 1


async def submit(session: AsyncSession, person: Person | None, response_id: int) -> Submitted:
    """Checks every shown question is answered or skippable, scores a self-check, marks the
    person as having answered a survey, and forgets whose anonymous answers these are."""
    now = _now()
    opened = await _open(session, person, response_id, lock=True)
    scenario = opened.loaded.scenario
    shown = visible(scenario, opened.answers)
    missing = [q for q in shown if q.required and opened.answers.get(q.id) is None]
    if missing:
        raise DomainError("surveys.missing", count=len(missing))
    repo = ResponsesRepo(session)
    hidden = [
        question_id for question_id in opened.answers if question_id not in {q.id for q in shown}
    ]
    await repo.drop_answers(opened.response.id, hidden)
    response = opened.response
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = response.updated_at = now
    response.current_question = None
    if person is not None and response.person_id is not None:
        response.school_id, response.municipality_id = person.school_id, person.municipality_id
    if scenario.kind == Kind.SELF_CHECK and person is not None:
        year = program_year(now.date())
        earlier = await repo.earlier_submitted_in_year(person.id, scenario.id, year)
        response.program_year = year
        response.stage = CheckStage.FINAL if earlier else CheckStage.ENTRY
        results = scoring.score(
            scenario, {q: v for q, v in opened.answers.items() if q not in hidden}
        )
        await repo.put_scores(
            response.id,
            [
                {
                    "section_id": r.section_id,
                    "score": r.score,
                    "max_score": r.max_score,
                    "percent": r.percent,
                    "level": r.level.value,
                }
                for r in results
            ],
        )
    if response.survey_id is not None and person is not None:
        invitee = await repo.invitee(response.survey_id, person.id)
        if invitee is not None:
            invitee.answered_at = now
            invitee.draft_response_id = None
    return Submitted(response.id, scenario.id, scenario.kind, response.survey_id)
