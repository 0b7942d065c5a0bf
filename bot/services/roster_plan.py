"""The dry run of a roster import: the file's rows compared with what the database already
has, into a plan of what applying would write (`RosterPlan`) and a report (`RosterReport`).

Nothing here writes. People are matched by phone, else by full name and school; the same
comparisons decide later what `roster_apply.apply_plan` writes, so they live here, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import onboarding
from bot.services.phones import normalize_phone
from bot.services.roster_parse import ParsedRoster, RosterRow, SchoolRow
from bot.services.roster_report import PEOPLE_SHEET, SCHOOLS_SHEET, Problem, RosterReport
from bot.texts import t
from storage.models import Role, School
from storage.repositories.roster import KnownPerson, RosterRepo

SCHOOL_NAME_MAX, SCHOOL_SHORT_NAME_MAX = 300, 120

# What people write in the role column, compared by the start of each word (lower case,
# ё as е): «Учитель математики» is a teacher, «Зам. директора по УВР» a school leader.
ROLE_WORDS: tuple[tuple[str, frozenset[Role]], ...] = (
    ("педагог", frozenset({Role.TEACHER})),
    ("учител", frozenset({Role.TEACHER})),
    ("преподавател", frozenset({Role.TEACHER})),
    ("teacher", frozenset({Role.TEACHER})),
    ("наставник", frozenset({Role.TUTOR})),
    ("куратор", frozenset({Role.TUTOR})),
    ("тьютор", frozenset({Role.TUTOR})),
    ("tutor", frozenset({Role.TUTOR})),
    ("mentor", frozenset({Role.TUTOR})),
    ("curator", frozenset({Role.TUTOR})),
    ("координатор", frozenset({Role.COORDINATOR})),
    ("coordinator", frozenset({Role.COORDINATOR})),
    ("директор", frozenset({Role.SCHOOL_LEADER, Role.TEACHER})),
    ("заместител", frozenset({Role.SCHOOL_LEADER, Role.TEACHER})),
    ("зам", frozenset({Role.SCHOOL_LEADER, Role.TEACHER})),
    ("director", frozenset({Role.SCHOOL_LEADER, Role.TEACHER})),
    ("deputy", frozenset({Role.SCHOOL_LEADER, Role.TEACHER})),
    ("head", frozenset({Role.SCHOOL_LEADER, Role.TEACHER})),
)
YES_WORDS = frozenset({"да", "д", "+", "1", "yes", "y", "true", "x", "х"})
NO_WORDS = frozenset({"нет", "н", "-", "0", "no", "n", "false"})


def name_key(text: str) -> str:
    return " ".join(text.split()).lower().replace("ё", "е")


# --- the plan: what applying would write -----------------------------------------------------
@dataclass
class PlannedSchool:
    key: str
    name: str
    short_name: str | None
    low_results: bool | None
    unfavourable_conditions: bool | None
    is_leader: bool | None
    existing: School | None = None


@dataclass
class PlannedPerson:
    row: int
    full_name: str
    phone: str | None
    school_key: str | None
    roles: frozenset[Role]
    subjects: list[str]
    tutor_text: str
    existing: KnownPerson | None = None
    tutor: PlannedPerson | KnownPerson | None = None
    id: int | None = None


@dataclass
class RosterPlan:
    municipality_id: int
    report: RosterReport
    schools: list[PlannedSchool] = field(default_factory=list)
    school_ids: dict[str, int] = field(default_factory=dict)
    people: list[PlannedPerson] = field(default_factory=list)
    known_assignments: set[tuple[int, int]] = field(default_factory=set)


async def plan_import(
    session: AsyncSession,
    municipality_id: int,
    municipality_name: str,
    parsed: ParsedRoster,
    *,
    today: date | None = None,
) -> RosterPlan:
    """The dry run: compares the file with the database and writes nothing."""
    report = RosterReport(municipality_name=municipality_name, rows=len(parsed.rows))
    plan = RosterPlan(municipality_id=municipality_id, report=report)
    if parsed.missing_columns:
        columns = ", ".join(t(f"roster.column.{name}") for name in parsed.missing_columns)
        report.file_problem = t("roster.missing_columns", columns=columns)
        return plan
    repo = RosterRepo(session)
    existing_schools = await repo.schools(municipality_id)
    known = await repo.people(municipality_id)
    plan.known_assignments = await repo.active_assignments(
        municipality_id, today or datetime.now(UTC).date()
    )
    if parsed.schools_sheet_unusable:
        report.problems.append(Problem(SCHOOLS_SHEET, 1, "roster.problem.schools_sheet_no_name"))
    school_lookup = _plan_schools(plan, existing_schools, parsed.schools)
    # Seconds of pure Python for a region's roster: off the event loop, so the bot keeps
    # answering everyone else meanwhile.
    await asyncio.to_thread(_plan_people, plan, parsed.rows, school_lookup, known)
    report.problems.sort(key=lambda p: (p.sheet != SCHOOLS_SHEET, p.row))
    return plan


def _flag(raw: str) -> bool | str | None:
    """True/False for yes/no, None when empty, the raw text back when it is neither."""
    word = raw.strip().lower()
    if not word:
        return None
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return raw


def _plan_schools(
    plan: RosterPlan, existing: Sequence[School], rows: list[SchoolRow]
) -> dict[str, str]:
    """Plans the «Школы» sheet; returns how a person's school cell maps to a school key."""
    report = plan.report
    by_key = {name_key(school.name): school for school in existing}
    plan.school_ids = {name_key(school.name): school.id for school in existing}
    seen: dict[str, int] = {}
    for row in rows:
        problems: list[Problem] = []
        key = name_key(row.name)
        if not key:
            problems.append(Problem(SCHOOLS_SHEET, row.row, "roster.problem.school_no_name"))
        elif len(row.name) > SCHOOL_NAME_MAX or len(row.short_name) > SCHOOL_SHORT_NAME_MAX:
            problems.append(Problem(SCHOOLS_SHEET, row.row, "roster.problem.school_name_long"))
        elif key in seen:
            problems.append(
                Problem(SCHOOLS_SHEET, row.row, "roster.problem.school_twice", {"other": seen[key]})
            )
        if row.control_characters:
            problems.append(Problem(SCHOOLS_SHEET, row.row, "roster.problem.control_characters"))
        flags: dict[str, bool | None] = {}
        for column, raw in (
            ("low_results", row.low_results),
            ("unfavourable_conditions", row.unfavourable_conditions),
            ("is_leader", row.is_leader),
        ):
            value = _flag(raw)
            if isinstance(value, str):
                problems.append(
                    Problem(
                        SCHOOLS_SHEET,
                        row.row,
                        "roster.problem.bad_flag",
                        {"column": t(f"roster.column.{column}"), "value": value},
                    )
                )
            else:
                flags[column] = value
        if problems:
            report.problems.extend(problems)
            continue
        seen[key] = row.row
        planned = PlannedSchool(
            key=key,
            name=row.name,
            short_name=row.short_name or None,
            low_results=flags["low_results"],
            unfavourable_conditions=flags["unfavourable_conditions"],
            is_leader=flags["is_leader"],
            existing=by_key.get(key),
        )
        if planned.existing is None:
            report.schools_created += 1
            plan.schools.append(planned)
        elif school_changes(planned):
            report.schools_updated += 1
            plan.schools.append(planned)
    # A person's school cell may hold the full or the short name; a short name shared by
    # two schools cannot say which one, so only unique short names are accepted.
    lookup = {key: key for key in by_key} | {school.key: school.key for school in plan.schools}
    short_names: dict[str, list[str]] = {}
    for school in existing:
        if school.short_name:
            short_names.setdefault(name_key(school.short_name), []).append(name_key(school.name))
    for planned in plan.schools:
        if planned.short_name:
            short_names.setdefault(name_key(planned.short_name), []).append(planned.key)
    for short, keys in short_names.items():
        if len(set(keys)) == 1:
            lookup.setdefault(short, keys[0])
    return lookup


def school_changes(planned: PlannedSchool) -> dict[str, Any]:
    school = planned.existing
    assert school is not None
    changes: dict[str, Any] = {}
    if school.name != planned.name:
        changes["name"] = planned.name
    if planned.short_name is not None and school.short_name != planned.short_name:
        changes["short_name"] = planned.short_name
    for column in ("low_results", "unfavourable_conditions", "is_leader"):
        value = getattr(planned, column)
        if value is not None and getattr(school, column) != value:
            changes[column] = value
    return changes


def _roles(raw: str) -> tuple[frozenset[Role], list[str]]:
    """Roles named in a cell, and the words that name none (default: a teacher)."""
    roles: set[Role] = set()
    unknown: list[str] = []
    for part in raw.replace(";", ",").split(","):
        word = name_key(part)
        if not word:
            continue
        match = next((r for prefix, r in ROLE_WORDS if word.startswith(prefix)), None)
        if match is None:
            unknown.append(part.strip())
        else:
            roles |= match
    return frozenset(roles or {Role.TEACHER}), unknown


def _plan_people(
    plan: RosterPlan,
    rows: list[RosterRow],
    school_lookup: dict[str, str],
    known: dict[int, KnownPerson],
) -> None:
    report = plan.report
    municipality_id = plan.municipality_id
    known_by_phone: dict[str, KnownPerson] = {}
    known_by_name_school: dict[tuple[str, int | None], KnownPerson] = {}
    for someone in known.values():
        if someone.phone:
            known_by_phone.setdefault(someone.phone, someone)
        known_by_name_school.setdefault((name_key(someone.full_name), someone.school_id), someone)

    problems: dict[int, list[Problem]] = {}
    candidates: list[PlannedPerson] = []
    rows_by_phone: dict[str, list[int]] = {}
    rows_by_person: dict[int, list[int]] = {}

    def problem(row_number: int, key: str, /, **params: Any) -> None:
        problems.setdefault(row_number, []).append(Problem(PEOPLE_SHEET, row_number, key, params))

    for row in rows:
        full_name = " ".join(row.full_name.split())
        if not full_name:
            problem(row.row, "roster.problem.no_name")
        else:
            try:
                full_name = onboarding.clean_full_name(full_name)
            except DomainError:
                problem(row.row, "roster.problem.bad_name", name=full_name)
        if row.control_characters:
            # The reader removed them; a row is not applied on a guess of what was meant.
            problem(row.row, "roster.problem.control_characters")
        phone: str | None = None
        if row.phone:
            phone = normalize_phone(row.phone)
            if phone is None:
                problem(row.row, "roster.problem.bad_phone", phone=row.phone)
            else:
                rows_by_phone.setdefault(phone, []).append(row.row)
        school_key: str | None = None
        if row.school:
            school_key = school_lookup.get(name_key(row.school))
            if school_key is None:
                problem(row.row, "roster.problem.unknown_school", school=row.school)
        roles, unknown_roles = _roles(row.role)
        for word in unknown_roles:
            problem(row.row, "roster.problem.unknown_role", role=word)
        subjects: list[str] = []
        for part in row.subjects.replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                subject = onboarding.clean_subject(part)
            except DomainError:
                problem(row.row, "roster.problem.bad_subject", subject=part.strip())
                continue
            if subject not in subjects:
                subjects.append(subject)
        candidates.append(
            PlannedPerson(
                row=row.row,
                full_name=full_name,
                phone=phone,
                school_key=school_key,
                roles=roles,
                subjects=subjects,
                tutor_text=row.tutor,
            )
        )

    for phone_rows in rows_by_phone.values():
        if len(phone_rows) > 1:
            for number in phone_rows:
                others = ", ".join(str(n) for n in phone_rows if n != number)
                problem(number, "roster.problem.duplicate_phone", rows=others)

    for planned in candidates:
        if planned.row in problems:
            continue
        school_id = plan.school_ids.get(planned.school_key) if planned.school_key else None
        match = known_by_phone.get(planned.phone) if planned.phone else None
        if match is None and (planned.school_key is None or school_id is not None):
            match = known_by_name_school.get((name_key(planned.full_name), school_id))
            # Someone found by name but holding another phone is a namesake, not this person.
            if match is not None and planned.phone and match.phone not in (None, planned.phone):
                match = None
        if match is not None:
            planned.existing = match
            rows_by_person.setdefault(match.id, []).append(planned.row)
    for person_rows in rows_by_person.values():
        if len(person_rows) > 1:
            for number in person_rows:
                others = ", ".join(str(n) for n in person_rows if n != number)
                problem(number, "roster.problem.same_person", rows=others)

    valid = [p for p in candidates if p.row not in problems]
    _resolve_tutors(valid, known, municipality_id, problem)
    # A tutor whose own row is skipped cannot be assigned; that may skip further rows.
    skipped_tutor = True
    while skipped_tutor:
        skipped_tutor = False
        for planned in valid:
            tutor = planned.tutor
            if (
                planned.row not in problems
                and isinstance(tutor, PlannedPerson)
                and tutor.row in problems
            ):
                problem(planned.row, "roster.problem.tutor_skipped", row=tutor.row)
                skipped_tutor = True
    for planned in valid:
        if planned.row in problems:
            continue
        plan.people.append(planned)
        if planned.existing is None:
            report.new_people += 1
        elif person_changes(planned, municipality_id, plan.school_ids):
            report.updated_people += 1
        else:
            report.unchanged_people += 1
        if planned.tutor is not None and not assignment_known(plan, planned):
            report.tutor_assignments += 1
    report.skipped_rows = len(problems)
    for row_problems in problems.values():
        report.problems.extend(row_problems)


def _resolve_tutors(
    people: list[PlannedPerson],
    known: dict[int, KnownPerson],
    municipality_id: int,
    problem: Callable[..., None],
) -> None:
    """The tutor cell names a tutor of this file or of the municipality, by phone or name."""
    by_phone: dict[str, list[PlannedPerson | KnownPerson]] = {}
    by_name: dict[str, list[PlannedPerson | KnownPerson]] = {}
    in_file: set[int] = set()
    for planned in people:
        if planned.existing is not None:
            in_file.add(planned.existing.id)
        # Grants are only ever added, so someone who already tutors stays a tutor.
        already_tutor = planned.existing is not None and any(
            role == Role.TUTOR for role, _ in planned.existing.grants
        )
        if Role.TUTOR in planned.roles or already_tutor:
            if planned.phone:
                by_phone.setdefault(planned.phone, []).append(planned)
            by_name.setdefault(name_key(planned.full_name), []).append(planned)
    for someone in known.values():
        # A person in the file speaks for themselves; the database copy would be a duplicate.
        if someone.id in in_file or someone.municipality_id != municipality_id:
            continue
        if any(role == Role.TUTOR for role, _ in someone.grants):
            if someone.phone:
                by_phone.setdefault(someone.phone, []).append(someone)
            by_name.setdefault(name_key(someone.full_name), []).append(someone)
    # Each tutor is named by many teachers; parsing a phone is the slowest step of a dry run.
    tutor_phones: dict[str, str | None] = {}
    for planned in people:
        if not planned.tutor_text:
            continue
        if planned.tutor_text not in tutor_phones:
            tutor_phones[planned.tutor_text] = normalize_phone(planned.tutor_text)
        phone = tutor_phones[planned.tutor_text]
        found = by_phone.get(phone, []) if phone else by_name.get(name_key(planned.tutor_text), [])
        if not found:
            problem(planned.row, "roster.problem.unknown_tutor", tutor=planned.tutor_text)
        elif len(found) > 1:
            problem(planned.row, "roster.problem.ambiguous_tutor", tutor=planned.tutor_text)
        elif found[0] is planned:
            problem(planned.row, "roster.problem.own_tutor")
        else:
            planned.tutor = found[0]


def wanted_grants(planned: PlannedPerson, municipality_id: int) -> set[tuple[Role, int | None]]:
    return {(role, municipality_id if role == Role.COORDINATOR else None) for role in planned.roles}


def person_changes(
    planned: PlannedPerson, municipality_id: int, school_ids: dict[str, int]
) -> bool:
    existing = planned.existing
    assert existing is not None
    school_id = school_ids.get(planned.school_key) if planned.school_key else existing.school_id
    return (
        existing.full_name != planned.full_name
        or (planned.phone is not None and existing.phone != planned.phone)
        or existing.municipality_id != municipality_id
        or (
            planned.school_key is not None
            and (school_id is None or school_id != existing.school_id)
        )
        or not wanted_grants(planned, municipality_id) <= existing.grants
        or not set(planned.subjects) <= existing.subjects
    )


def assignment_known(plan: RosterPlan, planned: PlannedPerson) -> bool:
    tutor = planned.tutor
    if planned.existing is None or tutor is None:
        return False
    tutor_id = tutor.existing.id if isinstance(tutor, PlannedPerson) and tutor.existing else None
    if isinstance(tutor, KnownPerson):
        tutor_id = tutor.id
    return tutor_id is not None and (tutor_id, planned.existing.id) in plan.known_assignments
