"""Exports as files: built off the update (a year of a municipality's log is thousands of rows)
and sent as a document to whoever asked, if they may still see it."""

from __future__ import annotations

import asyncio

from aiogram.types import BufferedInputFile

from bot.jobs import JobRunContext, person_of
from bot.services import consultation_export, survey_export, surveys
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


async def survey(context: JobRunContext, job: BackgroundJob) -> None:
    """A survey's answers and summary as .xlsx, for someone who may still see the survey."""
    await context.progress.update(t("surveys_admin.export_progress"))
    async with context.session_pool() as session:
        viewer = await person_of(session, job)
        data = await surveys.export_data(
            session, viewer, int(job.payload["survey_id"]), job.locale or "ru"
        )
    content = await asyncio.to_thread(
        survey_export.survey_xlsx, data, survey_export.words(), job.locale or "ru"
    )
    await context.progress.remove()
    await context.bot.send_document(
        job.chat_id,
        BufferedInputFile(content, filename=survey_export.filename(data.card.id)),
        caption=t("surveys_admin.xlsx_caption", count=len(data.rows)),
    )
