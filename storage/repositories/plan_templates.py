"""A region's plan-graph templates (uploaded YAML) and the municipality a template is applied to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Municipality, PlanTemplate


class PlanTemplatesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def municipality(self, municipality_id: int) -> Municipality | None:
        return await self.session.get(Municipality, municipality_id)

    async def of_region(self, region_id: int) -> Sequence[PlanTemplate]:
        query = (
            select(PlanTemplate)
            .where(PlanTemplate.region_id == region_id)
            .order_by(PlanTemplate.code)
        )
        return (await self.session.scalars(query)).all()

    async def by_code(self, region_id: int, code: str) -> PlanTemplate | None:
        return await self.session.scalar(
            select(PlanTemplate).where(
                PlanTemplate.region_id == region_id, PlanTemplate.code == code
            )
        )

    async def get(self, template_id: int) -> PlanTemplate | None:
        return await self.session.get(PlanTemplate, template_id)

    async def save(
        self, region_id: int, code: str, title: str, body: str, author_id: int
    ) -> PlanTemplate:
        """Adds the region's template of this code, or replaces its text."""
        row = await self.by_code(region_id, code)
        if row is None:
            row = PlanTemplate(region_id=region_id, code=code)
            self.session.add(row)
        row.title, row.body, row.updated_by_id = title, body, author_id
        row.updated_at = datetime.now(UTC)
        await self.session.flush()
        return row
