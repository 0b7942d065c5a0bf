"""Roster jobs: the dry run of an uploaded file and its application (seconds each for a
region's 25,000 rows), reported in the coordinator's progress message."""

from __future__ import annotations

import asyncio

from aiogram.types import BufferedInputFile
from markupsafe import Markup

from bot.delivery.split import visible_length
from bot.jobs import JobRunContext, person_of
from bot.keyboards.roster import report_keyboard
from bot.services import roster
from bot.services.roster_parse import ParsedRoster
from bot.services.roster_report import Problem
from bot.texts import t
from storage.models import BackgroundJob, Person, RosterUpload

# A Telegram message holds 4096 characters: the report shows at most 30 problems, quoting
# cells up to 80 characters, within 3,000 characters (the counts and the hint take the rest);
# the spreadsheet that follows lists every problem in full.
PROBLEMS_IN_MESSAGE = 30
QUOTE_IN_MESSAGE = 80
PROBLEMS_MESSAGE_BUDGET = 3000


async def _upload(context: JobRunContext, job: BackgroundJob) -> tuple[Person, RosterUpload]:
    """The job's person and their upload, asked again now: the coordinator may have lost the
    municipality, or applied the file, since the job was queued."""
    async with context.session_pool() as session:
        coordinator = await person_of(session, job)
        upload = await roster.own_upload(session, coordinator, int(job.payload["upload_id"]))
    return coordinator, upload


async def _read(context: JobRunContext, upload: RosterUpload) -> ParsedRoster:
    try:
        return await roster.read_upload(upload, max_upload_bytes=context.settings.roster_max_bytes)
    except roster.UnreadableRoster:
        async with context.session_pool.begin() as session:
            await roster.discard_upload(session, upload.id)
        raise


async def check(context: JobRunContext, job: BackgroundJob) -> None:
    """The dry run: the report with «Применить» / «Отмена», problems beyond the first 30 as a
    spreadsheet."""
    progress = context.progress
    await progress.update(t("roster.checking", percent=0))
    coordinator, upload = await _upload(context, job)
    parsed = await _read(context, upload)
    await progress.update(t("roster.checking", percent=50))
    async with context.session_pool() as session:
        report = await roster.check_upload(session, upload, parsed)
        others = await roster.other_municipalities(session, coordinator, upload)
    shown = problems_in_message(report.problems)
    await progress.finish(
        context.templates.render(
            "roster_report.html",
            job.locale,
            report=report,
            filename=upload.filename,
            applied=False,
            problems=shown,
            more=len(report.problems) - len(shown),
        ),
        reply_markup=report_keyboard(
            upload.id, can_apply=report.has_changes, other_municipalities=others
        ),
    )
    if len(report.problems) > len(shown):
        await context.bot.send_document(
            job.chat_id,
            BufferedInputFile(
                roster.problems_xlsx(report), filename=roster.plain(t("roster.problems_filename"))
            ),
            caption=t("roster.problems_caption", count=len(report.problems)),
        )


def problems_in_message(problems: list[Problem]) -> list[Markup]:
    """The first problems, as many as the report message holds (their texts escaped by t)."""
    lines: list[Markup] = []
    used = 0
    for problem in problems[:PROBLEMS_IN_MESSAGE]:
        line = problem.text(quote_max=QUOTE_IN_MESSAGE)
        used += visible_length(line) + 3  # «• » and the line break
        if used > PROBLEMS_MESSAGE_BUDGET:
            break
        lines.append(Markup(line))
    return lines


async def apply(context: JobRunContext, job: BackgroundJob) -> None:
    """Writes the file's valid rows in short steps and shows what was written."""
    progress = context.progress
    await progress.update(t("roster.applying", percent=0))
    _, upload = await _upload(context, job)
    parsed = await _read(context, upload)
    await progress.update(t("roster.applying", percent=30))
    async with context.session_pool() as session:

        async def let_others_write() -> None:
            # Commit each chunk: other people's messages are stored between chunks.
            await session.commit()
            await asyncio.sleep(0)

        try:
            report = await roster.apply_upload(session, upload, parsed, checkpoint=let_others_write)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    await progress.finish(
        context.templates.render(
            "roster_report.html",
            job.locale,
            report=report,
            filename="",
            applied=True,
            problems=[],
            more=0,
        )
    )
