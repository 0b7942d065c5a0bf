"""Which deadline reminders are due now, each exactly once.

For a pending task of a live deadline, on the municipality's local day:
- before the due date, the reminder of the nearest offset reached («d14», «d7», «d1»); one
  whose day passed unsent (the item was created later, the bot was down) is not sent late,
  only the nearest is;
- on the day, «d0» (when 0 is among the offsets);
- after it, a daily reminder («overdue:2027-04-01», for `OVERDUE_DAYS` days) and, once, an
  alert to the coordinators («alert»; to the region's admins for the coordinators' own items).
A school's task whose school has no active leader tells the coordinators once («no_leader»).

Nothing goes before the item starts. People who left (forgotten, role removed, school left),
schools dropped from the year's program and people who blocked the bot are skipped. Rows are
written in the transaction that queues the messages (`bot.scheduler.deadlines`), so a restart
neither repeats nor loses one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import deadline_checks, program_years
from bot.services.deadlines import renew_yearly, supervisors
from storage.models import Deadline, DeadlineTask, Recurrence, Responsible, Role, TaskStatus
from storage.repositories.deadline_items import DeadlineItemsRepo
from storage.repositories.deadline_reminders import DeadlineRemindersRepo, Reachable
from storage.repositories.deadlines import DeadlinesRepo

# A daily reminder past this many days overdue is noise: the coordinator has been alerted.
OVERDUE_DAYS = 30
LOOK_AHEAD_DAYS = 61  # the largest offset (60) and a day of zone difference


@dataclass(frozen=True)
class Item:
    deadline_id: int
    title: str
    description: str | None
    due_on: date
    done_by: str
    stage: bool
    municipality_id: int | None


@dataclass(frozen=True)
class Reminder:
    """A reminder to a responsible person about their task."""

    task_id: int
    key: str
    item: Item
    school: str | None
    to: Reachable
    zone: str


@dataclass(frozen=True)
class Notice:
    """To a coordinator (or admin): tasks of an item that are overdue («alert») or whose
    school has no leader to remind («no_leader»)."""

    key: str
    item: Item
    to: Reachable
    zone: str
    who: list[str] = field(default_factory=list)


@dataclass
class Due:
    reminders: list[Reminder] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def key_for(today: date, starts_on: date, due_on: date, offsets: Sequence[int]) -> str | None:
    """The reminder a task is due on `today` (local), if any."""
    if today < starts_on:
        return None
    left = (due_on - today).days
    if left >= 0:
        reached = [o for o in offsets if o >= left]
        return f"d{min(reached)}" if reached else None
    if -left <= OVERDUE_DAYS:
        return f"overdue:{today.isoformat()}"
    return None


def _item(deadline: Deadline) -> Item:
    return Item(
        deadline.id,
        deadline.title,
        deadline.description,
        deadline.due_on,
        deadline.done_by.value,
        deadline.stage is not None,
        deadline.municipality_id,
    )


async def take_due(session: AsyncSession, now: datetime, default_zone: str) -> Due:
    """What is due at `now`; its rows are written (the caller queues the messages in the same
    transaction)."""
    home_today = now.astimezone(ZoneInfo(default_zone)).date()
    await deadline_checks.refresh_from_records(session, home_today)
    repo = DeadlinesRepo(session)
    rows = DeadlineRemindersRepo(session)
    window = await repo.live_deadlines(
        due_from=home_today - timedelta(days=OVERDUE_DAYS + 2),
        due_until=home_today + timedelta(days=LOOK_AHEAD_DAYS),
    )
    zones = await rows.zones(d.municipality_id for d in window if d.municipality_id)

    def zone_of(deadline: Deadline) -> str:
        found = zones.get(deadline.municipality_id or 0, (None, 0))[0]
        return found or default_zone

    def today_of(deadline: Deadline) -> date:
        return now.astimezone(ZoneInfo(zone_of(deadline))).date()

    for deadline in window:
        if deadline.recurrence == Recurrence.YEARLY and deadline.due_on < today_of(deadline):
            await renew_yearly(session, deadline)

    deadlines = {d.id: d for d in window}
    tasks = [t for t in await repo.tasks_of(deadlines) if t.status == TaskStatus.PENDING]
    keyed: list[tuple[DeadlineTask, str]] = []
    for task in tasks:
        deadline = deadlines[task.deadline_id]
        key = key_for(
            today_of(deadline), deadline.starts_on, deadline.due_on, deadline.reminder_days
        )
        if key is not None:
            keyed.append((task, key))
    if not keyed:
        return Due()

    leaders = await repo.leaders_of({t.school_id for t, _ in keyed if t.school_id})
    holders: dict[tuple[Role, int], set[int]] = {}

    async def still_holds(task: DeadlineTask, deadline: Deadline) -> bool:
        role = {Responsible.COORDINATORS: Role.COORDINATOR, Responsible.TUTORS: Role.TUTOR}.get(
            deadline.responsible
        )
        if role is None or deadline.municipality_id is None:
            return True
        scope = (role, deadline.municipality_id)
        if scope not in holders:
            holders[scope] = set(await repo.role_holders(role, deadline.municipality_id))
        return task.person_id in holders[scope]

    taking_part: dict[tuple[int, int | None, int | None], set[int]] = {}

    async def school_takes_part(task: DeadlineTask, deadline: Deadline) -> bool:
        """A school dropped from the year's program is not reminded of its tasks."""
        where = (deadline.year, deadline.municipality_id, deadline.region_id)
        if where not in taking_part:
            found = await program_years.participants(
                session,
                deadline.year,
                municipality_id=deadline.municipality_id,
                region_id=deadline.region_id if deadline.municipality_id is None else None,
            )
            taking_part[where] = {school.school_id for school in found}
        return task.school_id in taking_part[where]

    wanted: list[tuple[DeadlineTask, str, int]] = []
    leaderless: list[DeadlineTask] = []
    overdue: list[DeadlineTask] = []
    for task, key in keyed:
        deadline = deadlines[task.deadline_id]
        if task.school_id is not None and not await school_takes_part(task, deadline):
            continue
        if task.school_id is not None:
            people = leaders.get(task.school_id, [])
            if not people:
                leaderless.append(task)
        elif task.person_id is not None and await still_holds(task, deadline):
            people = [task.person_id]
        else:
            people = []
        wanted.extend((task, key, person_id) for person_id in people)
        if key.startswith("overdue:"):
            overdue.append(task)

    bosses: dict[int, list[int]] = {}
    for task in [*overdue, *leaderless]:
        deadline = deadlines[task.deadline_id]
        if deadline.id not in bosses:
            bosses[deadline.id] = [p.id for p in await supervisors(session, deadline)]
    notices_wanted = [
        (task, "alert", boss) for task in overdue for boss in bosses[task.deadline_id]
    ] + [(task, "no_leader", boss) for task in leaderless for boss in bosses[task.deadline_id]]

    all_rows = [(t.id, k, p) for t, k, p in [*wanted, *notices_wanted]]
    queued = await rows.queued([t.id for t, _ in keyed], {k for _, k, _ in all_rows})
    reachable = await rows.reachable(p for _, _, p in all_rows)
    names = await DeadlineItemsRepo(session).school_names(
        t.school_id for t, _ in keyed if t.school_id
    )
    person_names = await DeadlineItemsRepo(session).person_names(
        t.person_id for t, _ in keyed if t.person_id
    )
    new_rows: list[tuple[int, str, int]] = []
    due = Due()
    for task, key, person_id in wanted:
        if (task.id, key, person_id) in queued or person_id not in reachable:
            continue
        new_rows.append((task.id, key, person_id))
        deadline = deadlines[task.deadline_id]
        due.reminders.append(
            Reminder(
                task.id,
                key,
                _item(deadline),
                names.get(task.school_id) if task.school_id else None,
                reachable[person_id],
                zone_of(deadline),
            )
        )
    grouped: dict[tuple[str, int, int], Notice] = {}
    for task, key, person_id in notices_wanted:
        if (task.id, key, person_id) in queued or person_id not in reachable:
            continue
        new_rows.append((task.id, key, person_id))
        deadline = deadlines[task.deadline_id]
        notice = grouped.setdefault(
            (key, deadline.id, person_id),
            Notice(key, _item(deadline), reachable[person_id], zone_of(deadline)),
        )
        who = names.get(task.school_id or 0) or person_names.get(task.person_id or 0) or "—"
        notice.who.append(who)
    due.notices = list(grouped.values())
    await rows.add(new_rows)
    return due
