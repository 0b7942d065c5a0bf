"""Plan-graph templates: a program's plan (Grachevka's «план-график», seeds-extract §2.1) as a
YAML file of items with months, not dates, applied to any program year of a municipality.

Templates come from `config/plan_templates/*.yaml` (shipped) and from a region's own uploads
(`PlanTemplate` rows, the same format, read by `plan_template_format`, where every problem of a
file names its line). Applying creates one deadline per occurrence (a window, a month, each
listed month, each monitoring stage), keyed by origin so applying twice adds nothing, and fans
each out as tasks.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import deadline_tasks, program_years
from bot.services.plan_template_format import (
    TITLE_MAX,
    Item,
    Occurrence,
    PlanTemplateError,
    Template,
    occurrences,
    parse,
    parse_file,
)
from bot.services.scenarios import Problem
from bot.services.scope import coordinated_municipalities, scope_of
from storage.models import (
    Deadline,
    DeadlineKind,
    Municipality,
    Person,
    PlanTemplate,
    Recurrence,
    Responsible,
    YearKind,
)
from storage.repositories.deadlines import DeadlinesRepo
from storage.repositories.plan_templates import PlanTemplatesRepo

PLAN_TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "config" / "plan_templates"
MAX_FILE_BYTES = 200 * 1024
PARTS = (1, 2, 3)
DEFAULT_PART = 2  # the 2022 cycle: the cleanest year of the Grachevka plan (seeds-extract §2.1)


# --- where templates come from ----------------------------------------------------------------


@cache
def shipped() -> dict[str, Template]:
    """The config directory's templates; a broken one stops the bot at start with its lines."""
    found: dict[str, Template] = {}
    problems: list[Problem] = []
    for path in sorted(PLAN_TEMPLATES_DIR.glob("*.yaml")):
        template, trouble = parse_file(path)
        problems += trouble
        if template is not None:
            found[template.code] = template
    if problems:
        raise PlanTemplateError(problems)
    return found


def check_shipped() -> list[Problem]:
    shipped.cache_clear()
    try:
        shipped()
    except PlanTemplateError as error:
        return error.problems
    return []


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    code: str
    title: str
    region_own: bool
    items_by_part: dict[int, int]
    template_id: int | None = None  # the region's row, for the download


def _info(template: Template, row: PlanTemplate | None = None) -> TemplateInfo:
    counts: Counter[int] = Counter(item.part for item in template.items)
    return TemplateInfo(
        template.code,
        template.title,
        row is not None,
        {part: counts.get(part, 0) for part in PARTS},
        row.id if row is not None else None,
    )


def _from_row(row: PlanTemplate) -> Template | None:
    template, _ = parse(row.body, row.code)
    return template


async def available(session: AsyncSession, region_id: int | None) -> list[TemplateInfo]:
    """The shipped templates and the region's own (a region's template of the same code wins)."""
    found = {code: _info(template) for code, template in shipped().items()}
    if region_id is not None:
        for row in await PlanTemplatesRepo(session).of_region(region_id):
            template = _from_row(row)
            if template is not None:
                found[template.code] = _info(template, row)
    return list(found.values())


async def template_for(session: AsyncSession, region_id: int | None, code: str) -> Template:
    if region_id is not None:
        row = await PlanTemplatesRepo(session).by_code(region_id, code)
        if row is not None and (template := _from_row(row)) is not None:
            return template
    template = shipped().get(code)
    if template is None:
        raise DomainError("plan.unknown_template")
    return template


# --- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    template_code: str
    title: str
    year: int
    part: int
    items: int
    deadlines: int
    managed: int  # occurrences left to the monitoring module


@dataclass(slots=True)
class Applied:
    created: int = 0
    already: int = 0
    skipped_past: int = 0
    managed: int = 0
    tasks: int = 0
    by_responsible: dict[str, int] = field(default_factory=dict)


def check_year(year: int) -> int:
    # Its own key: the program module's message is worded for its screens.
    if not program_years.EARLIEST_YEAR <= year <= program_years.LATEST_YEAR:
        raise DomainError(
            "plan.bad_year", first=program_years.EARLIEST_YEAR, last=program_years.LATEST_YEAR
        )
    return year


def check_part(part: int) -> int:
    if part not in PARTS:
        raise DomainError("plan.bad_part")
    return part


def window(kind: YearKind, year: int, first_month: int, last_month: int) -> tuple[date, date]:
    """Starts on the 1st of the first month, due on the last day of the last month; the last
    month is the first such month on or after the start (a school year's March is next spring)."""
    start_year = program_years.calendar_year_of_month(kind, year, first_month)
    due_year = start_year if last_month >= first_month else start_year + 1
    last_day = calendar.monthrange(due_year, last_month)[1]
    return date(start_year, first_month, 1), date(due_year, last_month, last_day)


def origin_key(municipality_id: int, template: str, item: str, year: int, n: int) -> str:
    return f"{municipality_id}:{template}:{item}:{year}:{n}"


def _short(title: str) -> str:
    if len(title) <= TITLE_MAX:
        return title
    cut = title[: TITLE_MAX - 1]
    return re.sub(r"\s+\S*$", "", cut).rstrip(" ,.;:") + "…"


def _description(item: Item) -> str | None:
    parts = [item.title] if len(item.title) > TITLE_MAX else []
    if item.result:
        parts.append(item.result)
    return "\n\n".join(parts) or None


def _check_of(item: Item, occurrence: Occurrence) -> dict[str, Any] | None:
    if item.check is None:
        return None
    check = item.check.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    check["records"] = item.check.records
    if occurrence.stage is not None:
        check["stage"] = occurrence.stage.value
    return check


async def _municipality_in_scope(
    session: AsyncSession, viewer: Person, municipality_id: int
) -> Municipality:
    scope = await scope_of(session, viewer)
    if not scope.covers_municipality(municipality_id):
        raise DomainError("plan.not_yours")
    municipality = await PlanTemplatesRepo(session).municipality(municipality_id)
    if municipality is None:
        raise DomainError("plan.not_yours")
    return municipality


async def preview(
    session: AsyncSession,
    viewer: Person,
    template_code: str,
    municipality_id: int,
    year: int,
    *,
    part: int = DEFAULT_PART,
) -> Preview:
    municipality = await _municipality_in_scope(session, viewer, municipality_id)
    check_year(year)
    template = await template_for(session, municipality.region_id, template_code)
    items = [item for item in template.items if item.part == check_part(part)]
    managed = sum(len(occurrences(i)) for i in items if i.managed_by is not None)
    total = sum(len(occurrences(i)) for i in items)
    return Preview(template.code, template.title, year, part, len(items), total - managed, managed)


async def apply(
    session: AsyncSession,
    viewer: Person,
    template_code: str,
    municipality_id: int,
    year: int,
    *,
    part: int = DEFAULT_PART,
    today: date,
) -> Applied:
    """Creates the year's deadlines from a part of a template and fans them out; items already
    past due on `today` are skipped (and counted), items already applied are left as they are."""
    municipality = await _municipality_in_scope(session, viewer, municipality_id)
    check_year(year)
    check_part(part)
    template = await template_for(session, municipality.region_id, template_code)
    kind = program_years.kind_of(municipality)
    repo = DeadlinesRepo(session)
    result = Applied()
    for item in template.items:
        if item.part != part:
            continue
        for occurrence in occurrences(item):
            if item.managed_by is not None:
                result.managed += 1
                continue
            key = origin_key(municipality_id, template.code, item.code, year, occurrence.n)
            if await repo.deadline_by_origin(key) is not None:
                result.already += 1
                continue
            starts_on, due_on = window(kind, year, occurrence.first_month, occurrence.last_month)
            if due_on < today:
                result.skipped_past += 1
                continue
            deadline = Deadline(
                municipality_id=municipality_id,
                region_id=None,
                year=year,
                kind=DeadlineKind.PLAN,
                title=_short(item.title),
                description=_description(item),
                responsible=Responsible(item.responsible),
                starts_on=starts_on,
                due_on=due_on,
                recurrence=Recurrence.NONE,
                done_by=item.done_by,
                check=_check_of(item, occurrence),
                stage=occurrence.stage,
                template_code=template.code,
                item_code=item.code,
                origin_key=key,
                author_id=viewer.id,
            )
            if item.reminder_days is not None:
                deadline.reminder_days = sorted(set(item.reminder_days), reverse=True)
            session.add(deadline)
            await session.flush()
            result.created += 1
            result.by_responsible[item.responsible] = (
                result.by_responsible.get(item.responsible, 0) + 1
            )
            result.tasks += await deadline_tasks.fan_out(session, deadline)
    return result


# --- a region's own templates -----------------------------------------------------------------


async def save_region_template(
    session: AsyncSession, viewer: Person, region_id: int, file_name: str, data: bytes
) -> tuple[TemplateInfo | None, list[Problem]]:
    """Validates an uploaded file and stores it as the region's template of its code (replacing
    the previous one); returns the problems instead when there are any."""
    scope = await scope_of(session, viewer)
    if region_id not in scope.region_ids:
        raise DomainError("plan.not_yours")
    if not file_name.lower().endswith((".yaml", ".yml")):
        raise DomainError("plan.upload_not_yaml")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError("plan.upload_too_big", limit=MAX_FILE_BYTES // 1024)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError("plan.upload_not_text") from None
    template, problems = parse(text, file_name)
    if template is None:
        return None, problems
    row = await PlanTemplatesRepo(session).save(
        region_id, template.code, template.title, text, viewer.id
    )
    return _info(template, row), []


async def region_template(session: AsyncSession, viewer: Person, template_id: int) -> PlanTemplate:
    row = await PlanTemplatesRepo(session).get(template_id)
    scope = await scope_of(session, viewer)
    if row is None or row.region_id not in scope.region_ids:
        raise DomainError("plan.not_yours")
    return row


# --- the coordinator's screen -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Home:
    """What the «План-график» screen offers: the templates, whose municipality they would be
    applied to (a coordinator's first), the years to choose and whether the region's own can be
    managed (admins)."""

    templates: list[TemplateInfo]
    municipality_id: int | None
    municipality_name: str | None
    region_id: int | None
    admin: bool
    today: date
    years: tuple[int, int]


async def home(session: AsyncSession, viewer: Person, default_zone: str, now: datetime) -> Home:
    scope = await scope_of(session, viewer)
    if scope.is_empty and not scope.region_ids:
        raise DomainError("plan.not_yours")
    coordinated = coordinated_municipalities(viewer)
    repo = PlanTemplatesRepo(session)
    municipality = await repo.municipality(coordinated[0]) if coordinated else None
    region_id = municipality.region_id if municipality is not None else None
    if region_id is None and scope.region_ids:
        region_id = scope.region_ids[0]
    zone_name = (municipality.timezone if municipality else None) or default_zone
    today = now.astimezone(ZoneInfo(zone_name)).date()
    current = program_years.year_of(program_years.kind_of(municipality), today)
    return Home(
        await available(session, region_id),
        municipality.id if municipality else None,
        municipality.name if municipality else None,
        region_id,
        bool(scope.region_ids),
        today,
        (current, current + 1),
    )


async def region_templates(session: AsyncSession, viewer: Person) -> list[TemplateInfo]:
    """An admin's region's own templates (for the list and the download)."""
    scope = await scope_of(session, viewer)
    if not scope.region_ids:
        raise DomainError("plan.not_yours")
    found = []
    for row in await PlanTemplatesRepo(session).of_region(scope.region_ids[0]):
        template = _from_row(row)
        if template is not None:
            found.append(_info(template, row))
    return found
