"""The consultation log: tutors record consultations, teachers and coordinators read them.

Who may do what:
- A tutor logs consultations only for the schools and teachers assigned to them (a whole
  school, or teachers personally — then their schools), or from a question thread they
  answer. They change or delete only their own entries, and only for `EDIT_WINDOW` after
  recording them.
- A teacher sees the consultations held with them by name or with their school's whole team.
- A coordinator reads the log of the municipalities they coordinate, nothing else
  (`bot.services.consultation_report`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import assignments
from bot.services.typed_numbers import NotAWholeNumber, OutOfRange, typed_whole_number
from config.settings import Settings
from storage.models import (
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    Person,
    School,
)
from storage.repositories.assignments import AssignmentsRepo
from storage.repositories.consultations import ConsultationsRepo
from storage.repositories.places import PlacesRepo

TOPIC_MIN, TOPIC_MAX = 3, 300
OUTCOME_MAX = 2000
DURATION_MAX_MINUTES = 8 * 60
OLDEST_DATE = timedelta(days=365)
EDIT_WINDOW = timedelta(days=7)
TEACHER_LIST_LIMIT = 20
TUTOR_MONTH_LIMIT = 30
EDITABLE_FIELDS = ("date", "duration", "topic", "outcome")


# --- time ---------------------------------------------------------------------------------


def program_year(day: date) -> tuple[date, date]:
    """The program (school) year that contains `day`: 1 September to 31 August.

    The municipal reports of the ШНОР programs count by school year, so «this year» in every
    consultation report means this range, never the calendar year.
    """
    first_year = day.year if day.month >= 9 else day.year - 1
    return date(first_year, 9, 1), date(first_year + 1, 8, 31)


async def local_today(
    session: AsyncSession, settings: Settings, municipality_id: int | None
) -> date:
    """Today in the municipality's time zone (the deployment's when it has none)."""
    tz = settings.tz
    if municipality_id is not None:
        municipality = await PlacesRepo(session).municipality(municipality_id)
        if municipality is not None and municipality.timezone:
            tz = ZoneInfo(municipality.timezone)
    return datetime.now(tz).date()


# --- input --------------------------------------------------------------------------------

# re.ASCII: \d is 0-9 only, not every script's digits; the words stay matched as typed.
_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?$", re.ASCII)
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_MINUTES = re.compile(rf"^{_NUMBER}\s*(?:м|мин|минут[аы]?|min|mins|minutes?|m)?\.?$", re.ASCII)
_HOURS = re.compile(rf"^{_NUMBER}\s*(?:ч|час|часа|часов|h|hr|hrs|hours?)\.?$", re.ASCII)


def check_held_on(day: date, today: date) -> date:
    if day > today:
        raise DomainError("consultations.date_future")
    if today - day > OLDEST_DATE:
        raise DomainError("consultations.date_too_old")
    return day


def parse_held_on(raw: str, today: date) -> date:
    """ДД.ММ (this year) or ДД.ММ.ГГГГ; not in the future, not more than a year back."""
    match = _DATE.match(raw.strip())
    if match is None:
        raise DomainError("consultations.date_invalid")
    day, month, year = int(match[1]), int(match[2]), match[3]
    full_year = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        held_on = date(full_year, month, day)
    except ValueError as error:
        raise DomainError("consultations.date_invalid") from error
    return check_held_on(held_on, today)


def check_duration(minutes: int) -> int:
    if minutes <= 0:
        raise DomainError("consultations.duration_zero")
    if minutes > DURATION_MAX_MINUTES:
        raise DomainError("consultations.duration_too_long", hours=DURATION_MAX_MINUTES // 60)
    return minutes


def parse_duration(raw: str) -> int:
    """Minutes from «45», «45 мин», «1,5 ч», «2 часа»; more than 0, at most 8 hours."""
    text = re.sub(r"(?<=\d)\s+(?=\d)", "", raw.strip().lower())
    if match := _HOURS.match(text):
        hours = float(match[1].replace(",", "."))
        # 400 nines make float() infinite, and round() of it overflows: too long is too long.
        if hours * 60 > DURATION_MAX_MINUTES:
            raise DomainError("consultations.duration_too_long", hours=DURATION_MAX_MINUTES // 60)
        minutes = round(hours * 60)
    elif match := _MINUTES.match(text):
        try:
            minutes = typed_whole_number(match[1], 0, DURATION_MAX_MINUTES)
        except NotAWholeNumber:  # «1,5» without a unit
            raise DomainError("consultations.duration_invalid") from None
        except OutOfRange:
            raise DomainError(
                "consultations.duration_too_long", hours=DURATION_MAX_MINUTES // 60
            ) from None
    else:
        raise DomainError("consultations.duration_invalid")
    return check_duration(minutes)


def clean_topic(raw: str) -> str:
    topic = " ".join(raw.split())
    if not TOPIC_MIN <= len(topic) <= TOPIC_MAX:
        raise DomainError("consultations.topic_invalid", min=TOPIC_MIN, max=TOPIC_MAX)
    return topic


def clean_outcome(raw: str) -> str:
    outcome = raw.strip()
    if not outcome:
        raise DomainError("consultations.outcome_empty")
    if len(outcome) > OUTCOME_MAX:
        raise DomainError("consultations.outcome_too_long", max=OUTCOME_MAX)
    return outcome


def parse_format(raw: str) -> ConsultationFormat:
    try:
        return ConsultationFormat(raw)
    except ValueError as error:
        raise DomainError("consultations.stale_step") from error


def parse_block(raw: str) -> CompetenceBlock:
    try:
        return CompetenceBlock(raw)
    except ValueError as error:
        raise DomainError("consultations.stale_step") from error


# --- the tutor's dialog -------------------------------------------------------------------


@dataclass
class Draft:
    """The dialog's answers so far, kept in the FSM data so the dialog survives a restart."""

    school_id: int | None = None
    teacher_ids: list[int] = field(default_factory=list)
    whole_school: bool = False
    held_on: str | None = None
    format: str | None = None
    block: str | None = None
    topic: str | None = None
    duration: int | None = None
    outcome: str | None = None
    thread_id: int | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def held_on_date(self) -> date | None:
        return date.fromisoformat(self.held_on) if self.held_on else None


async def loggable_schools(
    session: AsyncSession, tutor: Person, today: date | None = None
) -> Sequence[School]:
    """Schools assigned to the tutor as a whole first, then the schools of their teachers."""
    return await AssignmentsRepo(session).schools_of_tutor(tutor.id, today or date.today())


async def loggable_teachers(
    session: AsyncSession, tutor: Person, school_id: int, today: date | None = None
) -> list[Person]:
    """The tutor's teachers who work at the school."""
    assigned = await assignments.assigned_to(session, tutor, today)
    return [t for t in assigned.teachers if t.school_id == school_id]


async def school_for_tutor(session: AsyncSession, tutor: Person, school_id: int) -> School:
    for school in await loggable_schools(session, tutor):
        if school.id == school_id:
            return school
    raise DomainError("consultations.school_not_yours")


async def draft_from_thread(
    session: AsyncSession, settings: Settings, tutor: Person, thread_id: int
) -> Draft:
    """A draft for a question thread the tutor answers: its school and teacher, held today
    and online (the conversation in the bot is the consultation)."""
    thread = await ConsultationsRepo(session).thread(thread_id)
    if thread is None or thread.tutor_id != tutor.id:
        raise DomainError("consultations.thread_not_yours")
    if thread.school_id is None or thread.teacher_id is None:
        raise DomainError("consultations.thread_incomplete")
    school = await PlacesRepo(session).school(thread.school_id)
    if school is None:
        raise DomainError("consultations.thread_incomplete")
    today = await local_today(session, settings, school.municipality_id)
    return Draft(
        school_id=school.id,
        teacher_ids=[thread.teacher_id],
        held_on=today.isoformat(),
        format=ConsultationFormat.ONLINE.value,
        thread_id=thread.id,
    )


async def _allowed_teacher_ids(session: AsyncSession, tutor: Person, draft: Draft) -> set[int]:
    assert draft.school_id is not None
    allowed = {t.id for t in await loggable_teachers(session, tutor, draft.school_id)}
    if draft.thread_id is not None:
        thread = await ConsultationsRepo(session).thread(draft.thread_id)
        if thread is not None and thread.tutor_id == tutor.id and thread.teacher_id is not None:
            allowed.add(thread.teacher_id)
    return allowed


async def _school_of_draft(session: AsyncSession, tutor: Person, draft: Draft) -> School:
    assert draft.school_id is not None
    if draft.thread_id is not None:
        thread = await ConsultationsRepo(session).thread(draft.thread_id)
        if thread is None or thread.tutor_id != tutor.id:
            raise DomainError("consultations.thread_not_yours")
        if thread.school_id == draft.school_id:
            school = await PlacesRepo(session).school(draft.school_id)
            if school is not None:
                return school
    return await school_for_tutor(session, tutor, draft.school_id)


async def toggle_teacher(
    session: AsyncSession, tutor: Person, draft: Draft, teacher_id: int
) -> Draft:
    if draft.school_id is None:
        raise DomainError("consultations.stale_step")
    if teacher_id not in await _allowed_teacher_ids(session, tutor, draft):
        raise DomainError("consultations.teacher_not_yours")
    if teacher_id in draft.teacher_ids:
        draft.teacher_ids.remove(teacher_id)
    else:
        draft.teacher_ids.append(teacher_id)
    draft.whole_school = False
    return draft


def check_teachers_chosen(draft: Draft) -> None:
    """The form moves on from the teachers' step once someone is chosen (or the whole team)."""
    if not draft.whole_school and not draft.teacher_ids:
        raise DomainError("consultations.no_teachers_chosen")


async def _stored_school_of_draft(session: AsyncSession, draft: Draft) -> School | None:
    """The draft's school as stored, unchecked: for showing the draft, not for saving it."""
    found = await ConsultationsRepo(session).schools([draft.school_id] if draft.school_id else [])
    return found.get(draft.school_id or 0)


async def draft_today(
    session: AsyncSession, settings: Settings, tutor: Person, draft: Draft
) -> date:
    """Today where the draft's school is; the tutor's municipality before a school is chosen."""
    school = await _stored_school_of_draft(session, draft)
    municipality_id = school.municipality_id if school else tutor.municipality_id
    return await local_today(session, settings, municipality_id)


@dataclass(frozen=True)
class DraftSummary:
    """What the draft's ids stand for, for the tutor to check before saving."""

    draft: Draft
    school: School | None
    teacher_names: list[str]


async def draft_summary(session: AsyncSession, draft: Draft) -> DraftSummary:
    school = await _stored_school_of_draft(session, draft)
    people = await ConsultationsRepo(session).people(draft.teacher_ids)
    return DraftSummary(
        draft=draft,
        school=school,
        teacher_names=[people[i].full_name or "—" for i in draft.teacher_ids if i in people],
    )


async def save(
    session: AsyncSession, settings: Settings, tutor: Person, draft: Draft
) -> Consultation:
    """Every answer is checked again: the draft may be days old and assignments may change."""
    if (
        draft.school_id is None
        or draft.held_on_date is None
        or draft.format is None
        or draft.block is None
        or draft.topic is None
        or draft.duration is None
    ):
        raise DomainError("consultations.draft_incomplete")
    school = await _school_of_draft(session, tutor, draft)
    if not draft.whole_school:
        if not draft.teacher_ids:
            raise DomainError("consultations.no_teachers_chosen")
        allowed = await _allowed_teacher_ids(session, tutor, draft)
        if not set(draft.teacher_ids) <= allowed:
            raise DomainError("consultations.teacher_not_yours")
    today = await local_today(session, settings, school.municipality_id)
    consultation = Consultation(
        tutor_id=tutor.id,
        school_id=school.id,
        municipality_id=school.municipality_id,
        held_on=check_held_on(draft.held_on_date, today),
        format=parse_format(draft.format),
        block=parse_block(draft.block),
        topic=clean_topic(draft.topic),
        duration_minutes=check_duration(draft.duration),
        outcome=clean_outcome(draft.outcome) if draft.outcome else None,
        whole_school=draft.whole_school,
        thread_id=draft.thread_id,
        created_at=datetime.now(UTC),
    )
    teacher_ids = [] if draft.whole_school else draft.teacher_ids
    return await ConsultationsRepo(session).add(consultation, teacher_ids)


# --- the tutor's own entries --------------------------------------------------------------


async def own_changeable(
    session: AsyncSession, tutor: Person, consultation_id: int, now: datetime | None = None
) -> Consultation:
    """The tutor's own entry, recorded less than `EDIT_WINDOW` ago."""
    consultation = await ConsultationsRepo(session).get(consultation_id)
    if consultation is None or consultation.tutor_id != tutor.id:
        raise DomainError("consultations.not_found")
    if (now or datetime.now(UTC)) - consultation.created_at > EDIT_WINDOW:
        raise DomainError("consultations.too_old_to_change", days=EDIT_WINDOW.days)
    return consultation


def editable_field(name: str) -> str:
    """A field the tutor may change in a recorded entry (a forged or stale button is not)."""
    if name not in EDITABLE_FIELDS:
        raise DomainError("consultations.stale_step")
    return name


async def change(
    session: AsyncSession,
    settings: Settings,
    tutor: Person,
    consultation_id: int,
    field_name: str,
    raw: str,
) -> Consultation:
    consultation = await own_changeable(session, tutor, consultation_id)
    if field_name == "date":
        today = await local_today(session, settings, consultation.municipality_id)
        consultation.held_on = parse_held_on(raw, today)
    elif field_name == "duration":
        consultation.duration_minutes = parse_duration(raw)
    elif field_name == "topic":
        consultation.topic = clean_topic(raw)
    elif field_name == "outcome":
        consultation.outcome = clean_outcome(raw)
    else:
        raise DomainError("consultations.stale_step")
    await session.flush()
    return consultation


async def delete(session: AsyncSession, tutor: Person, consultation_id: int) -> None:
    consultation = await own_changeable(session, tutor, consultation_id)
    await ConsultationsRepo(session).remove(consultation)


# --- reading the log ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationView:
    consultation: Consultation
    school: School | None
    tutor: Person | None
    teachers: list[Person]

    @property
    def teacher_names(self) -> list[str]:
        return [t.full_name or "—" for t in self.teachers]


async def views_of(
    session: AsyncSession, consultations: Sequence[Consultation], *, known: Sequence[Person] = ()
) -> list[ConsultationView]:
    """Consultations with their school, tutor and teachers; `known` people (the tutor who
    asks for their own) are not read again."""
    repo = ConsultationsRepo(session)
    teachers = await repo.teachers_of([c.id for c in consultations])
    people = {p.id: p for p in known}
    missing = {c.tutor_id for c in consultations if c.tutor_id is not None} - people.keys()
    people |= await repo.people(list(missing))
    schools = await repo.schools(list({c.school_id for c in consultations}))
    return [
        ConsultationView(
            consultation=c,
            school=schools.get(c.school_id),
            tutor=people.get(c.tutor_id) if c.tutor_id is not None else None,
            teachers=teachers[c.id],
        )
        for c in consultations
    ]


async def entry_view(
    session: AsyncSession, consultation_id: int, *, known: Sequence[Person] = ()
) -> ConsultationView:
    consultation = await ConsultationsRepo(session).get(consultation_id)
    if consultation is None:
        raise DomainError("consultations.not_found")
    (view,) = await views_of(session, [consultation], known=known)
    return view


async def tutor_month(
    session: AsyncSession, settings: Settings, tutor: Person
) -> tuple[list[ConsultationView], date]:
    """The tutor's consultations held this calendar month (their municipality's time)."""
    today = await local_today(session, settings, tutor.municipality_id)
    found = await ConsultationsRepo(session).of_tutor(
        tutor.id, today.replace(day=1), today, TUTOR_MONTH_LIMIT
    )
    return await views_of(session, found, known=[tutor]), today


async def teacher_consultations(session: AsyncSession, teacher: Person) -> list[ConsultationView]:
    found = await ConsultationsRepo(session).with_teacher(
        teacher.id, teacher.school_id, TEACHER_LIST_LIMIT
    )
    return await views_of(session, found)
