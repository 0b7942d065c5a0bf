"""Roster import: a coordinator's spreadsheet becomes the municipality's people, schools,
roles and tutor assignments.

Always in two steps. The dry run reads the file against what the database already has and
reports what would change and every row that cannot be taken (with its row number and why).
Applying re-reads the same file and writes the valid rows in one transaction; rows with
problems are skipped. Re-importing updates people (matched by phone, else by full name and
school), never duplicates them. Grants and subjects are only ever added by an import.

This module is what the chat, its jobs and the command line call: the chat's steps with an
uploaded file, over the parts that do the work — `roster_parse` (reading the file),
`roster_plan` (the dry run), `roster_apply` (the writes), `roster_report` (what the
coordinator reads) and `roster_xlsx` (the files they get).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import scope
from bot.services.roster_apply import Checkpoint, apply_plan
from bot.services.roster_parse import (
    ParsedRoster,
    RosterFileError,
    has_roster_extension,
    parse_roster,
)
from bot.services.roster_plan import RosterPlan, plan_import
from bot.services.roster_report import Problem, RosterReport
from bot.services.roster_xlsx import plain, problems_xlsx, template_xlsx
from storage.models import Person, RosterUpload
from storage.repositories.places import PlacesRepo
from storage.repositories.roster import RosterRepo

__all__ = [
    "ParsedRoster",
    "Problem",
    "RosterPlan",
    "RosterReport",
    "UnreadableRoster",
    "apply_plan",
    "apply_upload",
    "cancel_upload",
    "check_upload",
    "coordinator_municipality",
    "discard_upload",
    "other_municipalities",
    "own_upload",
    "plain",
    "plan_import",
    "problems_xlsx",
    "read_file",
    "read_upload",
    "receive_upload",
    "retarget_upload",
    "template_xlsx",
]


class UnreadableRoster(DomainError):
    """The file is not a roster at all (broken, not a spreadsheet, no people sheet)."""


def read_file(content: bytes, filename: str, *, max_upload_bytes: int) -> ParsedRoster:
    """The file's rows, or UnreadableRoster saying why the file cannot be read."""
    if not has_roster_extension(filename):
        raise UnreadableRoster("roster.file_wrong_type")
    try:
        return parse_roster(content, filename, max_upload_bytes=max_upload_bytes)
    except RosterFileError as error:
        raise UnreadableRoster(error.key, **error.params) from error


# --- the chat's steps --------------------------------------------------------------------------
def coordinator_municipality(coordinator: Person) -> int:
    municipalities = scope.coordinated_municipalities(coordinator)
    if not municipalities:
        raise DomainError("roster.no_municipality")
    return municipalities[0]


async def _municipality_name(session: AsyncSession, municipality_id: int) -> str:
    municipality = await PlacesRepo(session).municipality(municipality_id)
    if municipality is None:
        raise DomainError("roster.no_municipality")
    return municipality.name


async def receive_upload(
    session: AsyncSession, coordinator: Person, *, filename: str, content: bytes
) -> RosterUpload:
    """Keeps the file for its dry run (a background job) and for "apply"."""
    municipality_id = coordinator_municipality(coordinator)
    if not has_roster_extension(filename):
        raise DomainError("roster.file_wrong_type")
    return await RosterRepo(session).add_upload(
        RosterUpload(
            municipality_id=municipality_id,
            uploaded_by_id=coordinator.id,
            filename=filename[:255],
            content=content,
        )
    )


async def own_upload(session: AsyncSession, coordinator: Person, upload_id: int) -> RosterUpload:
    """The coordinator's upload that is not applied yet; asked again when its job runs, so a
    coordinator who lost the municipality meanwhile is refused there too."""
    upload = await RosterRepo(session).upload(upload_id)
    if upload is None or upload.municipality_id not in scope.coordinated_municipalities(
        coordinator
    ):
        raise DomainError("roster.upload_not_found")
    if upload.applied_at is not None:
        raise DomainError("roster.upload_applied")
    return upload


async def read_upload(upload: RosterUpload, *, max_upload_bytes: int) -> ParsedRoster:
    """The kept file's rows (seconds for a region's .xlsx: off the event loop), or
    UnreadableRoster."""
    return await asyncio.to_thread(
        read_file, upload.content, upload.filename, max_upload_bytes=max_upload_bytes
    )


async def discard_upload(session: AsyncSession, upload_id: int) -> None:
    """A file that cannot be read is not kept: it may hold names and phones."""
    upload = await RosterRepo(session).upload(upload_id)
    if upload is not None:
        await RosterRepo(session).delete_upload(upload)


async def check_upload(
    session: AsyncSession, upload: RosterUpload, parsed: ParsedRoster
) -> RosterReport:
    """The dry run: what applying the file to the upload's municipality would do."""
    name = await _municipality_name(session, upload.municipality_id)
    plan = await plan_import(session, upload.municipality_id, name, parsed)
    return plan.report


async def other_municipalities(
    session: AsyncSession, coordinator: Person, upload: RosterUpload
) -> list[tuple[int, str]]:
    """The coordinator's other municipalities, for a file meant for one of them."""
    places = PlacesRepo(session)
    return [
        (municipality.id, municipality.name)
        for municipality_id in scope.coordinated_municipalities(coordinator)
        if municipality_id != upload.municipality_id
        and (municipality := await places.municipality(municipality_id)) is not None
    ]


async def retarget_upload(
    session: AsyncSession, coordinator: Person, upload_id: int, municipality_id: int
) -> RosterUpload:
    """The same file, to be checked again for another municipality the coordinator runs."""
    if municipality_id not in scope.coordinated_municipalities(coordinator):
        raise DomainError("roster.upload_not_found")
    upload = await own_upload(session, coordinator, upload_id)
    upload.municipality_id = municipality_id
    await session.flush()
    return upload


async def apply_upload(
    session: AsyncSession,
    upload: RosterUpload,
    parsed: ParsedRoster,
    *,
    checkpoint: Checkpoint | None = None,
) -> RosterReport:
    """Writes the file's valid rows (in short steps with `checkpoint`, see `roster_apply`),
    then marks the upload applied. A second apply of the same upload plans again and finds
    nothing left to write; the conditional mark keeps it from reporting twice."""
    name = await _municipality_name(session, upload.municipality_id)
    plan = await plan_import(session, upload.municipality_id, name, parsed)
    if not plan.report.has_changes:
        raise DomainError("roster.nothing_to_apply")
    await apply_plan(session, plan, checkpoint=checkpoint)
    if not await RosterRepo(session).mark_applied(upload.id, datetime.now(UTC)):
        raise DomainError("roster.upload_applied")
    return plan.report


async def cancel_upload(session: AsyncSession, coordinator: Person, upload_id: int) -> None:
    upload = await own_upload(session, coordinator, upload_id)
    await RosterRepo(session).delete_upload(upload)
