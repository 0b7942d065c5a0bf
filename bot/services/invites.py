"""Invite deep links: single-use, expiring, high-entropy, stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from storage.models import Invite, InviteKind, Person, Role, School
from storage.repositories.people import PeopleRepo

# What Telegram allows in a /start payload.
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
    await session.flush()
    return target
