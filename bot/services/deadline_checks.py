"""Deadlines checked off from records: a plan-graph item «провести вебинар» is done when the
webinar is held, a monitoring stage when the school leader has submitted the self-evaluation.

A rule reads a deadline's `check` (e.g. {"records": "events", "types": ["webinar"]}) and says
which of its pending tasks the records satisfy. `refresh_from_records` runs at the start of
every deadline sweep, so reminders never nag about something already done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import monitoring, program_years
from storage.models import Deadline, DeadlineTask, DoneBy, EventScope, EventStatus, TaskStatus
from storage.repositories.deadline_checks import DeadlineChecksRepo
from storage.repositories.deadlines import DeadlinesRepo

# (session, deadline, its pending tasks) → the tasks the records satisfy, each with the moment
# the record that did it was made (a report submitted, an event held): «done on time» is judged
# by that moment, not by when the sweep noticed.
Rule = Callable[[AsyncSession, Deadline, Sequence[DeadlineTask]], Awaitable[dict[int, datetime]]]

RULES: dict[str, Rule] = {}
RECORDS_LOOKBACK = timedelta(days=366)


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def known_rules() -> set[str]:
    return set(RULES)


async def satisfied(
    session: AsyncSession, deadline: Deadline, tasks: Sequence[DeadlineTask]
) -> dict[int, datetime]:
    check = deadline.check or {}
    found = RULES.get(str(check.get("records", "")))
    if found is None or not tasks:
        return {}
    return await found(session, deadline, tasks)


async def refresh_from_records(session: AsyncSession, today: date) -> int:
    """Marks done the pending tasks of live record-checked deadlines that have started and fell
    due within the last year (older ones are settled: the sweep runs every few minutes, and
    reading every year's tasks each time would grow without end); returns how many."""
    repo = DeadlinesRepo(session)
    deadlines = [
        d
        for d in await repo.live_deadlines(due_from=today - RECORDS_LOOKBACK)
        if d.done_by == DoneBy.RECORDS and d.starts_on <= today
    ]
    marked = 0
    by_deadline: dict[int, list[DeadlineTask]] = {}
    for task in await repo.tasks_of((d.id for d in deadlines), pending_only=True):
        by_deadline.setdefault(task.deadline_id, []).append(task)
    for deadline in deadlines:
        pending = by_deadline.get(deadline.id, [])
        if not pending:
            continue
        done = await satisfied(session, deadline, pending)
        for task in pending:
            if task.id in done:
                task.status, task.done_at = TaskStatus.DONE, done[task.id]
                marked += 1
    await session.flush()
    return marked


# --- the rules ----------------------------------------------------------------------------------
#
# A school's task (school leaders) is judged by its school's records; a person's task
# (coordinators, tutors) by the municipality's: a per-school item is met when every school of
# the year has it, any other when the municipality has `min` records. The moment is the record
# that completed it (the min-th event's end, the last school's consultation, …).

MONITORING_SCENARIO = "self_eval_leader"


def _now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _zone(session: AsyncSession, deadline: Deadline) -> ZoneInfo:
    name = None
    if deadline.municipality_id is not None:
        name = await DeadlineChecksRepo(session).zone_name(deadline.municipality_id)
    return program_years.zone_named(name)


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


async def _window(session: AsyncSession, deadline: Deadline) -> tuple[datetime, datetime]:
    zone = await _zone(session, deadline)
    return _day_start(deadline.starts_on, zone), _day_start(
        deadline.due_on + timedelta(days=1), zone
    )


async def _year_schools(session: AsyncSession, deadline: Deadline) -> list[int]:
    """The schools of the deadline's year that take part by its due date."""
    if deadline.municipality_id is None:
        return []
    schools = await program_years.participants(
        session, deadline.year, municipality_id=deadline.municipality_id
    )
    return [s.school_id for s in schools if s.takes_part_on(deadline.due_on)]


def _nth(moments: list[datetime], n: int) -> datetime | None:
    """The moment the n-th record arrived, or None with fewer than n."""
    ordered = sorted(moments)
    return ordered[n - 1] if len(ordered) >= n else None


async def _judge(
    session: AsyncSession,
    deadline: Deadline,
    tasks: Sequence[DeadlineTask],
    by_school: dict[int, list[datetime]],
    overall: list[datetime],
    *,
    per_school: bool,
    need: int,
) -> dict[int, datetime]:
    """Tasks met: a school's by its own records; a person's by the municipality's."""
    school_done = {
        school: moment
        for school, moments in by_school.items()
        if (moment := _nth(moments, need)) is not None
    }
    municipal: datetime | None
    if per_school:
        year_schools = await _year_schools(session, deadline)
        met = [school_done[s] for s in year_schools if s in school_done]
        municipal = max(met) if year_schools and len(met) == len(year_schools) else None
    else:
        municipal = _nth(overall, need)
    done: dict[int, datetime] = {}
    for task in tasks:
        if task.school_id is not None:
            moment = school_done.get(task.school_id) if per_school else municipal
        else:
            moment = municipal
        if moment is not None:
            done[task.id] = moment
    return done


@rule("events")
async def _events(
    session: AsyncSession, deadline: Deadline, tasks: Sequence[DeadlineTask]
) -> dict[int, datetime]:
    """Held events of the types and scopes in the window; per school: hosted at the school."""
    check = deadline.check or {}
    if deadline.municipality_id is None:
        return {}
    start, end = await _window(session, deadline)
    rows = await DeadlineChecksRepo(session).events(
        deadline.municipality_id,
        start,
        end,
        types=[str(t) for t in check.get("types") or []],
        scopes=[EventScope(s) for s in check.get("scopes") or []],
        hours_min=check.get("hours_min"),
    )
    now = _now()
    by_school: dict[int, list[datetime]] = {}
    overall: list[datetime] = []
    for _event_id, status, ends_at, host_school_id in rows:
        if status != EventStatus.HELD and aware(ends_at) > now:
            continue  # published but not over yet
        overall.append(aware(ends_at))
        if host_school_id is not None:
            by_school.setdefault(host_school_id, []).append(aware(ends_at))
    return await _judge(
        session,
        deadline,
        tasks,
        by_school,
        overall,
        per_school=bool(check.get("per_school")),
        need=int(check.get("min", 1)),
    )


@rule("consultations")
async def _consultations(
    session: AsyncSession, deadline: Deadline, tasks: Sequence[DeadlineTask]
) -> dict[int, datetime]:
    """At least `min` consultations for each school in the window (optionally on a topic)."""
    check = deadline.check or {}
    if deadline.municipality_id is None:
        return {}
    zone = await _zone(session, deadline)
    rows = await DeadlineChecksRepo(session).consultations(
        deadline.municipality_id, deadline.starts_on, deadline.due_on, check.get("topic")
    )
    by_school: dict[int, list[datetime]] = {}
    for school_id, held_on in rows:
        # A consultation is logged by its day: it counts from the end of that day.
        moment = _day_start(held_on + timedelta(days=1), zone) - timedelta(seconds=1)
        by_school.setdefault(school_id, []).append(moment)
    return await _judge(
        session, deadline, tasks, by_school, [], per_school=True, need=int(check.get("min", 1))
    )


@rule("communities")
async def _communities(
    session: AsyncSession, deadline: Deadline, tasks: Sequence[DeadlineTask]
) -> dict[int, datetime]:
    """A school's teachers in an active community; for the municipality, `min` of its active
    communities with members. A membership older than the deadline counts from its start."""
    check = deadline.check or {}
    if deadline.municipality_id is None:
        return {}
    start, _ = await _window(session, deadline)
    rows = await DeadlineChecksRepo(session).community_members(deadline.municipality_id)
    by_school: dict[int, list[datetime]] = {}
    first_member: dict[int, datetime] = {}
    for community_id, municipality_id, school_id, joined_at in rows:
        moment = max(aware(joined_at), start)
        if school_id is not None:
            by_school.setdefault(school_id, []).append(moment)
        if municipality_id == deadline.municipality_id:
            known = first_member.get(community_id)
            first_member[community_id] = moment if known is None else min(known, moment)
    need = int(check.get("min", 1))
    municipal = _nth(list(first_member.values()), need)
    school_done = {s: min(m) for s, m in by_school.items()}
    done: dict[int, datetime] = {}
    for task in tasks:
        found = school_done.get(task.school_id) if task.school_id is not None else municipal
        if found is not None:
            done[task.id] = found
    return done


@rule("monitoring")
async def _monitoring(
    session: AsyncSession, deadline: Deadline, tasks: Sequence[DeadlineTask]
) -> dict[int, datetime]:
    """The school leader's self-evaluation submitted within the stage's window (from its start
    to the next stage's), the same window the stage report counts."""
    start, until = await monitoring.window(session, deadline)
    year_schools = await _year_schools(session, deadline)
    wanted = set(year_schools) | {t.school_id for t in tasks if t.school_id is not None}
    repo = DeadlineChecksRepo(session)
    rows = await repo.submitted_responses(MONITORING_SCENARIO, wanted, start, until)
    by_school: dict[int, list[datetime]] = {}
    for school_id, submitted_at in rows:
        if school_id is not None and submitted_at is not None:
            by_school.setdefault(school_id, []).append(aware(submitted_at))
    return await _judge(session, deadline, tasks, by_school, [], per_school=True, need=1)
