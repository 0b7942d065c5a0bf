"""Event reports: one event's numbers, and the program year against the targets of the seeds.

The deadlines-and-KPI work calls these functions; they return plain dataclasses.

- `event_numbers`: registered, waiting, attended, no-shows (registered but not come), walk-ins
  (came without registering), attendees by district and the number of districts, hours, the
  average rating and the comments of the event's feedback survey (`Survey.event_id`).
- `year_report`: the program year is the calendar year of an event's start in the event's own
  zone. Held events (status «held», or published and over) by type and scope; the targets of
  `config/event_targets.yaml` with what is held and what is missing; the attendance rule of a
  target (the intermunicipal seminar's «не менее 40 участников из 2 районов») per event; the
  participating schools (marked low results or unfavourable conditions) that have hosted no
  event of the per-school rule's hours this year; attendees by district.

Only the viewer's scope is counted: a coordinator's municipalities, an admin's region.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import event_attendance
from bot.services.scope import Scope, scope_of
from storage.models import (
    SEAT_HOLDING,
    Event,
    EventForm,
    EventScope,
    EventStatus,
    Person,
    RegistrationStatus,
)
from storage.repositories.event_reports import EventReportsRepo

TARGETS_FILE = Path(__file__).resolve().parent.parent.parent / "config" / "event_targets.yaml"
RATING_QUESTION = "rating"
COMMENT_QUESTION = "improve"
COMMENTS_SHOWN = 20
YEAR_MIN, YEAR_MAX = 2000, 2100
# Start and end of a calendar year in any zone lie within this of its UTC bounds.
_ZONE_SLACK = timedelta(hours=15)


def _now() -> datetime:
    return datetime.now(UTC)


aware = event_attendance.aware


# --- the targets file -------------------------------------------------------------------------


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: dict[str, str]
    types: list[str] = Field(default_factory=list)
    scopes: list[EventScope] = Field(default_factory=list)
    min: int = Field(ge=1, le=1000)
    attendees_min: int | None = Field(default=None, ge=1)
    districts_min: int | None = Field(default=None, ge=1)
    per_school: bool = False
    hours_min: float | None = Field(default=None, gt=0)
    source: str

    def title_in(self, locale: str) -> str:
        return self.title.get(locale) or self.title.get("ru") or self.id

    def matches(self, event: Event) -> bool:
        return (not self.types or event.type in self.types) and (
            not self.scopes or event.scope in self.scopes
        )

    @property
    def has_attendance_rule(self) -> bool:
        return self.attendees_min is not None or self.districts_min is not None


class Program(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: dict[str, str]
    targets: list[Target]


class Follow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    program: str
    only: list[str] | None = None


class TargetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    follow: list[Follow] = Field(min_length=1)
    programs: dict[str, Program]

    def followed(self) -> list[tuple[str, Target]]:
        """The targets the deployment follows, with their program, in the file's order."""
        found: list[tuple[str, Target]] = []
        for follow in self.follow:
            program = self.programs.get(follow.program)
            if program is None:
                raise ValueError(f"{TARGETS_FILE}: follow names no program {follow.program!r}")
            for target in program.targets:
                if follow.only is None or target.id in follow.only:
                    found.append((follow.program, target))
        return found

    def attendance_rules(self) -> list[Target]:
        """Every target with an attendance rule, followed or not: the report checks them."""
        return [t for p in self.programs.values() for t in p.targets if t.has_attendance_rule]


@cache
def targets() -> TargetsFile:
    """The file, checked; a broken one stops the bot at start with the reason."""
    data = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
    loaded = TargetsFile.model_validate(data)
    loaded.followed()
    return loaded


# --- one event --------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    municipality_id: int | None
    name: str | None  # None: not known (someone without a municipality)
    attendees: int


@dataclass(frozen=True)
class SessionNumbers:
    session_id: int
    title: str
    starts_at: datetime
    attended: int


@dataclass(frozen=True)
class EventNumbers:
    event_id: int
    title: str
    type_id: str
    scope: EventScope
    form: EventForm
    status: EventStatus
    starts_at: datetime
    ends_at: datetime
    timezone: str
    year: int  # the calendar year of the start in the event's zone
    hours: float
    host_school_id: int | None
    host_school: str | None
    registered: int  # holding a seat: registered or offered
    waiting: int
    attended: int
    no_shows: int  # registered, not come
    walk_ins: int  # came without registering
    districts: tuple[District, ...]  # most attendees first
    responses: int
    average_rating: float | None
    comments: tuple[str, ...]
    sessions: tuple[SessionNumbers, ...]

    @property
    def district_count(self) -> int:
        return sum(1 for d in self.districts if d.municipality_id is not None)

    @property
    def held(self) -> bool:
        return self.status == EventStatus.HELD or (
            self.status == EventStatus.PUBLISHED and aware(self.ends_at) <= _now()
        )


def event_year(event: Event) -> int:
    return aware(event.starts_at).astimezone(ZoneInfo(event.timezone)).year


async def _numbers(session: AsyncSession, events: Sequence[Event]) -> list[EventNumbers]:
    repo = EventReportsRepo(session)
    ids = [e.id for e in events]
    registrations = await repo.registrations(ids)
    attendees = await repo.attendees(ids)
    parts = await repo.sessions(ids)
    answers = await repo.feedback(ids, RATING_QUESTION, COMMENT_QUESTION)
    responses = await repo.feedback_responses(ids)
    municipalities = {m for rows in attendees.values() for _, m, _ in rows if m is not None}
    names = await repo.municipality_names(municipalities)
    hosts = await repo.school_labels({e.host_school_id for e in events if e.host_school_id})
    found = []
    for event in events:
        statuses = registrations.get(event.id, {})
        holding: set[int] = set()
        for status in SEAT_HOLDING:
            holding |= statuses.get(status, set())
        came = attendees.get(event.id, [])
        came_ids = {person for person, _, _ in came}
        by_district = Counter(m for _, m, _ in came)
        districts = tuple(
            District(m, names.get(m) if m is not None else None, n)
            for m, n in sorted(
                by_district.items(), key=lambda item: (-item[1], names.get(item[0] or 0, ""))
            )
        )
        ratings = [
            float(v)
            for q, v in answers.get(event.id, [])
            if q == RATING_QUESTION and isinstance(v, int | float) and not isinstance(v, bool)
        ]
        comments = tuple(
            str(v).strip()
            for q, v in answers.get(event.id, [])
            if q == COMMENT_QUESTION and isinstance(v, str) and v.strip()
        )
        found.append(
            EventNumbers(
                event_id=event.id,
                title=event.title,
                type_id=event.type,
                scope=event.scope,
                form=event.form,
                status=event.status,
                starts_at=aware(event.starts_at),
                ends_at=aware(event.ends_at),
                timezone=event.timezone,
                year=event_year(event),
                hours=event.duration_hours,
                host_school_id=event.host_school_id,
                host_school=hosts.get(event.host_school_id) if event.host_school_id else None,
                registered=len(holding),
                waiting=len(statuses.get(RegistrationStatus.WAITING, set())),
                attended=len(came_ids),
                no_shows=len(holding - came_ids),
                walk_ins=len(came_ids - holding),
                districts=districts,
                responses=responses.get(event.id, 0),
                average_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
                comments=comments,
                sessions=tuple(
                    SessionNumbers(part.id, part.title, aware(part.starts_at), count)
                    for part, count in parts.get(event.id, [])
                ),
            )
        )
    return found


async def event_numbers(session: AsyncSession, viewer: Person, event_id: int) -> EventNumbers:
    """One event's numbers, for its organiser's scope only."""
    event = await event_attendance.organiser_event(session, viewer, event_id)
    if event.status not in (EventStatus.PUBLISHED, EventStatus.HELD):
        raise DomainError("event_reports.not_reported")
    return (await _numbers(session, [event]))[0]


# --- the program year -------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetLine:
    id: str
    program: str
    title: str
    target: int
    held: int
    source: str
    per_school: bool

    @property
    def missing(self) -> int:
        return max(self.target - self.held, 0)

    @property
    def met(self) -> bool:
        return self.held >= self.target


@dataclass(frozen=True)
class TypeCount:
    type_id: str
    scope: EventScope
    held: int
    attended: int
    hours: float


@dataclass(frozen=True)
class RuleCheck:
    """An event a target's attendance rule applies to, and whether it meets it."""

    target_id: str
    event_id: int
    title: str
    attended: int
    districts: int
    attendees_min: int | None
    districts_min: int | None

    @property
    def ok(self) -> bool:
        return (self.attendees_min is None or self.attended >= self.attendees_min) and (
            self.districts_min is None or self.districts >= self.districts_min
        )


@dataclass(frozen=True)
class SchoolGap:
    school_id: int
    label: str
    municipality: str


@dataclass(frozen=True)
class YearReport:
    year: int
    programs: tuple[str, ...]  # titles of the followed programs
    events: tuple[EventNumbers, ...]  # held ones, by start
    upcoming: int  # published, not yet over
    by_type: tuple[TypeCount, ...]
    targets: tuple[TargetLine, ...]
    checks: tuple[RuleCheck, ...]
    participating_schools: int
    per_school_hours: float | None
    schools_without: tuple[SchoolGap, ...]
    districts: tuple[District, ...]  # attendees of held events by district

    @property
    def attended(self) -> int:
        return sum(e.attended for e in self.events)

    @property
    def hours(self) -> float:
        return sum(e.hours for e in self.events)


def current_year(zone: ZoneInfo) -> int:
    return _now().astimezone(zone).year


def check_year(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise DomainError("event_reports.bad_year")
    return year


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime(year, 1, 1, tzinfo=UTC) - _ZONE_SLACK
    end = datetime(year + 1, 1, 1, tzinfo=UTC) + _ZONE_SLACK
    return start, end


async def report_scope(session: AsyncSession, viewer: Person) -> Scope:
    scope = await scope_of(session, viewer)
    if scope.is_empty:
        raise DomainError("event_reports.not_allowed")
    return scope


def _rule_check(target: Target, numbers: EventNumbers) -> RuleCheck:
    return RuleCheck(
        target.id,
        numbers.event_id,
        numbers.title,
        numbers.attended,
        numbers.district_count,
        target.attendees_min,
        target.districts_min,
    )


async def year_report(
    session: AsyncSession, viewer: Person, year: int, locale: str = "ru"
) -> YearReport:
    check_year(year)
    scope = await report_scope(session, viewer)
    repo = EventReportsRepo(session)
    start, end = _year_bounds(year)
    events = [
        e
        for e in await repo.events_of_scope(
            viewer.id, scope.municipality_ids, scope.region_ids, start, end
        )
        if event_year(e) == year
    ]
    numbers = await _numbers(session, events)
    held = [n for n in numbers if n.held]
    upcoming = len(numbers) - len(held)
    by_event = {e.id: e for e in events}

    kinds: dict[tuple[str, EventScope], list[EventNumbers]] = {}
    for n in held:
        kinds.setdefault((n.type_id, n.scope), []).append(n)
    by_type = tuple(
        TypeCount(
            type_id, scope_, len(rows), sum(r.attended for r in rows), sum(r.hours for r in rows)
        )
        for (type_id, scope_), rows in sorted(
            kinds.items(), key=lambda kv: (kv[0][0], kv[0][1].value)
        )
    )

    loaded = targets()
    checks = tuple(
        _rule_check(target, n)
        for target in loaded.attendance_rules()
        for n in held
        if target.matches(by_event[n.event_id])
    )
    schools = await repo.participating_schools(scope.municipality_ids)
    per_school = [t for _, t in loaded.followed() if t.per_school]
    hours_min = min((t.hours_min or 0.0 for t in per_school), default=None)
    gaps: tuple[SchoolGap, ...] = ()
    hosted_counts: Counter[int] = Counter()
    if per_school:
        hosted = [
            e
            for e in await repo.hosted([s.id for s in schools], start, end)
            if event_year(e) == year
            and e.duration_hours >= (hours_min or 0)
            and (e.status == EventStatus.HELD or aware(e.ends_at) <= _now())
        ]
        hosted_counts = Counter(e.host_school_id for e in hosted if e.host_school_id)
        need = max(t.min for t in per_school)
        names = await repo.municipality_names({s.municipality_id for s in schools})
        gaps = tuple(
            SchoolGap(s.id, s.label, names.get(s.municipality_id, ""))
            for s in schools
            if hosted_counts[s.id] < need
        )

    lines = []
    for program, target in loaded.followed():
        if target.per_school:
            done = sum(1 for s in schools if hosted_counts[s.id] >= target.min)
            lines.append(
                TargetLine(
                    target.id,
                    program,
                    target.title_in(locale),
                    len(schools),
                    done,
                    target.source,
                    True,
                )
            )
            continue
        counted = [
            n
            for n in held
            if target.matches(by_event[n.event_id])
            and (not target.has_attendance_rule or _rule_check(target, n).ok)
        ]
        lines.append(
            TargetLine(
                target.id,
                program,
                target.title_in(locale),
                target.min,
                len(counted),
                target.source,
                False,
            )
        )

    districts = Counter[int | None]()
    for n in held:
        for d in n.districts:
            districts[d.municipality_id] += d.attendees
    names = await repo.municipality_names({m for m in districts if m is not None})
    return YearReport(
        year=year,
        programs=tuple(
            loaded.programs[f.program].title.get(locale) or f.program for f in loaded.follow
        ),
        events=tuple(held),
        upcoming=upcoming,
        by_type=by_type,
        targets=tuple(lines),
        checks=checks,
        participating_schools=len(schools),
        per_school_hours=hours_min,
        schools_without=gaps,
        districts=tuple(
            District(m, names.get(m) if m is not None else None, n)
            for m, n in sorted(
                districts.items(), key=lambda kv: (-kv[1], names.get(kv[0] or 0, ""))
            )
        ),
    )


def summary_of(report: YearReport) -> dict[str, Any]:
    """The year's targets as plain values (for the KPI work and tests)."""
    return {
        line.id: {"target": line.target, "held": line.held, "missing": line.missing}
        for line in report.targets
    }
