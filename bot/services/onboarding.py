"""Joining: consent first, then an invite, the person's own phone, or a request to join."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services.phones import normalize_phone
from bot.services.scope import coordinated_municipalities
from config.settings import Settings
from storage.models import (
    JoinRequest,
    JoinRequestStatus,
    Municipality,
    Person,
    PersonStatus,
    PersonSubject,
    Role,
    School,
)
from storage.repositories.joining import JoinRequestsRepo
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo

NAME_MIN, NAME_MAX = 5, 200
# What a spreadsheet takes for the start of a formula; a name never starts so.
NAME_FORMULA_STARTS = ("=", "+", "-", "@")
SUBJECT_MAX = 80


async def record_consent(
    session: AsyncSession, person: Person | None, *, telegram_id: int, locale: str
) -> Person:
    """The consent moment: only now is anything about this Telegram account stored."""
    if person is None:
        person = await PeopleRepo(session).add(
            Person(
                telegram_id=telegram_id,
                locale=locale,
                consent_at=datetime.now(UTC),
                roles=[],
                subjects=[],
            )
        )
    elif person.consent_at is None:
        person.consent_at = datetime.now(UTC)
    return person


async def grant_bootstrap_admin(session: AsyncSession, person: Person, settings: Settings) -> bool:
    """Telegram ids in BOOTSTRAP_ADMIN_IDS become admins of the deployment's region."""
    if person.telegram_id not in settings.bootstrap_admin_ids:
        return False
    region = await PlacesRepo(session).ensure_region(settings.region_name)
    await PeopleRepo(session).grant(person, Role.ADMIN, region_id=region.id)
    return True


async def link_by_contact(
    session: AsyncSession, guest: Person, *, phone: str, sender_id: int, contact_user_id: int | None
) -> Person:
    """Match the sender's own phone to the roster and make that roster entry this account."""
    if contact_user_id != sender_id:
        raise DomainError("join.contact_not_yours")
    normalized = normalize_phone(phone)
    if normalized is None:
        raise DomainError("join.contact_invalid")
    matches = await PeopleRepo(session).unjoined_by_phone(normalized)
    if not matches:
        raise DomainError("join.contact_not_found")
    if len(matches) > 1:
        raise DomainError("join.contact_ambiguous")
    roster_person = matches[0]
    telegram_id, locale, consent_at = guest.telegram_id, guest.locale, guest.consent_at
    if guest.id != roster_person.id:
        await session.delete(guest)
        await session.flush()
    roster_person.telegram_id = telegram_id
    roster_person.locale = roster_person.locale or locale
    roster_person.consent_at = consent_at or datetime.now(UTC)
    roster_person.status = PersonStatus.ACTIVE
    await session.flush()
    return roster_person


async def municipalities_to_join(session: AsyncSession) -> Sequence[Municipality]:
    """Every municipality, by name: a request to join starts by picking one."""
    return await PlacesRepo(session).municipalities()


async def schools_to_join(session: AsyncSession, municipality_id: int) -> Sequence[School]:
    return await PlacesRepo(session).schools(municipality_id)


async def picked_school(
    session: AsyncSession, school_id: int, municipality_id: int | None
) -> School | None:
    """The school picked for the request, if it still exists in the municipality picked before
    it (a button of an older list may name another)."""
    school = await PlacesRepo(session).school(school_id)
    if school is None or school.municipality_id != municipality_id:
        return None
    return school


async def school_of(session: AsyncSession, request: JoinRequest) -> School | None:
    return await PlacesRepo(session).school(request.school_id)


def clean_full_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not (NAME_MIN <= len(name) <= NAME_MAX) or len(name.split()) < 2:
        raise DomainError("join.name_invalid", min=NAME_MIN, max=NAME_MAX)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        # Invisible characters: they break the spreadsheets the name goes into.
        raise DomainError("join.name_control_characters")
    if name.startswith(NAME_FORMULA_STARTS):
        # A spreadsheet reads such a name as a formula.
        raise DomainError("join.name_formula_start", signs=" ".join(NAME_FORMULA_STARTS))
    if any(ch.isdigit() or ch in "<>@/\\{}[]" for ch in name):
        raise DomainError("join.name_invalid", min=NAME_MIN, max=NAME_MAX)
    return name


def clean_subject(raw: str) -> str:
    subject = " ".join(raw.split())
    if not subject or len(subject) > SUBJECT_MAX or any(ch in "<>{}[]" for ch in subject):
        raise DomainError("join.subject_invalid", max=SUBJECT_MAX)
    return subject[0].upper() + subject[1:]


async def submit_join_request(
    session: AsyncSession,
    guest: Person,
    *,
    school_id: int,
    full_name: str,
    subject: str | None,
) -> JoinRequest:
    if guest.is_registered:
        # Approving it would move someone already working in the program to another school.
        raise DomainError("join.already_registered")
    school = await PlacesRepo(session).school(school_id)
    if school is None:
        raise DomainError("join.school_gone")
    pending = await session.scalar(
        select(JoinRequest).where(
            JoinRequest.person_id == guest.id, JoinRequest.status == JoinRequestStatus.PENDING
        )
    )
    if pending is not None:
        raise DomainError("join.already_pending")
    request = JoinRequest(
        person_id=guest.id,
        municipality_id=school.municipality_id,
        school_id=school.id,
        full_name=clean_full_name(full_name),
        subject=clean_subject(subject) if subject else None,
    )
    session.add(request)
    await session.flush()
    return request


async def pending_requests(
    session: AsyncSession, municipality_ids: Sequence[int]
) -> Sequence[JoinRequest]:
    return (
        await session.scalars(
            select(JoinRequest)
            .where(
                JoinRequest.municipality_id.in_(municipality_ids),
                JoinRequest.status == JoinRequestStatus.PENDING,
            )
            .order_by(JoinRequest.created_at)
        )
    ).all()


async def decide_join_request(
    session: AsyncSession, coordinator: Person, request_id: int, *, approve: bool
) -> tuple[JoinRequest, Person]:
    """Approve or decline; only a coordinator of the request's municipality may, and only once:
    of two coordinators deciding at once, the later one is told how the request was decided
    and nothing of theirs is written."""
    request = await session.get(JoinRequest, request_id)
    if request is None or request.municipality_id not in coordinated_municipalities(coordinator):
        raise DomainError("join.request_not_found")
    if request.status != JoinRequestStatus.PENDING:
        raise _already_decided(request)
    applicant = await PeopleRepo(session).get(request.person_id)
    if applicant is None:
        raise DomainError("join.request_not_found")
    # The decision is written first and only if the request is still pending; the approval's
    # changes to the applicant follow only for the coordinator whose decision was recorded.
    status = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DECLINED
    if not await JoinRequestsRepo(session).decide(
        request, status, by_id=coordinator.id, at=datetime.now(UTC)
    ):
        raise _already_decided(request)
    if approve:
        applicant.full_name = request.full_name
        applicant.municipality_id = request.municipality_id
        applicant.school_id = request.school_id
        if request.subject and request.subject not in applicant.subject_names:
            applicant.subjects.append(PersonSubject(subject=request.subject))
        await PeopleRepo(session).grant(applicant, Role.TEACHER)
    await session.flush()
    return request, applicant


def _already_decided(request: JoinRequest) -> DomainError:
    if request.status == JoinRequestStatus.APPROVED:
        return DomainError("join.request_already_approved")
    return DomainError("join.request_already_declined")
