from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Municipality, Region, School


class PlacesRepo:
    """Regions, municipalities and schools."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def region_by_name(self, name: str) -> Region | None:
        return await self.session.scalar(select(Region).where(Region.name == name))

    async def ensure_region(self, name: str) -> Region:
        region = await self.region_by_name(name)
        if region is None:
            region = Region(name=name)
            self.session.add(region)
            await self.session.flush()
        return region

    async def municipality(self, municipality_id: int) -> Municipality | None:
        return await self.session.get(Municipality, municipality_id)

    async def municipalities(self, region_id: int | None = None) -> Sequence[Municipality]:
        query = select(Municipality).order_by(Municipality.name)
        if region_id is not None:
            query = query.where(Municipality.region_id == region_id)
        return (await self.session.scalars(query)).all()

    async def municipality_ids_in(self, region_ids: Sequence[int]) -> Sequence[int]:
        if not region_ids:
            return []
        return (
            await self.session.scalars(
                select(Municipality.id).where(Municipality.region_id.in_(region_ids))
            )
        ).all()

    async def municipalities_with_ids(
        self, municipality_ids: Sequence[int]
    ) -> Sequence[Municipality]:
        if not municipality_ids:
            return []
        return (
            await self.session.scalars(
                select(Municipality)
                .where(Municipality.id.in_(municipality_ids))
                .order_by(Municipality.name)
            )
        ).all()

    async def school(self, school_id: int) -> School | None:
        return await self.session.get(School, school_id)

    async def schools(self, municipality_id: int) -> Sequence[School]:
        return (
            await self.session.scalars(
                select(School)
                .where(School.municipality_id == municipality_id)
                .order_by(School.name)
            )
        ).all()

    async def add(self, item: Region | Municipality | School) -> None:
        self.session.add(item)
        await self.session.flush()

    async def municipality_by_folded_name(self, region_id: int, name: str) -> Municipality | None:
        """Case-insensitive for any alphabet (SQLite's lower() folds ASCII only)."""
        folded = " ".join(name.split()).casefold()
        for municipality in await self.municipalities(region_id):
            if " ".join(municipality.name.split()).casefold() == folded:
                return municipality
        return None

    async def school_by_folded_name(self, municipality_id: int, name: str) -> School | None:
        folded = " ".join(name.split()).casefold()
        for school in await self.schools(municipality_id):
            if school.name.casefold() == folded:
                return school
        return None

    async def schools_of(self, municipality_ids: Sequence[int]) -> Sequence[School]:
        if not municipality_ids:
            return []
        return (
            await self.session.scalars(
                select(School)
                .where(School.municipality_id.in_(municipality_ids))
                .order_by(School.name)
            )
        ).all()

    async def school_counts(self, municipality_ids: Sequence[int]) -> dict[int, int]:
        if not municipality_ids:
            return {}
        rows = await self.session.execute(
            select(School.municipality_id, func.count())
            .where(School.municipality_id.in_(municipality_ids))
            .group_by(School.municipality_id)
        )
        return {municipality_id: int(count) for municipality_id, count in rows}
