"""The coordinator's weekly digest: on Monday from `DIGEST_HOUR` local time (the zone of the
municipality they run), once per ISO week, what needs their eye — new and overdue questions,
the week's and the overdue deadlines, the next two weeks' events with their registrations,
open surveys with their response rates, and the KPIs behind their pro-rata target.

Once per week across restarts and processes: a `DigestSent` row, keyed by person and week, is
inserted in the transaction that queues the message, and a second insert of the same key does
nothing. Only Monday counts: a coordinator who joins on Tuesday waits for the next Monday.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import kpi, kpi_lines, program_years, scenarios
from bot.services.question_deadlines import escalate_hours, waited_hours
from config.settings import Settings
from storage.models import Municipality, TaskStatus, ThreadStatus
from storage.repositories.deadlines import DeadlinesRepo
from storage.repositories.places import PlacesRepo
from storage.repositories.surveys import SurveysRepo
from storage.repositories.threads import ThreadsRepo
from storage.repositories.weekly_digest import CoordinatorRow, WeeklyDigestRepo

EVENTS_AHEAD = timedelta(days=14)
QUESTIONS_BACK = timedelta(days=7)
# Lines a section shows at most; the rest is counted («и ещё 3»), so the message stays short.
SECTION_LINES = 10


@dataclass(frozen=True, slots=True)
class Due:
    """A coordinator whose digest of `week` is due now."""

    person_id: int
    chat_id: int
    locale: str | None
    timezone: str
    week: str  # "2027-W10"
    monday: date
    municipalities: tuple[CoordinatorRow, ...]


@dataclass(frozen=True, slots=True)
class DeadlineLine:
    title: str
    due_on: date
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class EventLine:
    title: str
    starts_at: datetime
    registered: int
    capacity: int | None


@dataclass(frozen=True, slots=True)
class SurveyLine:
    title: str
    answered: int
    invited: int
    deadline: datetime

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0


@dataclass(frozen=True, slots=True)
class KpiLag:
    title: str
    place: str
    fact: float
    expected: float  # the target's share due by today
    target: float
    unit: str


@dataclass
class Digest:
    week: str
    monday: date
    sunday: date
    places: list[str]
    new_questions: int = 0
    overdue_questions: int = 0
    deadlines_this_week: list[DeadlineLine] = field(default_factory=list)
    deadlines_overdue: list[DeadlineLine] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)
    surveys: list[SurveyLine] = field(default_factory=list)
    kpis: list[KpiLag] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.new_questions
            or self.overdue_questions
            or self.deadlines_this_week
            or self.deadlines_overdue
            or self.events
            or self.surveys
            or self.kpis
        )


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def due_now(session: AsyncSession, settings: Settings, now: datetime) -> list[Due]:
    """Coordinators for whom it is Monday, `digest_hour` or later, in their municipality's
    zone, and whose digest of this week has not gone out."""
    repo = WeeklyDigestRepo(session)
    by_person: defaultdict[int, list[CoordinatorRow]] = defaultdict(list)
    for row in await repo.coordinators():
        by_person[row.person_id].append(row)
    found: list[Due] = []
    sent: dict[str, set[int]] = {}
    for rows in by_person.values():
        # The first municipality granted sets the clock for a coordinator of several.
        zone = rows[0].timezone or settings.timezone
        local = now.astimezone(ZoneInfo(zone))
        if local.weekday() != 0 or local.hour < settings.digest_hour:
            continue
        week = week_of(local.date())
        if week not in sent:
            sent[week] = await repo.already_sent(week)
        if rows[0].person_id in sent[week]:
            continue
        first = rows[0]
        found.append(
            Due(first.person_id, first.chat_id, first.locale, zone, week, local.date(), tuple(rows))
        )
    return found


async def claim(session: AsyncSession, due: Due) -> bool:
    return await WeeklyDigestRepo(session).claim(due.person_id, due.week)


async def _questions(
    session: AsyncSession, settings: Settings, digest: Digest, ids: list[int], now: datetime
) -> None:
    digest.new_questions = await WeeklyDigestRepo(session).new_threads(ids, now - QUESTIONS_BACK)
    places = PlacesRepo(session)
    municipalities: dict[int, Municipality | None] = {m: await places.municipality(m) for m in ids}
    for thread in await ThreadsRepo(session).of_municipalities(ids):
        if thread.status == ThreadStatus.CLOSED or thread.waiting_since is None:
            continue
        municipality = municipalities.get(thread.municipality_id or 0)
        # The overview's rule: escalated, or waiting past the municipality's escalation time.
        waited = waited_hours(thread, municipality, settings, now)
        if thread.escalated_at is not None or waited >= escalate_hours(municipality, settings):
            digest.overdue_questions += 1


async def _deadlines(session: AsyncSession, digest: Digest, ids: list[int], today: date) -> None:
    repo = DeadlinesRepo(session)
    deadlines = await repo.live_deadlines(municipality_ids=ids, due_until=digest.sunday)
    tasks = await repo.tasks_of(d.id for d in deadlines)
    done: defaultdict[int, int] = defaultdict(int)
    total: defaultdict[int, int] = defaultdict(int)
    for task in tasks:
        total[task.deadline_id] += 1
        done[task.deadline_id] += task.status == TaskStatus.DONE
    for deadline in deadlines:
        if not total[deadline.id]:
            continue
        line = DeadlineLine(deadline.title, deadline.due_on, done[deadline.id], total[deadline.id])
        if deadline.due_on >= digest.monday:
            digest.deadlines_this_week.append(line)
        elif deadline.due_on < today and line.done < line.total:
            digest.deadlines_overdue.append(line)


async def _events(
    session: AsyncSession, digest: Digest, due: Due, ids: list[int], now: datetime
) -> None:
    regions = sorted({row.region_id for row in due.municipalities})
    events = await WeeklyDigestRepo(session).upcoming_events(ids, regions, now, now + EVENTS_AHEAD)
    digest.events = [
        EventLine(event.title, event.starts_at, event.seats_taken, event.capacity)
        for event in events
    ]


def survey_title(scenario_id: str, locale: str) -> str:
    found = scenarios.catalogue().get(scenario_id)
    return (found.scenario.title.get(locale) if found else None) or scenario_id


async def _surveys(
    session: AsyncSession, digest: Digest, due: Due, ids: list[int], locale: str
) -> None:
    repo = SurveysRepo(session)
    regions = sorted({row.region_id for row in due.municipalities})
    for survey in await repo.open_by_author_scope(due.person_id, ids, regions):
        digest.surveys.append(
            SurveyLine(
                survey_title(survey.scenario_id, locale),
                await repo.answered_count(survey.id),
                survey.invited,
                survey.deadline,
            )
        )


async def _kpis(session: AsyncSession, digest: Digest, due: Due, locale: str) -> None:
    places = PlacesRepo(session)
    for row in due.municipalities:
        municipality = await places.municipality(row.municipality_id)
        kind = program_years.kind_of(municipality)
        today = digest.monday
        report = await kpi.kpi_report(
            session,
            region_id=row.region_id,
            municipality_id=row.municipality_id,
            year=program_years.year_of(kind, today),
            today=today,
        )
        share = kpi_lines.elapsed_share(report, today)
        for line in kpi_lines.behind_pro_rata(report, today):
            digest.kpis.append(
                KpiLag(
                    title=line.title_in(locale),
                    place=row.name,
                    fact=line.fact or 0.0,
                    expected=round(line.target * share, 1),
                    target=line.target,
                    unit=line.unit,
                )
            )


async def build(
    session: AsyncSession, settings: Settings, due: Due, now: datetime, locale: str
) -> Digest:
    ids = [row.municipality_id for row in due.municipalities]
    digest = Digest(
        week=due.week,
        monday=due.monday,
        sunday=due.monday + timedelta(days=6),
        places=[row.name for row in due.municipalities],
    )
    await _questions(session, settings, digest, ids, now)
    await _deadlines(session, digest, ids, due.monday)
    await _events(session, digest, due, ids, now)
    await _surveys(session, digest, due, ids, locale)
    await _kpis(session, digest, due, locale)
    return digest
