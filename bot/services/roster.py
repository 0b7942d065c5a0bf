"""Roster import: a coordinator's spreadsheet becomes the municipality's people, schools,
roles and tutor assignments.

Always in two steps. The dry run reads the file against what the database already has and
reports what would change and every row that cannot be taken (with its row number and why).
Applying re-reads the same file and writes the valid rows in one transaction; rows with
problems are skipped. Re-importing updates people (matched by phone, else by full name and
school), never duplicates them. Grants and subjects are only ever added by an import.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import onboarding
from bot.services.phones import normalize_phone
from bot.services.roster_parse import (
    ParsedRoster,
    RosterFileError,
    RosterRow,
    SchoolRow,
    has_roster_extension,
    parse_roster,
)
from bot.texts import t
from storage.models import Person, PersonStatus, Role, RosterUpload, School
from storage.repositories.places import PlacesRepo
from storage.repositories.roster import KnownPerson, RosterRepo

SCHOOL_NAME_MAX, SCHOOL_SHORT_NAME_MAX = 300, 120
PEOPLE_SHEET, SCHOOLS_SHEET = "people", "schools"

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


# --- the report ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        where = (
            t("roster.where_school_row", row=self.row)
            if self.sheet == SCHOOLS_SHEET
            else t("roster.where_row", row=self.row)
        )
        return f"{where}: {t(self.key, **self.params)}"


@dataclass
class RosterReport:
    municipality_name: str
    rows: int = 0
    new_people: int = 0
    updated_people: int = 0
    unchanged_people: int = 0
    skipped_rows: int = 0
    schools_created: int = 0
    schools_updated: int = 0
    tutor_assignments: int = 0
    # The whole file is unusable (a required column is missing): nothing else is checked.
    file_problem: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return self.file_problem is None and any(
            (
                self.new_people,
                self.updated_people,
                self.schools_created,
                self.schools_updated,
                self.tutor_assignments,
            )
        )


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


class UnreadableRoster(DomainError):
    """The file is not a roster at all (broken, not a spreadsheet, no people sheet)."""


def read_file(content: bytes, filename: str) -> ParsedRoster:
    """The file's rows, or UnreadableRoster saying why the file cannot be read."""
    if not has_roster_extension(filename):
        raise UnreadableRoster("roster.file_wrong_type")
    try:
        return parse_roster(content, filename)
    except RosterFileError as error:
        raise UnreadableRoster(error.key) from error


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
        elif _school_changes(planned):
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


def _school_changes(planned: PlannedSchool) -> dict[str, Any]:
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
        elif _person_changes(planned, municipality_id, plan.school_ids):
            report.updated_people += 1
        else:
            report.unchanged_people += 1
        if planned.tutor is not None and not _assignment_known(plan, planned):
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


def _wanted_grants(planned: PlannedPerson, municipality_id: int) -> set[tuple[Role, int | None]]:
    return {(role, municipality_id if role == Role.COORDINATOR else None) for role in planned.roles}


def _person_changes(
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
        or not _wanted_grants(planned, municipality_id) <= existing.grants
        or not set(planned.subjects) <= existing.subjects
    )


def _assignment_known(plan: RosterPlan, planned: PlannedPerson) -> bool:
    tutor = planned.tutor
    if planned.existing is None or tutor is None:
        return False
    tutor_id = tutor.existing.id if isinstance(tutor, PlannedPerson) and tutor.existing else None
    if isinstance(tutor, KnownPerson):
        tutor_id = tutor.id
    return tutor_id is not None and (tutor_id, planned.existing.id) in plan.known_assignments


async def apply_plan(session: AsyncSession, plan: RosterPlan, *, today: date | None = None) -> None:
    """Writes the plan's valid rows in the caller's transaction (which commits or rolls back)."""
    if plan.report.file_problem is not None:
        return
    repo = RosterRepo(session)
    municipality_id = plan.municipality_id
    new_schools = [s for s in plan.schools if s.existing is None]
    await repo.insert_schools(
        [
            {
                "municipality_id": municipality_id,
                "name": s.name,
                "short_name": s.short_name,
                "low_results": bool(s.low_results),
                "unfavourable_conditions": bool(s.unfavourable_conditions),
                "is_leader": bool(s.is_leader),
            }
            for s in new_schools
        ]
    )
    changed = [(s, _school_changes(s)) for s in plan.schools if s.existing is not None]
    for school, changes in changed:
        # Each school changes different columns, so these go one by one (a few hundred at most).
        assert school.existing is not None
        await repo.update_schools([{"id": school.existing.id, **changes}])
    if new_schools:
        plan.school_ids.update(
            {name_key(s.name): s.id for s in await repo.schools(municipality_id)}
        )

    inserts = [p for p in plan.people if p.existing is None]
    ids = await repo.insert_people(
        [
            {
                "full_name": p.full_name,
                "phone": p.phone,
                "municipality_id": municipality_id,
                "school_id": plan.school_ids.get(p.school_key) if p.school_key else None,
                "status": PersonStatus.ACTIVE,
            }
            for p in inserts
        ]
    )
    for planned, new_id in zip(inserts, ids, strict=True):
        planned.id = new_id
    updates: list[dict[str, Any]] = []
    for planned in plan.people:
        existing = planned.existing
        if existing is None:
            continue
        planned.id = existing.id
        if not _person_changes(planned, municipality_id, plan.school_ids):
            continue
        updates.append(
            {
                "id": existing.id,
                "full_name": planned.full_name,
                "phone": planned.phone or existing.phone,
                "municipality_id": municipality_id,
                "school_id": (
                    plan.school_ids.get(planned.school_key)
                    if planned.school_key
                    else existing.school_id
                ),
            }
        )
    await repo.update_people(updates)

    grants: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    starts_on = today or datetime.now(UTC).date()
    for planned in plan.people:
        assert planned.id is not None
        held = planned.existing.grants if planned.existing else set()
        for role, scope in _wanted_grants(planned, municipality_id) - held:
            grants.append({"person_id": planned.id, "role": role, "municipality_id": scope})
        had = planned.existing.subjects if planned.existing else set()
        subjects.extend(
            {"person_id": planned.id, "subject": s} for s in planned.subjects if s not in had
        )
        tutor = planned.tutor
        if tutor is not None and not _assignment_known(plan, planned):
            tutor_id = tutor.id
            assert tutor_id is not None
            assignments.append(
                {"tutor_id": tutor_id, "teacher_id": planned.id, "starts_on": starts_on}
            )
    await repo.insert_grants(grants)
    await repo.insert_subjects(subjects)
    await repo.insert_assignments(assignments)


# --- the chat's steps --------------------------------------------------------------------------
def coordinator_municipality(coordinator: Person) -> int:
    municipalities = onboarding.coordinated_municipalities(coordinator)
    if not municipalities:
        raise DomainError("roster.no_municipality")
    return municipalities[0]


async def _municipality_name(session: AsyncSession, municipality_id: int) -> str:
    municipality = await PlacesRepo(session).municipality(municipality_id)
    if municipality is None:
        raise DomainError("roster.no_municipality")
    return municipality.name


async def receive_upload(
    session: AsyncSession, coordinator: Person, *, filename: str, content: bytes
) -> RosterUpload:
    """Keeps the file for its dry run (a background job) and for "apply"."""
    municipality_id = coordinator_municipality(coordinator)
    if not has_roster_extension(filename):
        raise DomainError("roster.file_wrong_type")
    return await RosterRepo(session).add_upload(
        RosterUpload(
            municipality_id=municipality_id,
            uploaded_by_id=coordinator.id,
            filename=filename[:255],
            content=content,
        )
    )


async def own_upload(session: AsyncSession, coordinator: Person, upload_id: int) -> RosterUpload:
    """The coordinator's upload that is not applied yet; asked again when its job runs, so a
    coordinator who lost the municipality meanwhile is refused there too."""
    upload = await RosterRepo(session).upload(upload_id)
    if upload is None or upload.municipality_id not in onboarding.coordinated_municipalities(
        coordinator
    ):
        raise DomainError("roster.upload_not_found")
    if upload.applied_at is not None:
        raise DomainError("roster.upload_applied")
    return upload


async def read_upload(upload: RosterUpload) -> ParsedRoster:
    """The kept file's rows (seconds for a region's .xlsx: off the event loop), or
    UnreadableRoster."""
    return await asyncio.to_thread(read_file, upload.content, upload.filename)


async def discard_upload(session: AsyncSession, upload_id: int) -> None:
    """A file that cannot be read is not kept: it may hold names and phones."""
    upload = await RosterRepo(session).upload(upload_id)
    if upload is not None:
        await RosterRepo(session).delete_upload(upload)


async def check_upload(
    session: AsyncSession, upload: RosterUpload, parsed: ParsedRoster
) -> RosterReport:
    """The dry run: what applying the file to the upload's municipality would do."""
    name = await _municipality_name(session, upload.municipality_id)
    plan = await plan_import(session, upload.municipality_id, name, parsed)
    return plan.report


async def other_municipalities(
    session: AsyncSession, coordinator: Person, upload: RosterUpload
) -> list[tuple[int, str]]:
    """The coordinator's other municipalities, for a file meant for one of them."""
    places = PlacesRepo(session)
    return [
        (municipality.id, municipality.name)
        for municipality_id in onboarding.coordinated_municipalities(coordinator)
        if municipality_id != upload.municipality_id
        and (municipality := await places.municipality(municipality_id)) is not None
    ]


async def retarget_upload(
    session: AsyncSession, coordinator: Person, upload_id: int, municipality_id: int
) -> RosterUpload:
    """The same file, to be checked again for another municipality the coordinator runs."""
    if municipality_id not in onboarding.coordinated_municipalities(coordinator):
        raise DomainError("roster.upload_not_found")
    upload = await own_upload(session, coordinator, upload_id)
    upload.municipality_id = municipality_id
    await session.flush()
    return upload


async def apply_upload(
    session: AsyncSession, upload: RosterUpload, parsed: ParsedRoster
) -> RosterReport:
    """Writes the file's valid rows in the caller's transaction. Marking the upload applied
    is the last, conditional write: of two applies of one upload the second finds it taken
    and is rolled back whole."""
    name = await _municipality_name(session, upload.municipality_id)
    plan = await plan_import(session, upload.municipality_id, name, parsed)
    if not plan.report.has_changes:
        raise DomainError("roster.nothing_to_apply")
    await apply_plan(session, plan)
    if not await RosterRepo(session).mark_applied(upload.id, datetime.now(UTC)):
        raise DomainError("roster.upload_applied")
    return plan.report


async def cancel_upload(session: AsyncSession, coordinator: Person, upload_id: int) -> None:
    upload = await own_upload(session, coordinator, upload_id)
    await RosterRepo(session).delete_upload(upload)


# --- files the coordinator gets ----------------------------------------------------------------
def template_xlsx() -> bytes:
    """An empty roster with both sheets, their headings and one example row each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    people = workbook.active
    people.title = plain(t("roster.template.people_sheet"))
    people.append(
        [
            plain(t(f"roster.column.{c}"))
            for c in ("full_name", "phone", "school", "role", "subjects", "tutor")
        ]
    )
    people.append([plain(t(f"roster.template.example_{c}")) for c in range(1, 7)])
    # The tutor has no tutor of their own: the last cell stays empty.
    people.append([plain(t(f"roster.template.tutor_{c}")) for c in range(1, 6)])
    schools = workbook.create_sheet(plain(t("roster.template.schools_sheet")))
    schools.append(
        [
            plain(t(f"roster.column.{c}"))
            for c in ("name", "short_name", "low_results", "unfavourable_conditions", "is_leader")
        ]
    )
    schools.append([plain(t(f"roster.template.school_{c}")) for c in range(1, 6)])
    schools.append([plain(t(f"roster.template.leader_school_{c}")) for c in range(1, 6)])
    for sheet in (people, schools):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems_xlsx(report: RosterReport) -> bytes:
    """Every problem of a report as a spreadsheet: sheet, row, reason."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(plain(t("roster.problems_sheet")))
    sheet.append(
        [
            plain(t("roster.problems_where")),
            plain(t("roster.problems_row")),
            plain(t("roster.problems_reason")),
        ]
    )
    for item in report.problems:
        where = (
            t("roster.template.schools_sheet")
            if item.sheet == SCHOOLS_SHEET
            else t("roster.template.people_sheet")
        )
        sheet.append([plain(where), item.row, plain(t(item.key, **item.params))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plain(text: str) -> str:
    """A locale text for a file or a terminal: `t()` escapes for Telegram's HTML."""
    import html

    return html.unescape(text)
