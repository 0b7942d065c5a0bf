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

    async def municipality_by_name(self, region_id: int, name: str) -> Municipality | None:
        return await self.session.scalar(
            select(Municipality).where(
                Municipality.region_id == region_id,
                func.lower(Municipality.name) == name.strip().lower(),
            )
        )

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
