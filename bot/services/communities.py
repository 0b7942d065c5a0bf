"""Network communities (сетевые сообщества) of a municipality: «Инфомир», «Матрица»…

Coordinators create them and switch them on and off, only in the municipalities they run.
Teachers join and leave the active communities of their own municipality.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services.scope import coordinated_municipalities
from storage.models import Community, Person
from storage.repositories.communities import CommunitiesRepo

NAME_MIN, NAME_MAX = 2, 120
DESCRIPTION_MAX = 500
# Text that looks like HTML is refused rather than escaped: a name is shown in many places.
_FORBIDDEN = "<>"


@dataclass(frozen=True)
class CommunityView:
    community: Community
    members: int
    is_member: bool = False


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise DomainError("communities.name_empty", min=NAME_MIN, max=NAME_MAX)
    if len(name) < NAME_MIN:
        raise DomainError("communities.name_too_short", min=NAME_MIN)
    if len(name) > NAME_MAX:
        raise DomainError("communities.name_too_long", max=NAME_MAX, length=len(name))
    if any(ch in _FORBIDDEN for ch in name):
        raise DomainError("communities.name_markup")
    return name


def clean_description(raw: str) -> str:
    description = raw.strip()
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(
            "communities.description_too_long", max=DESCRIPTION_MAX, length=len(description)
        )
    if any(ch in _FORBIDDEN for ch in description):
        raise DomainError("communities.description_markup")
    return description


def require_coordinator_of(coordinator: Person, municipality_id: int) -> None:
    if municipality_id not in coordinated_municipalities(coordinator):
        raise DomainError("communities.not_yours")


async def check_name_free(session: AsyncSession, municipality_id: int, name: str) -> None:
    if await CommunitiesRepo(session).by_name(municipality_id, name) is not None:
        raise DomainError("communities.name_taken", name=name)


async def add_community(
    session: AsyncSession,
    coordinator: Person,
    *,
    municipality_id: int,
    name: str,
    description: str | None,
) -> Community:
    require_coordinator_of(coordinator, municipality_id)
    name = clean_name(name)
    await check_name_free(session, municipality_id, name)
    return await CommunitiesRepo(session).add(
        Community(
            municipality_id=municipality_id,
            name=name,
            description=(clean_description(description) or None) if description else None,
            is_active=True,
        )
    )


async def set_active(
    session: AsyncSession, coordinator: Person, community_id: int, *, active: bool
) -> Community:
    community = await CommunitiesRepo(session).get(community_id)
    if community is None or community.municipality_id not in coordinated_municipalities(
        coordinator
    ):
        raise DomainError("communities.not_found")
    community.is_active = active
    await session.flush()
    return community


async def managed_by(session: AsyncSession, coordinator: Person) -> list[CommunityView]:
    rows = await CommunitiesRepo(session).with_member_counts(
        coordinated_municipalities(coordinator), active_only=False
    )
    return [CommunityView(community, members) for community, members in rows]


async def open_to(session: AsyncSession, teacher: Person) -> list[CommunityView]:
    """The active communities of the teacher's municipality, marking those they are in."""
    if teacher.municipality_id is None:
        return []
    rows = await CommunitiesRepo(session).active_with_membership(
        teacher.municipality_id, teacher.id
    )
    return [CommunityView(community, members, mine) for community, members, mine in rows]


async def _joinable(session: AsyncSession, teacher: Person, community_id: int) -> Community:
    community = await CommunitiesRepo(session).get(community_id)
    if (
        community is None
        or not community.is_active
        or teacher.municipality_id is None
        or community.municipality_id != teacher.municipality_id
    ):
        raise DomainError("communities.not_available")
    return community


async def join(session: AsyncSession, teacher: Person, community_id: int) -> Community:
    community = await _joinable(session, teacher, community_id)
    if not await CommunitiesRepo(session).add_member(community.id, teacher.id):
        raise DomainError("communities.already_member", name=community.name)
    return community


async def leave(session: AsyncSession, teacher: Person, community_id: int) -> Community:
    """Leaving is allowed even from a switched-off community (no one is kept against their will),
    but only from a community of one's own municipality that one is in."""
    repo = CommunitiesRepo(session)
    community = await repo.get(community_id)
    if (
        community is None
        or community.municipality_id != teacher.municipality_id
        or not await repo.remove_member(community.id, teacher.id)
    ):
        raise DomainError("communities.not_member")
    return community
