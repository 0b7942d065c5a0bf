"""Exports as files: built off the update (a year of a municipality's log is thousands of rows)
and sent as a document to whoever asked, if they may still see it."""

from __future__ import annotations

import asyncio

from aiogram.types import BufferedInputFile

from bot.jobs import JobRunContext, person_of
from bot.services import consultation_export
from bot.services.consultation_report import ReportFilter, build_report
from bot.texts import t
from storage.models import BackgroundJob


async def consultations(context: JobRunContext, job: BackgroundJob) -> None:
    """The coordinator's consultation report as .xlsx, in the shape of the municipal report."""
    await context.progress.update(t("consultations.export_progress", percent=0))
    wanted = ReportFilter(
        municipality_id=int(job.payload["municipality_id"]),
        period=str(job.payload["period"]),
        school_id=int(job.payload["school_id"]),
        tutor_id=int(job.payload["tutor_id"]),
    )
    async with context.session_pool() as session:
        coordinator = await person_of(session, job)
        report = await build_report(session, context.settings, coordinator, wanted)
    await context.progress.update(t("consultations.export_progress", percent=50))
    content = await asyncio.to_thread(consultation_export.log_xlsx, report)
    await context.progress.remove()
    await context.bot.send_document(
        job.chat_id,
        BufferedInputFile(content, filename=consultation_export.log_filename(report)),
        caption=t("consultations.export_caption", count=report.count),
    )
