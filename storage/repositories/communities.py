"""Network communities (сетевые сообщества) and who is in them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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

    async def add_member(self, community_id: int, person_id: int) -> None:
        self.session.add(CommunityMembership(community_id=community_id, person_id=person_id))
        await self.session.flush()

    async def remove_member(self, community_id: int, person_id: int) -> None:
        await self.session.execute(
            delete(CommunityMembership).where(
                CommunityMembership.community_id == community_id,
                CommunityMembership.person_id == person_id,
            )
        )

    async def member_ids_of(self, person_id: int) -> set[int]:
        """Ids of the communities the person is in."""
        return set(
            (
                await self.session.scalars(
                    select(CommunityMembership.community_id).where(
                        CommunityMembership.person_id == person_id
                    )
                )
            ).all()
        )

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
