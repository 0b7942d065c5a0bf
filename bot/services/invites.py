"""Invite deep links: single-use, expiring, high-entropy, stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services.scope import coordinated_municipalities
from storage.models import (
    Invite,
    InviteKind,
    JoinRequest,
    JoinRequestStatus,
    Person,
    PersonStatus,
    Role,
    School,
)
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo

# The characters Telegram allows in a /start payload. The length stays well under its 64: the
# consent button carries the code in 64-byte callback data, and the codes issued have 32.
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,48}")
CODE_BYTES = 24  # 32 characters of token_urlsafe: 192 bits, far beyond guessing


def is_well_formed(code: str) -> bool:
    return CODE_PATTERN.fullmatch(code) is not None


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


@dataclass(frozen=True)
class NewInvite:
    code: str
    invite: Invite


async def create_invite(
    session: AsyncSession,
    *,
    created_by: Person | None,
    role: Role,
    municipality_id: int,
    ttl: timedelta,
    person: Person | None = None,
    school: School | None = None,
) -> NewInvite:
    code = secrets.token_urlsafe(CODE_BYTES)
    invite = Invite(
        code_hash=hash_code(code),
        kind=InviteKind.PERSON if person is not None else InviteKind.SCHOOL,
        role=role,
        person_id=person.id if person else None,
        municipality_id=municipality_id,
        school_id=school.id if school else (person.school_id if person else None),
        created_by_id=created_by.id if created_by else None,
        expires_at=datetime.now(UTC) + ttl,
    )
    session.add(invite)
    await session.flush()
    return NewInvite(code=code, invite=invite)


async def redeem(
    session: AsyncSession,
    code: str,
    *,
    telegram_id: int,
    locale: str,
    guest: Person | None,
) -> Person:
    """Use the invite: the person behind it (or a new one for a school invite) becomes this
    Telegram account, with consent recorded now. Raises DomainError when it cannot be used."""
    if not is_well_formed(code):
        raise DomainError("invite.malformed")
    invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None:
        raise DomainError("invite.unknown")
    now = datetime.now(UTC)
    if invite.used_at is not None:
        raise DomainError("invite.used")
    if invite.expires_at <= now:
        raise DomainError("invite.expired")
    people = PeopleRepo(session)
    target = await people.get(invite.person_id) if invite.person_id else None
    if target is not None and target.telegram_id not in (None, telegram_id):
        raise DomainError("invite.used")
    # Someone already in the program under another record: linking this account to a second
    # person would break the one-account-one-person rule (and the unique telegram_id).
    holder = await people.by_telegram_id(telegram_id)
    if holder is not None and holder is not guest and (target is None or holder.id != target.id):
        raise DomainError("invites.already_joined")

    # Claim atomically: of two simultaneous uses only one updates the row.
    claimed = await session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None)).values(used_at=now)
    )
    if not getattr(claimed, "rowcount", 0):
        raise DomainError("invite.used")

    if target is None:
        target = guest or Person(roles=[], subjects=[])
        target.municipality_id = invite.municipality_id
        target.school_id = invite.school_id
        if guest is None:
            await people.add(target)
    elif guest is not None and guest.id != target.id:
        await session.delete(guest)
        await session.flush()
    target.telegram_id = telegram_id
    target.consent_at = target.consent_at or now
    target.locale = target.locale or locale
    await people.grant(
        target,
        invite.role,
        municipality_id=invite.municipality_id if invite.role == Role.COORDINATOR else None,
    )
    invite.used_by_id = target.id
    # Joined by the invite: a request to join they sent earlier has nothing left to decide.
    await session.execute(
        delete(JoinRequest).where(
            JoinRequest.person_id == target.id, JoinRequest.status == JoinRequestStatus.PENDING
        )
    )
    await session.flush()
    return target


# --- coordinators hand out invites -----------------------------------------------------------

SEARCH_MIN, SEARCH_MAX = 2, 100
SEARCH_LIMIT = 10
# Roles a coordinator may invite someone into; coordinators are invited by the region's admin.
INVITABLE_ROLES = (Role.TEACHER, Role.TUTOR, Role.SCHOOL_LEADER)


@dataclass(frozen=True)
class SearchResult:
    people: Sequence[Person]
    total: int


def clean_search(raw: str) -> str:
    text = " ".join(raw.split())
    if not SEARCH_MIN <= len(text) <= SEARCH_MAX:
        raise DomainError("invites.search_invalid", min=SEARCH_MIN, max=SEARCH_MAX)
    return text


async def search_unjoined(session: AsyncSession, coordinator: Person, raw: str) -> SearchResult:
    """People of the coordinator's municipalities who have not joined yet, by part of a name."""
    people, total = await PeopleRepo(session).unjoined_matching(
        coordinated_municipalities(coordinator), clean_search(raw), limit=SEARCH_LIMIT
    )
    return SearchResult(people=people, total=total)


async def invitable_person(session: AsyncSession, coordinator: Person, person_id: int) -> Person:
    """The roster person behind a button, if this coordinator may still invite them."""
    person = await PeopleRepo(session).get(person_id)
    if person is None or person.municipality_id not in coordinated_municipalities(coordinator):
        raise DomainError("invites.person_gone")
    if person.status == PersonStatus.FORGOTTEN:
        raise DomainError("invites.person_gone")
    if person.telegram_id is not None:
        raise DomainError("invites.person_joined", name=person.full_name or "")
    return person


def roles_to_offer(person: Person) -> list[Role]:
    """The person's own roster roles a coordinator may invite into; all of them if none."""
    own = [role for role in INVITABLE_ROLES if role in person.role_set]
    return own or list(INVITABLE_ROLES)


def invitable_role(raw: str) -> Role:
    try:
        role = Role(raw)
    except ValueError:
        raise DomainError("invites.role_invalid") from None
    if role not in INVITABLE_ROLES:
        raise DomainError("invites.role_invalid")
    return role


async def create_person_invite(
    session: AsyncSession, coordinator: Person, person_id: int, role: Role, ttl: timedelta
) -> tuple[Person, NewInvite]:
    person = await invitable_person(session, coordinator, person_id)
    if role not in roles_to_offer(person):
        raise DomainError("invites.role_invalid")
    assert person.municipality_id is not None  # invitable_person checked it is theirs
    # A new link replaces any earlier one still lying in a chat somewhere.
    await session.execute(
        update(Invite)
        .where(
            Invite.person_id == person.id,
            Invite.used_at.is_(None),
            Invite.expires_at > datetime.now(UTC),
        )
        .values(expires_at=datetime.now(UTC))
    )
    new = await create_invite(
        session,
        created_by=coordinator,
        role=role,
        municipality_id=person.municipality_id,
        ttl=ttl,
        person=person,
    )
    return person, new


async def coordinator_schools(session: AsyncSession, coordinator: Person) -> Sequence[School]:
    return await PlacesRepo(session).schools_of(coordinated_municipalities(coordinator))


async def coordinator_school(session: AsyncSession, coordinator: Person, school_id: int) -> School:
    school = await PlacesRepo(session).school(school_id)
    if school is None or school.municipality_id not in coordinated_municipalities(coordinator):
        raise DomainError("invites.school_gone")
    return school


async def create_school_invite(
    session: AsyncSession, coordinator: Person, school_id: int, role: Role, ttl: timedelta
) -> tuple[School, NewInvite]:
    """A single-use link that joins a new person to this school in this role."""
    school = await coordinator_school(session, coordinator, school_id)
    if role not in INVITABLE_ROLES:
        raise DomainError("invites.role_invalid")
    new = await create_invite(
        session,
        created_by=coordinator,
        role=role,
        municipality_id=school.municipality_id,
        ttl=ttl,
        school=school,
    )
    return school, new
