"""`nastavnik kpi --municipality NAME | --region NAME --year YYYY [--format json|xlsx]
[--output FILE]`: the KPI report for scripts and for files to send on: JSON to stdout by
default, or the same .xlsx the bot sends (the region's with «по муниципалитетам»)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import DomainError
from bot.services import kpi, kpi_export
from bot.services.kpi_lines import KpiReport
from bot.texts import Texts, plain, t
from config.settings import Settings
from storage.models import Municipality, Region
from storage.repositories.places import PlacesRepo

FORMATS = ("json", "xlsx")


def as_json(report: KpiReport, locale: str) -> dict[str, Any]:
    return {
        "place": report.place,
        "year": report.year,
        "starts_on": report.starts_on.isoformat(),
        "ends_on": report.ends_on.isoformat(),
        "region_id": report.region_id,
        "municipality_id": report.municipality_id,
        "lines": [
            {
                "id": line.id,
                "program": line.program,
                "title": line.title_in(locale),
                "comparison": line.comparison,
                "unit": line.unit,
                "target": line.target,
                "fact": line.fact,
                "percent": line.percent,
                "status": line.status,
                "numerator": line.numerator,
                "denominator": line.denominator,
                "source": line.source,
            }
            for line in report.lines
        ],
    }


async def _place(
    session: AsyncSession, settings: Settings, municipality: str | None, region: str | None
) -> tuple[Region | None, Municipality | None]:
    places = PlacesRepo(session)
    found_region = await places.region_by_name(region or settings.region_name)
    if found_region is None or municipality is None:
        return found_region, None
    return found_region, await places.municipality_by_folded_name(found_region.id, municipality)


def _write(path: Path, content: bytes) -> bool:
    try:
        path.write_bytes(content)
    except OSError:
        return False
    return True


async def kpi_command(
    session_pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    municipality: str | None,
    region: str | None,
    year: int,
    fmt: str = "json",
    output: str | None = None,
    today: date | None = None,
) -> int:
    """0 when the report was written; 1 for a bad year or an unwritable file; 2 for an unknown
    place."""
    day = today or kpi.today()
    locale = Texts.get_current(no_error=False).current_locale
    async with session_pool() as session:
        found_region, found = await _place(session, settings, municipality, region)
        if found_region is None:
            name = region or settings.region_name
            print(plain(t("cli.kpi.no_region", name=name)), file=sys.stderr)
            return 2
        if municipality is not None and found is None:
            print(
                plain(t("cli.kpi.no_municipality", name=municipality, region=found_region.name)),
                file=sys.stderr,
            )
            return 2
        try:
            if found is None:
                both = await kpi.region_report(
                    session, region_id=found_region.id, year=year, today=day
                )
                report, rows = both.region, both.municipalities
            else:
                report = await kpi.kpi_report(
                    session,
                    region_id=found_region.id,
                    municipality_id=found.id,
                    year=year,
                    today=day,
                )
                rows = None
        except DomainError as error:
            print(plain(t(error.key, **error.params)), file=sys.stderr)
            return 1
    if fmt == "xlsx":
        content = await asyncio.to_thread(kpi_export.workbook, report, locale, rows)
        path = Path(output or kpi_export.filename(report))
    else:
        text = json.dumps(as_json(report, locale), ensure_ascii=False, indent=2)
        if output is None:
            print(text)
            return 0
        content, path = (text + "\n").encode("utf-8"), Path(output)
    if not await asyncio.to_thread(_write, path, content):
        print(plain(t("cli.kpi.not_written", path=str(path))), file=sys.stderr)
        return 1
    print(plain(t("cli.kpi.written", path=str(path), place=report.place, year=report.year)))
    return 0
