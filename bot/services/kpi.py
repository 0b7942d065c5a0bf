"""The KPI report: every indicator of `config/kpi_targets.yaml` the bot can observe, for a
municipality or the whole region and a program year.

The year's bounds are the municipality's (`program_years.bounds`); the region uses calendar
years. Its schools are the year's participating schools (`program_years.participants`), never
the schools' current flags. Figures are read by a handful of grouped statements
(`storage.repositories.kpi`); the lines are then computed here for any subset of the
municipalities, so the admin's «по муниципалитетам» sheet costs no further statements.

- EV-*: held events (status «held», or published and over by `today`) whose local start day
  falls in the year, matched by the rules of `config/event_targets.yaml` under the same id (the
  kinds, scopes and the «не менее 40 участников из 2 районов» attendance rule); EV-PER-SCHOOL:
  the share of participating schools that hosted the per-school rule's events (≥ 4 h).
- CO-PER-SCHOOL: the share of participating schools with a consultation in the year.
- CM-COUNT: active «горизонтальное обучение» communities; CM-TEACHER-SHARE / CM-SCHOOL-SHARE:
  teachers of participating schools in an active community, schools with such a teacher.
- SC-COVERAGE: Russian-language and mathematics teachers of participating schools with a
  submitted self-check in the year (SC-COVERAGE-ALL: every teacher); SC-DYNAMICS: of the
  teachers with an entry and a final check in the year, those whose scores rose in every
  section the scenario's dynamics rule names (checks made in the report's municipalities);
  COVERAGE-ANY: any of a self-check, a community, a consultation or an attended event.
- DL-PLAN: plan-graph tasks due so far done on time; DL-MONITOR: monitoring stage tasks due
  so far that are submitted.
- SV-PARENTS: the share of satisfied answers (4–5 of 5) in the last parents' survey of the
  year minus the first, in points (several municipalities: the mean of their changes).

A school that joined mid-year counts for the per-school lines only with what happened from the
day it joined, and not before that day comes. Nothing to count from gives a line with no fact.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import event_reports, program_years
from bot.services.kpi_lines import KpiLine, KpiReport
from bot.services.kpi_targets import KpiTarget, kpi_targets
from bot.services.program_years import Participant
from bot.services.scope import scope_of
from bot.services.self_check import SCENARIO_ID as SELF_CHECK_SCENARIO
from bot.services.self_check import scenario as self_check_scenario
from bot.services.self_check_views import CALLED_OUT_SUBJECTS
from storage.models import (
    DeadlineKind,
    EventStatus,
    Municipality,
    Person,
    Region,
    YearKind,
)
from storage.repositories.kpi import EventRow, KpiRepo, SurveyShare, TaskCounts, TeacherCounts
from storage.repositories.places import PlacesRepo

PARENTS_SCENARIO = "parents_satisfaction"
PARENTS_QUESTIONS = ("overall", "knowledge", "teachers_attention", "informed")
SATISFIED = (4, 5)
# A zone's day lies within this of the UTC day: events are fetched with it, then kept by the
# local day of their start.
_ZONE_SLACK = timedelta(hours=15)

Fact = tuple[float | None, int | None, int | None]


def _share(part: int, whole: int) -> Fact:
    if whole <= 0:
        return None, part, whole
    return round(100.0 * part / whole, 1), part, whole


@dataclass(frozen=True)
class Gathered:
    """What the statements read for a set of municipalities and a year window."""

    year: int
    starts_on: date
    ends_on: date
    today: date
    participants: list[Participant]
    events: list[EventRow]  # held, starting in the window
    attendance: dict[int, tuple[int, int]]
    consultations: dict[int, date]
    teachers: dict[int, TeacherCounts]
    dynamics: dict[int, tuple[int, int]]
    communities: dict[int, tuple[int, int]]
    plan: dict[int, TaskCounts]
    monitor: dict[int, TaskCounts]
    surveys: list[SurveyShare]

    @property
    def counted_until(self) -> date:
        return min(self.today, self.ends_on)


def _local_day(moment: datetime, zone: str) -> date:
    try:
        return moment.astimezone(ZoneInfo(zone)).date()
    except (KeyError, ValueError):
        return moment.astimezone(UTC).date()


def _held(row: EventRow, today: date) -> bool:
    if _local_day(row.starts_at, row.timezone) > today:
        return False
    return row.status == EventStatus.HELD or (
        row.status == EventStatus.PUBLISHED and _local_day(row.ends_at, row.timezone) <= today
    )


async def _gather(
    session: AsyncSession,
    municipality_ids: Sequence[int],
    region_id: int | None,
    year: int,
    starts_on: date,
    ends_on: date,
    today: date,
) -> Gathered:
    repo = KpiRepo(session)
    await repo.plan_each_statement()
    counted_until = min(today, ends_on)
    since = datetime.combine(starts_on, time(), UTC)
    # Nothing after `today` counts: a report during the year shows the year so far.
    until = datetime.combine(counted_until + timedelta(days=1), time(), UTC)
    if region_id is not None:
        participants = await program_years.participants(session, year, region_id=region_id)
    else:
        participants = await program_years.participants(
            session, year, municipality_id=municipality_ids[0]
        )
    events = [
        row
        for row in await repo.events(
            municipality_ids, region_id, since - _ZONE_SLACK, until + _ZONE_SLACK
        )
        if starts_on <= _local_day(row.starts_at, row.timezone) <= ends_on and _held(row, today)
    ]
    folded = {s.casefold().strip() for s in CALLED_OUT_SUBJECTS}
    subjects = [s for s in await repo.subjects() if s.casefold().strip() in folded]
    rule = self_check_scenario().dynamics
    sections = list(rule.sections) if rule else []
    return Gathered(
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        today=today,
        participants=participants,
        events=events,
        attendance=await repo.attendance([e.id for e in events]),
        consultations=await repo.last_consultations(municipality_ids, starts_on, counted_until),
        teachers=await repo.teacher_counts(
            municipality_ids,
            year,
            scenario_id=SELF_CHECK_SCENARIO,
            subjects=subjects,
            since=since,
            until=until,
        ),
        dynamics=await repo.dynamics(
            municipality_ids,
            year,
            scenario_id=SELF_CHECK_SCENARIO,
            sections=sections,
            since=since,
            until=until,
        )
        if sections
        else {},
        communities=await repo.communities(municipality_ids, until),
        plan=await repo.tasks(municipality_ids, year, DeadlineKind.PLAN, counted_until),
        monitor=await repo.tasks(municipality_ids, year, DeadlineKind.MONITORING, counted_until),
        surveys=await repo.survey_shares(
            municipality_ids,
            region_id,
            scenario_id=PARENTS_SCENARIO,
            questions=PARENTS_QUESTIONS,
            satisfied=SATISFIED,
            since=since,
            until=until,
        ),
    )


def _event_rule(program: str, kpi_id: str) -> event_reports.Target | None:
    """The event rule of `config/event_targets.yaml` under the same id, the program's first."""
    loaded = event_reports.targets()
    found = [(p, t) for p, prog in loaded.programs.items() for t in prog.targets if t.id == kpi_id]
    found.sort(key=lambda pair: pair[0] != program)
    return found[0][1] if found else None


class _Facts:
    """The facts of one scope: a subset of the gathered municipalities (None: all, with the
    region's own events and surveys)."""

    def __init__(self, g: Gathered, municipality_ids: Collection[int] | None) -> None:
        self.g = g
        self.ids = None if municipality_ids is None else set(municipality_ids)
        mine = [p for p in g.participants if self._in(p.municipality_id)]
        # Schools that joined after the counted day do not take part yet.
        self.schools = [p for p in mine if p.takes_part_on(g.counted_until)]
        self.events = [e for e in g.events if self._in(e.municipality_id)]
        self.teachers = [g.teachers[p.school_id] for p in self.schools if p.school_id in g.teachers]

    def _in(self, municipality_id: int | None) -> bool:
        if self.ids is None:
            return True
        return municipality_id is not None and municipality_id in self.ids

    def _munis(self, by_municipality: dict[int, TaskCounts]) -> TaskCounts:
        rows = [c for m, c in by_municipality.items() if self._in(m)]
        return TaskCounts(sum(r.due for r in rows), sum(r.done for r in rows))

    def _count_events(self, program: str, kpi_id: str) -> Fact:
        rule = _event_rule(program, kpi_id)
        if rule is None or not self.events:
            return None, None, None
        n = 0
        for event in self.events:
            if rule.types and event.type not in rule.types:
                continue
            if rule.scopes and event.scope not in {s.value for s in rule.scopes}:
                continue
            attended, districts = self.g.attendance.get(event.id, (0, 0))
            if rule.attendees_min is not None and attended < rule.attendees_min:
                continue
            if rule.districts_min is not None and districts < rule.districts_min:
                continue
            n += 1
        return float(n), None, None

    def _per_school_events(self, program: str) -> Fact:
        rule = _event_rule(program, "EV-PER-SCHOOL")
        hours, need = (rule.hours_min or 0.0, rule.min) if rule else (4.0, 1)
        joined = {p.school_id: p.joined_on for p in self.schools}
        hosted: Counter[int] = Counter()
        for event in self.g.events:
            school = event.host_school_id
            if school is None or school not in joined or event.hours < hours:
                continue
            since = joined[school]
            if since is None or _local_day(event.starts_at, event.timezone) >= since:
                hosted[school] += 1
        return _share(sum(1 for s in joined if hosted[s] >= need), len(joined))

    def _consulted(self) -> Fact:
        done = 0
        for p in self.schools:
            last = self.g.consultations.get(p.school_id)
            if last is not None and (p.joined_on is None or last >= p.joined_on):
                done += 1
        return _share(done, len(self.schools))

    def _parents(self) -> Fact:
        by_owner: dict[int | None, list[SurveyShare]] = defaultdict(list)
        for survey in self.g.surveys:
            if survey.answers and (self.ids is None or self._in(survey.municipality_id)):
                by_owner[survey.municipality_id].append(survey)
        changes = []
        for surveys in by_owner.values():
            if len(surveys) < 2:
                continue
            surveys.sort(key=lambda s: (s.created_at, s.survey_id))
            first, last = surveys[0], surveys[-1]
            changes.append(
                100.0 * last.satisfied / last.answers - 100.0 * first.satisfied / first.answers
            )
        if not changes:
            return None, None, None
        return round(sum(changes) / len(changes), 1), None, None

    def fact(self, program: str, kpi_id: str) -> Fact:
        t = self.teachers
        if kpi_id == "EV-PER-SCHOOL":
            return self._per_school_events(program)
        if kpi_id.startswith("EV-"):
            return self._count_events(program, kpi_id)
        if kpi_id == "CO-PER-SCHOOL":
            return self._consulted()
        if kpi_id == "CM-COUNT":
            rows = [c for m, c in self.g.communities.items() if self._in(m)]
            if not any(total for total, _ in rows):
                return None, None, None
            return float(sum(active for _, active in rows)), None, None
        if kpi_id == "CM-TEACHER-SHARE":
            return _share(sum(c.in_communities for c in t), sum(c.teachers for c in t))
        if kpi_id == "CM-SCHOOL-SHARE":
            with_members = {
                p.school_id
                for p in self.schools
                if self.g.teachers.get(p.school_id, TeacherCounts()).in_communities
            }
            return _share(len(with_members), len(self.schools))
        if kpi_id == "SC-COVERAGE":
            return _share(sum(c.subject_checked for c in t), sum(c.subject_teachers for c in t))
        if kpi_id == "SC-COVERAGE-ALL":
            return _share(sum(c.checked for c in t), sum(c.teachers for c in t))
        if kpi_id == "COVERAGE-ANY":
            return _share(sum(c.reached for c in t), sum(c.teachers for c in t))
        if kpi_id == "SC-DYNAMICS":
            pairs = [
                self.g.dynamics[p.school_id] for p in self.schools if p.school_id in self.g.dynamics
            ]
            return _share(sum(b for _, b in pairs), sum(a for a, _ in pairs))
        if kpi_id == "DL-PLAN":
            counts = self._munis(self.g.plan)
            return _share(counts.done, counts.due)
        if kpi_id == "DL-MONITOR":
            counts = self._munis(self.g.monitor)
            return _share(counts.done, counts.due)
        if kpi_id == "SV-PARENTS":
            return self._parents()
        raise ValueError(f"no computation for {kpi_id}")


def _lines(facts: _Facts, targets: Sequence[tuple[str, KpiTarget]], year: int) -> list[KpiLine]:
    lines = []
    for program, target in targets:
        fact, numerator, denominator = facts.fact(program, target.id)
        lines.append(
            KpiLine(
                id=target.id,
                title=dict(target.title),
                program=program,
                comparison=target.comparison,
                unit=target.unit,
                target=target.target_in(year),
                fact=fact,
                source=target.source,
                numerator=numerator,
                denominator=denominator,
            )
        )
    return lines


async def kpi_report(
    session: AsyncSession,
    *,
    region_id: int,
    municipality_id: int | None,
    year: int,
    today: date,
) -> KpiReport:
    """The report of a municipality (its year kind) or, with no municipality, of the region
    (calendar years)."""
    program_years.check_year(year)
    places = PlacesRepo(session)
    if municipality_id is not None:
        municipality = await places.municipality(municipality_id)
        if municipality is None or municipality.region_id != region_id:
            raise DomainError("kpi.not_allowed")
        starts_on, ends_on = program_years.bounds(program_years.kind_of(municipality), year)
        gathered = await _gather(session, [municipality.id], None, year, starts_on, ends_on, today)
        targets = kpi_targets().for_municipality(municipality.name)
        return KpiReport(
            year,
            starts_on,
            ends_on,
            municipality.id,
            region_id,
            municipality.name,
            _lines(_Facts(gathered, [municipality.id]), targets, year),
        )
    region = await session.get(Region, region_id)
    if region is None:
        raise DomainError("kpi.not_allowed")
    gathered = await _region_gathered(session, region_id, year, today)
    return KpiReport(
        year,
        gathered.starts_on,
        gathered.ends_on,
        None,
        region_id,
        region.name,
        _lines(_Facts(gathered, None), kpi_targets().for_region(), year),
    )


async def _region_gathered(
    session: AsyncSession, region_id: int, year: int, today: date
) -> Gathered:
    ids = list(await PlacesRepo(session).municipality_ids_in([region_id]))
    starts_on, ends_on = program_years.bounds(YearKind.CALENDAR, year)
    return await _gather(session, ids, region_id, year, starts_on, ends_on, today)


@dataclass(frozen=True)
class RegionReport:
    """The region's report and one per municipality (the admin's sheet), read together."""

    region: KpiReport
    municipalities: list[KpiReport]


async def region_report(
    session: AsyncSession, *, region_id: int, year: int, today: date
) -> RegionReport:
    """The region and, from the same statements, each of its municipalities over the region's
    calendar year (the sheet compares them on one footing, whatever their own year kind)."""
    program_years.check_year(year)
    region = await session.get(Region, region_id)
    if region is None:
        raise DomainError("kpi.not_allowed")
    gathered = await _region_gathered(session, region_id, year, today)
    config = kpi_targets()
    municipalities = sorted(await PlacesRepo(session).municipalities(region_id), key=_by_name)
    rows = [
        KpiReport(
            year,
            gathered.starts_on,
            gathered.ends_on,
            m.id,
            region_id,
            m.name,
            _lines(_Facts(gathered, [m.id]), config.for_region(), year),
        )
        for m in municipalities
    ]
    whole = KpiReport(
        year,
        gathered.starts_on,
        gathered.ends_on,
        None,
        region_id,
        region.name,
        _lines(_Facts(gathered, None), config.for_region(), year),
    )
    return RegionReport(whole, rows)


def _by_name(m: Municipality) -> str:
    return m.name.casefold()


# --- who may see what -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """What a viewer may open: the region (admins) and the municipalities."""

    region_id: int | None
    municipalities: list[Municipality]

    @property
    def is_admin(self) -> bool:
        return self.region_id is not None


async def reach_of(session: AsyncSession, viewer: Person) -> Reach:
    scope = await scope_of(session, viewer)
    if scope.is_empty:
        raise DomainError("kpi.not_allowed")
    found = await PlacesRepo(session).municipalities_with_ids(list(scope.municipality_ids))
    return Reach(scope.region_ids[0] if scope.region_ids else None, sorted(found, key=_by_name))


async def report_for(
    session: AsyncSession, viewer: Person, municipality_id: int, year: int, today: date
) -> KpiReport:
    """A viewer's report: 0 is the region (admins only); a municipality of their scope."""
    reach = await reach_of(session, viewer)
    if municipality_id == 0:
        if reach.region_id is None:
            raise DomainError("kpi.not_allowed")
        return await kpi_report(
            session, region_id=reach.region_id, municipality_id=None, year=year, today=today
        )
    chosen = next((m for m in reach.municipalities if m.id == municipality_id), None)
    if chosen is None:
        raise DomainError("kpi.not_allowed")
    return await kpi_report(
        session, region_id=chosen.region_id, municipality_id=chosen.id, year=year, today=today
    )


def years_offered(reach: Reach, today: date) -> list[int]:
    """The current program year and the previous one (calendar for the region)."""
    kinds = {program_years.kind_of(m) for m in reach.municipalities} or {YearKind.CALENDAR}
    current = max(program_years.year_of(kind, today) for kind in kinds)
    return [current, current - 1]


def today() -> date:
    return datetime.now(UTC).date()


async def export_for(
    session: AsyncSession, viewer: Person, municipality_id: int, year: int, day: date
) -> tuple[KpiReport, list[KpiReport] | None]:
    """The report to export and, for the region (admins), the rows of «по муниципалитетам»."""
    if municipality_id == 0:
        reach = await reach_of(session, viewer)
        if reach.region_id is None:
            raise DomainError("kpi.not_allowed")
        both = await region_report(session, region_id=reach.region_id, year=year, today=day)
        return both.region, both.municipalities
    return await report_for(session, viewer, municipality_id, year, day), None
