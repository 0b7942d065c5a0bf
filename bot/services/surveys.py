"""Surveys as coordinators run them: launch to an audience until a deadline, the live count,
reminders to those who have not answered, closing, the summary and the public link.

The answering itself is the runner's (`bot.services.survey_runner`). Who may see a survey: its
author, the coordinators of its municipality and the admins of its region. An anonymous
survey shows who has answered (for counts and reminders), never what they answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import audience as audiences
from bot.services import scenarios
from bot.services.broadcasts import sender_timezone
from bot.services.scenario_schema import Question, QuestionType, Scenario
from bot.services.scope import Scope, scope_of
from bot.services.survey_runner import readable
from config.settings import Settings
from storage.models import Person, Survey, SurveyStatus
from storage.repositories.surveys import InviteeRow, SurveysRepo

DEADLINE_MAX_DAYS = 180
DEADLINE_BUTTONS = (3, 7, 14)
REMIND_BEFORE = timedelta(hours=24)  # the sweep's reminder, this long before the deadline
REMIND_AGAIN_AFTER = timedelta(hours=12)  # a coordinator's «Напомнить» reaches a person this often
ANONYMOUS_MIN = 5  # fewer answers than this are never shown for an anonymous survey
_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
# Who answers surveys: a scenario only for these is not launched to an audience.
_ORGANISERS = {"coordinator", "admin"}


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- what the coordinator may launch ------------------------------------------------------------


@dataclass(frozen=True)
class Launchable:
    scenario_id: str
    title: str
    roles: tuple[str, ...]  # whom it may be sent to
    anonymous: bool
    public: bool


def launchable(locale: str) -> list[Launchable]:
    """Scenarios for people other than coordinators, by title."""
    found = [
        Launchable(
            item.scenario.id,
            item.scenario.title.get(locale),
            tuple(r for r in item.scenario.audience if r not in _ORGANISERS),
            item.scenario.anonymous,
            item.scenario.public,
        )
        for item in scenarios.catalogue().values()
        if set(item.scenario.audience) - _ORGANISERS
    ]
    return sorted(found, key=lambda s: s.title)


def launchable_one(scenario_id: str, locale: str) -> Launchable:
    for item in launchable(locale):
        if item.scenario_id == scenario_id:
            return item
    raise DomainError("surveys_admin.scenario_gone")


def restricted(chosen: audiences.Audience, roles: tuple[str, ...]) -> audiences.Audience:
    """The audience within the scenario's roles: no role chosen means all of them."""
    narrowed = audiences.Audience.from_dict(chosen.to_dict())
    narrowed.roles = [r for r in chosen.roles if r in roles] or list(roles)
    return narrowed


# --- the deadline -------------------------------------------------------------------------------


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def deadline_in(days: int, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    if days not in DEADLINE_BUTTONS:
        raise DomainError("error.stale_button")
    today = (now or _now()).astimezone(tz).date()
    return end_of_day(today + timedelta(days=days), tz)


def parse_deadline(text: str, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """ДД.ММ.ГГГГ typed: a real day, not in the past, at most 180 days ahead; the end of it."""
    match = _DATE.match(text or "")
    if match is None or not all(part.isascii() for part in match.groups()):
        raise DomainError("surveys_admin.deadline_format")
    try:
        day = date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError as error:
        raise DomainError("surveys_admin.deadline_no_such_day") from error
    today = (now or _now()).astimezone(tz).date()
    if day < today:
        raise DomainError("surveys_admin.deadline_past")
    if day > today + timedelta(days=DEADLINE_MAX_DAYS):
        raise DomainError("surveys_admin.deadline_too_far", days=DEADLINE_MAX_DAYS)
    return end_of_day(day, tz)


async def launch_timezone(session: AsyncSession, person: Person, settings: Settings) -> ZoneInfo:
    return await sender_timezone(session, await audiences.sender_scope(session, person), settings)


# --- launching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launched:
    survey: Survey
    title: str
    description: str
    invitees: list[InviteeRow]  # whom to send the invitation (empty after a second tap)


async def audience_count(
    session: AsyncSession, person: Person, scenario_id: str, chosen: audiences.Audience
) -> int:
    scope = await audiences.sender_scope(session, person)
    roles = launchable_one(scenario_id, "ru").roles
    return await audiences.count(session, scope, restricted(chosen, roles))


async def launch(
    session: AsyncSession,
    settings: Settings,
    author: Person,
    *,
    scenario_id: str,
    chosen: audiences.Audience,
    deadline: datetime,
    launch_key: str,
    locale: str,
    now: datetime | None = None,
) -> Launched:
    """The survey and its invitees (the audience as it is now), once per launch form."""
    now = now or _now()
    loaded = scenarios.get(scenario_id)
    scenario = loaded.scenario
    repo = SurveysRepo(session)
    title = scenario.title.get(locale)
    description = scenario.description.get(locale) if scenario.description else ""
    existing = await repo.by_launch_key(author.id, launch_key)
    if existing is not None:
        return Launched(existing, title, description, [])
    scope = await audiences.sender_scope(session, author)
    target = restricted(chosen, launchable_one(scenario_id, locale).roles)
    await audiences.validate(session, scope, target)
    if _aware(deadline) <= now or _aware(deadline) > now + timedelta(days=DEADLINE_MAX_DAYS + 1):
        raise DomainError("surveys_admin.deadline_past")
    municipality_id, region_id = await audiences.home_of(session, scope, target)
    survey = await repo.add(
        Survey(
            scenario_id=scenario.id,
            author_id=author.id,
            municipality_id=municipality_id,
            region_id=region_id,
            audience=target.to_dict(),
            anonymous=scenario.anonymous,
            deadline=deadline,
            status=SurveyStatus.OPEN,
            launch_key=launch_key,
            created_at=now,
        )
    )
    if scenario.public:
        survey.public_code_hash = _hash(public_code(settings, survey.id))
    survey.invited = await repo.invite(survey.id, audiences.people_ids(scope, target))
    if survey.invited == 0:
        raise DomainError("surveys_admin.nobody")
    return Launched(survey, title, description, await repo.reachable_invitees(survey.id))


# --- the public link ----------------------------------------------------------------------------

# Without a bot token (a test, a command of the operator) links last as long as the process.
_LINK_SECRET = secrets.token_bytes(32)
CODE_PREFIX = "s_"


def _secret(settings: Settings) -> bytes:
    token = settings.bot_token
    return token.get_secret_value().encode() if token is not None else _LINK_SECRET


def public_code(settings: Settings, survey_id: int) -> str:
    """The survey's link code, derived from the bot's secret: the same on every «Ссылка» and
    never stored (the survey keeps its sha256 only)."""
    digest = hmac.new(_secret(settings), f"survey:{survey_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def is_public_payload(payload: str) -> bool:
    return payload.startswith(CODE_PREFIX)


@dataclass(frozen=True)
class PublicSurvey:
    survey_id: int
    scenario_id: str
    title: str
    code: str


async def by_public_code(session: AsyncSession, code: str, locale: str) -> PublicSurvey:
    """The open public survey of a link; an unknown, closed or expired one is refused."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16}", code):
        raise DomainError("surveys_admin.link_unknown")
    survey = await SurveysRepo(session).by_code_hash(_hash(code))
    if survey is None:
        raise DomainError("surveys_admin.link_unknown")
    if survey.status != SurveyStatus.OPEN or _aware(survey.deadline) <= _now():
        raise DomainError("surveys_admin.link_closed", day=_day(survey.deadline))
    title = scenarios.get(survey.scenario_id).scenario.title.get(locale)
    return PublicSurvey(survey.id, survey.scenario_id, title, code)


def _day(moment: datetime) -> str:
    return _aware(moment).strftime("%d.%m")


# --- the coordinator's list and card ------------------------------------------------------------


@dataclass(frozen=True)
class SurveyCard:
    id: int
    title: str
    deadline: datetime
    open: bool
    invited: int
    answered: int
    anonymous: bool
    public: bool

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0


def _title(scenario_id: str, locale: str) -> str:
    found = scenarios.catalogue().get(scenario_id)
    return found.scenario.title.get(locale) if found else scenario_id


def _card(survey: Survey, answered: int, locale: str) -> SurveyCard:
    found = scenarios.catalogue().get(survey.scenario_id)
    return SurveyCard(
        id=survey.id,
        title=_title(survey.scenario_id, locale),
        deadline=_aware(survey.deadline),
        open=survey.status == SurveyStatus.OPEN,
        invited=survey.invited,
        answered=answered,
        anonymous=survey.anonymous,
        public=bool(found and found.scenario.public and survey.public_code_hash),
    )


async def _scope(session: AsyncSession, viewer: Person) -> Scope:
    scope = await scope_of(session, viewer)
    if scope.is_empty:
        raise DomainError("surveys_admin.not_found")
    return scope


async def _visible_survey(
    session: AsyncSession, viewer: Person, survey_id: int, *, lock: bool = False
) -> Survey:
    repo = SurveysRepo(session)
    survey = await (repo.get_for_update(survey_id) if lock else repo.get(survey_id))
    if survey is None or not (await _scope(session, viewer)).owns(survey):
        raise DomainError("surveys_admin.not_found")
    return survey


async def surveys_of(session: AsyncSession, viewer: Person, locale: str) -> list[SurveyCard]:
    scope = await _scope(session, viewer)
    rows = await SurveysRepo(session).visible_to(
        viewer.id, scope.municipality_ids, scope.region_ids
    )
    return [_card(survey, answered, locale) for survey, answered in rows]


async def card(session: AsyncSession, viewer: Person, survey_id: int, locale: str) -> SurveyCard:
    """The card with the count as it is now."""
    survey = await _visible_survey(session, viewer, survey_id)
    return _card(survey, await SurveysRepo(session).answered_count(survey.id), locale)


async def link_of(session: AsyncSession, settings: Settings, viewer: Person, survey_id: int) -> str:
    survey = await _visible_survey(session, viewer, survey_id)
    if survey.public_code_hash is None:
        raise DomainError("surveys_admin.not_public")
    return CODE_PREFIX + public_code(settings, survey.id)


async def close(session: AsyncSession, viewer: Person, survey_id: int) -> SurveyCard:
    survey = await _visible_survey(session, viewer, survey_id, lock=True)
    repo = SurveysRepo(session)
    if not await repo.close(survey.id, _now()):
        raise DomainError("surveys_admin.already_closed")
    await session.refresh(survey)
    return _card(survey, await repo.answered_count(survey.id), "ru")


@dataclass(frozen=True)
class Reminding:
    survey_id: int
    title: str
    deadline: datetime
    invitees: list[InviteeRow]


async def remind(
    session: AsyncSession, viewer: Person, survey_id: int, locale: str, now: datetime | None = None
) -> Reminding:
    """The non-responders not reminded in the last 12 hours, marked reminded."""
    now = now or _now()
    survey = await _visible_survey(session, viewer, survey_id, lock=True)
    if survey.status != SurveyStatus.OPEN or _aware(survey.deadline) <= now:
        raise DomainError("surveys_admin.already_closed")
    taken = await SurveysRepo(session).take_for_reminder(survey.id, now - REMIND_AGAIN_AFTER, now)
    return Reminding(survey.id, _title(survey.scenario_id, locale), survey.deadline, taken)


# --- the people who answer ----------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    survey_id: int
    scenario_id: str
    title: str
    deadline: datetime


async def open_for(session: AsyncSession, person: Person, locale: str) -> list[Invitation]:
    surveys = await SurveysRepo(session).open_for(person.id, _now())
    return [
        Invitation(s.id, s.scenario_id, _title(s.scenario_id, locale), _aware(s.deadline))
        for s in surveys
    ]


async def to_answer(session: AsyncSession, person: Person, survey_id: int) -> str:
    """The scenario of a survey the person was invited to and may still answer."""
    repo = SurveysRepo(session)
    survey = await repo.get(survey_id)
    if survey is None:
        raise DomainError("surveys.not_found")
    if survey.status != SurveyStatus.OPEN or _aware(survey.deadline) <= _now():
        raise DomainError("surveys_admin.closed_on", day=_day(survey.closed_at or survey.deadline))
    invitee = await repo.invitee(survey.id, person.id)
    if invitee is None and survey.public_code_hash is None:
        raise DomainError("surveys_admin.not_invited")
    repeatable = scenarios.get(survey.scenario_id).scenario.repeatable
    if invitee is not None and invitee.answered_at is not None and not repeatable:
        raise DomainError("surveys_admin.already_answered")
    return survey.scenario_id


# --- the sweep ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedSurvey:
    card: SurveyCard
    author: Person | None


async def due_reminders(
    session: AsyncSession, locale: str, now: datetime | None = None
) -> list[Reminding]:
    """Surveys a day from their deadline: their non-responders, once."""
    now = now or _now()
    repo = SurveysRepo(session)
    found = []
    for survey in await repo.due_for_reminder(now + REMIND_BEFORE, now):
        survey.reminded_at = now
        taken = await repo.take_for_reminder(survey.id, now - REMIND_AGAIN_AFTER, now)
        found.append(
            Reminding(survey.id, _title(survey.scenario_id, locale), survey.deadline, taken)
        )
    return found


async def close_due(session: AsyncSession, now: datetime | None = None) -> list[ClosedSurvey]:
    """Surveys past their deadline, closed; each author to be told the final count."""
    now = now or _now()
    repo = SurveysRepo(session)
    closed = []
    for survey in await repo.past_deadline(now):
        if not await repo.close(survey.id, now):
            continue
        author = await session.get(Person, survey.author_id) if survey.author_id else None
        answered = await repo.answered_count(survey.id)
        closed.append(ClosedSurvey(_card(survey, answered, "ru"), author))
    return closed


# --- the summary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCount:
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class QuestionSummary:
    id: str
    text: str
    type: QuestionType
    answered: int
    options: list[OptionCount] = field(default_factory=list)
    mean: float | None = None
    texts: int = 0  # typed answers (text, date)

    @property
    def has_chart(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class SchoolLine:
    school: str | None
    answered: int
    invited: int


@dataclass(frozen=True)
class SurveySummary:
    card: SurveyCard
    responses: int
    hidden: bool  # an anonymous survey with fewer than 5 answers: nothing shown
    questions: list[QuestionSummary]
    schools: list[SchoolLine]


def _labelled_points(scenario: Scenario, question: Question, locale: str) -> list[tuple[Any, str]]:
    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        return [(o.id, o.label.get(locale)) for o in question.options]
    if question.type == QuestionType.SCALE:
        scale = scenario.scale_of(question)
        points = list(scale.points()) if scale else []
        return [(p, readable(scenario, question, p, locale) or str(p)) for p in points]
    if question.type == QuestionType.YES_NO:
        return [("yes", "yes"), ("no", "no")]  # named by the caller in the reader's language
    return []


# A value some responses gave and how many gave it (the summary reads answers grouped).
Counted = tuple[Any, int]
_TYPED = (QuestionType.TEXT, QuestionType.DATE)  # counted, never read for the summary


def _mean(counted: list[Counted]) -> float | None:
    total = sum(n for _, n in counted)
    return sum(v * n for v, n in counted) / total if total else None


def summarise_question(
    scenario: Scenario, question: Question, counted: list[Counted], locale: str
) -> QuestionSummary:
    given = [(v, n) for v, n in counted if v is not None]
    total = sum(n for _, n in given)
    text = question.text.get(locale)
    if question.type in _TYPED:
        return QuestionSummary(question.id, text, question.type, total, texts=total)
    if question.type == QuestionType.NUMBER:
        numbers = [(v, n) for v, n in given if isinstance(v, int | float)]
        return QuestionSummary(question.id, text, question.type, total, mean=_mean(numbers))
    counts: Counter[str] = Counter()
    for value, n in given:
        # A multi choice counts each of its options once per response.
        for item in {str(i) for i in (value if isinstance(value, list) else [value])}:
            counts[item] += n
    options = [
        OptionCount(label, counts[str(key)], round(100 * counts[str(key)] / total) if total else 0)
        for key, label in _labelled_points(scenario, question, locale)
    ]
    mean = None
    if question.type == QuestionType.SCALE:
        mean = _mean([(v, n) for v, n in given if isinstance(v, int)])
    return QuestionSummary(question.id, text, question.type, total, options, mean)


async def _counted(
    repo: SurveysRepo, survey_id: int, scenario: Scenario
) -> dict[str, list[Counted]]:
    """The survey's answers per question, grouped by value in the database: each distinct
    value decoded once."""
    typed = [q.id for q in scenario.questions() if q.type in _TYPED]
    by_question: dict[str, list[Counted]] = {}
    for question_id, value, count in await repo.answer_counts(survey_id, typed):
        decoded = json.loads(value) if value is not None else None
        by_question.setdefault(question_id, []).append((decoded, count))
    return by_question


async def summary(
    session: AsyncSession, viewer: Person, survey_id: int, locale: str
) -> SurveySummary:
    survey = await _visible_survey(session, viewer, survey_id)
    repo = SurveysRepo(session)
    scenario = scenarios.get(survey.scenario_id).scenario
    answered = await repo.answered_count(survey.id)
    responses = await repo.submitted_count(survey.id)
    survey_card = _card(survey, answered, locale)
    if survey.anonymous and responses < ANONYMOUS_MIN:
        return SurveySummary(survey_card, responses, True, [], [])
    by_question = await _counted(repo, survey.id, scenario)
    questions = [
        summarise_question(scenario, q, by_question.get(q.id, []), locale)
        for q in scenario.questions()
    ]
    schools: list[SchoolLine] = []
    if not survey.anonymous:
        schools = [SchoolLine(*row) for row in await repo.answered_by_school(survey.id)]
    return SurveySummary(survey_card, responses, False, questions, schools)


async def check_export(session: AsyncSession, viewer: Person, survey_id: int) -> None:
    """Refuses an export the viewer may not have: another's survey, or an anonymous one with
    fewer than 5 answers."""
    survey = await _visible_survey(session, viewer, survey_id)
    if survey.anonymous and await SurveysRepo(session).submitted_count(survey.id) < ANONYMOUS_MIN:
        raise DomainError("surveys_admin.too_few", least=ANONYMOUS_MIN)


@dataclass(frozen=True)
class ExportData:
    card: SurveyCard
    scenario: Scenario
    anonymous: bool
    # (submitted at, name, school, municipality, {question id: value})
    rows: list[tuple[datetime | None, str | None, str | None, str | None, dict[str, Any]]]
    summary: SurveySummary


async def export_data(
    session: AsyncSession, viewer: Person, survey_id: int, locale: str
) -> ExportData:
    survey_summary = await summary(session, viewer, survey_id, locale)
    if survey_summary.hidden:
        raise DomainError("surveys_admin.too_few", least=ANONYMOUS_MIN)
    repo = SurveysRepo(session)
    survey = await repo.get(survey_id)
    assert survey is not None
    # The summary counted the answers in the database; the sheet of answers reads them once.
    values: dict[int, dict[str, Any]] = {}
    async for response_id, question_id, value in repo.answers(survey_id):
        values.setdefault(response_id, {})[question_id] = value
    rows = [
        (submitted, name, school, municipality, values.get(response_id, {}))
        for response_id, submitted, name, school, municipality in await repo.responses(survey_id)
    ]
    if survey.anonymous:
        rows = [(None, None, None, None, answers) for *_, answers in rows]
    return ExportData(
        survey_summary.card,
        scenarios.get(survey.scenario_id).scenario,
        survey.anonymous,
        rows,
        survey_summary,
    )
