"""Network communities (сетевые сообщества) and who is in them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import Community, CommunityMembership


class CommunitiesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, community_id: int) -> Community | None:
        return await self.session.get(Community, community_id)

    async def with_member_counts(
        self, municipality_ids: Sequence[int], *, active_only: bool
    ) -> Sequence[tuple[Community, int]]:
        """Communities of these municipalities, each with its number of members."""
        if not municipality_ids:
            return []
        members = (
            select(func.count())
            .select_from(CommunityMembership)
            .where(CommunityMembership.community_id == Community.id)
            .scalar_subquery()
        )
        query = (
            select(Community, members)
            .where(Community.municipality_id.in_(municipality_ids))
            .order_by(Community.municipality_id, Community.name)
        )
        if active_only:
            query = query.where(Community.is_active.is_(True))
        return [(community, int(count)) for community, count in await self.session.execute(query)]

    async def by_name(self, municipality_id: int, name: str) -> Community | None:
        """Case-insensitive, so «Инфомир» and «инфомир» are the same community.

        Compared in Python: SQLite's lower() folds only ASCII letters, not Cyrillic; a
        municipality has a handful of communities, so reading their names is cheap.
        """
        wanted = name.casefold()
        candidates = await self.session.scalars(
            select(Community).where(Community.municipality_id == municipality_id)
        )
        return next((c for c in candidates if c.name.casefold() == wanted), None)

    async def add(self, community: Community) -> Community:
        self.session.add(community)
        await self.session.flush()
        return community

    async def membership(self, community_id: int, person_id: int) -> CommunityMembership | None:
        return await self.session.get(CommunityMembership, (community_id, person_id))

    async def add_member(self, community_id: int, person_id: int) -> bool:
        """False if they were a member already (one statement, no look first)."""
        added = await self.session.execute(
            insert_ignoring_conflicts(self.session, CommunityMembership).values(
                community_id=community_id, person_id=person_id
            )
        )
        return bool(getattr(added, "rowcount", 0))

    async def remove_member(self, community_id: int, person_id: int) -> bool:
        """False if they were not a member."""
        removed = await self.session.execute(
            delete(CommunityMembership).where(
                CommunityMembership.community_id == community_id,
                CommunityMembership.person_id == person_id,
            )
        )
        return bool(getattr(removed, "rowcount", 0))

    async def active_with_membership(
        self, municipality_id: int, person_id: int
    ) -> Sequence[tuple[Community, int, bool]]:
        """The municipality's active communities: members counted, the person's own marked."""
        members = (
            select(func.count())
            .select_from(CommunityMembership)
            .where(CommunityMembership.community_id == Community.id)
            .scalar_subquery()
        )
        mine = (
            select(CommunityMembership.community_id)
            .where(
                CommunityMembership.community_id == Community.id,
                CommunityMembership.person_id == person_id,
            )
            .exists()
        )
        rows = await self.session.execute(
            select(Community, members, mine)
            .where(Community.municipality_id == municipality_id, Community.is_active.is_(True))
            .order_by(Community.name)
        )
        return [(community, int(count), bool(own)) for community, count, own in rows]

    async def memberships_of(
        self, person_id: int
    ) -> Sequence[tuple[Community, CommunityMembership]]:
        rows = await self.session.execute(
            select(Community, CommunityMembership)
            .join(CommunityMembership, CommunityMembership.community_id == Community.id)
            .where(CommunityMembership.person_id == person_id)
            .order_by(Community.name)
        )
        return [(community, membership) for community, membership in rows]
