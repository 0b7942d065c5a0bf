"""`nastavnik import-roster FILE --municipality NAME [--apply]`: the same import as the chat's,
for a first load of a whole region or for files too large for Telegram."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import DomainError
from bot.services.roster import RosterReport, apply_plan, plain, plan_import, read_file
from bot.texts import LOCALES_DIR, Templates, Texts, t
from config.settings import Settings
from storage.repositories.places import PlacesRepo


def render_report(report: RosterReport, filename: str, *, applied: bool) -> str:
    locale = Texts.get_current(no_error=False).current_locale
    text = Templates(LOCALES_DIR, [locale]).render(
        "roster_report.txt",
        locale,
        report=report,
        filename=filename,
        applied=applied,
        problems=[Markup(problem.text()) for problem in report.problems],
    )
    return plain(text)


def _read(file: Path) -> bytes | None:
    try:
        return file.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return None


async def import_roster_file(
    session_pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    path: str,
    *,
    municipality: str,
    apply: bool,
) -> int:
    """0 when the file was checked (and applied with `apply`), 1 when the file is unusable,
    2 when the municipality is unknown."""
    file = Path(path)
    content = await asyncio.to_thread(_read, file)
    if content is None:
        print(plain(t("roster.cli.no_file", path=path)), file=sys.stderr)
        return 1
    try:
        parsed = read_file(content, file.name, max_upload_bytes=settings.roster_max_bytes)
    except DomainError as error:
        print(plain(t(error.key, **error.params)), file=sys.stderr)
        return 1
    async with session_pool() as session:
        places = PlacesRepo(session)
        region = await places.region_by_name(settings.region_name)
        found = (
            await places.municipality_by_folded_name(region.id, municipality) if region else None
        )
        if found is None:
            print(
                plain(
                    t("roster.cli.no_municipality", name=municipality, region=settings.region_name)
                ),
                file=sys.stderr,
            )
            return 2
        plan = await plan_import(session, found.id, found.name, parsed)
        if plan.report.file_problem is not None:
            print(render_report(plan.report, file.name, applied=False), file=sys.stderr)
            return 1
        if apply:
            await apply_plan(session, plan)
            await session.commit()
        print(render_report(plan.report, file.name, applied=apply))
        print(plain(t("roster.cli.applied" if apply else "roster.cli.dry_run_hint")))
    return 0
