"""The program year's event report as .xlsx, built off the update and sent to whoever asked,
counted for their scope as it is when the job runs."""

from __future__ import annotations

import asyncio

from aiogram.types import BufferedInputFile

from bot.jobs import JobRunContext, person_of
from bot.services import event_reports, event_reports_xlsx
from bot.texts import t
from storage.models import BackgroundJob


async def year_xlsx(context: JobRunContext, job: BackgroundJob) -> None:
    await context.progress.update(t("event_reports.export_progress"))
    locale = job.locale or "ru"
    year = int(job.payload["year"])
    async with context.session_pool() as session:
        viewer = await person_of(session, job)
        report = await event_reports.year_report(session, viewer, year, locale)
    content = await asyncio.to_thread(event_reports_xlsx.year_xlsx, report, locale)
    await context.progress.remove()
    await context.bot.send_document(
        job.chat_id,
        BufferedInputFile(content, filename=event_reports_xlsx.filename(year)),
        caption=t("event_reports.xlsx_caption", year=year, count=len(report.events)),
    )
