"""PLACEHOLDER in the `program` branch only: the KPI report is written by another helper in
parallel; at merge this file is replaced by theirs (take theirs). It keeps the signature the
weekly digest calls, and reports no lines, so the digest's other sections work meanwhile."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import program_years
from bot.services.kpi_lines import KpiReport
from storage.models import YearKind


async def kpi_report(
    session: AsyncSession,
    *,
    region_id: int,
    municipality_id: int | None,
    year: int,
    today: date,
) -> KpiReport:
    del session, today
    starts_on, ends_on = program_years.bounds(YearKind.CALENDAR, year)
    return KpiReport(year, starts_on, ends_on, municipality_id, region_id, place="")
