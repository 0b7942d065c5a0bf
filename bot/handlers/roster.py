"""Coordinators upload the municipality's roster: a file, its dry-run report, then «Применить».

The check and the application take seconds for a region: both are background jobs
(`bot.jobs.roster`); the handlers keep the file, queue the job and answer at once."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import RosterCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.roster import intro_keyboard
from bot.services import jobs, roster
from bot.services.roster_parse import has_roster_extension
from bot.texts import t
from bot.ui import set_buttons
from bot.update_context import UpdateContext
from storage.models import Role

# A job and what the coordinator reads at once, while it waits its turn.
CHECK = (jobs.ROSTER_CHECK, "roster.received")
CHECK_AGAIN = (jobs.ROSTER_CHECK, "roster.rechecking")
APPLY = (jobs.ROSTER_APPLY, "roster.apply_started")


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    coordinators = Router(name=__name__)
    coordinators.message.filter(HasRole(Role.COORDINATOR))
    coordinators.callback_query.filter(HasRole(Role.COORDINATOR))
    on_callback, on_message = coordinators.callback_query.register, coordinators.message.register

    on_message(show_roster_help, Command("roster"))
    on_message(show_roster_help, MenuButton("menu.roster"))
    on_callback(cb_template, RosterCb.filter(F.action == "template"))
    on_message(on_roster_file, StateFilter(None), F.document)
    on_callback(cb_for_municipality, RosterCb.filter(F.action == "for"))
    on_callback(cb_apply, RosterCb.filter(F.action == "apply"))
    on_callback(cb_cancel, RosterCb.filter(F.action == "cancel"))
    return coordinators


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}" if size >= 1024 * 1024 else f"{size / 1024 / 1024:.2f}"


async def show_roster_help(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(
        ctx.render("roster_help.html", max_mb=_megabytes(ctx.settings.roster_max_bytes)),
        intro_keyboard(),
    )


async def cb_template(callback: CallbackQuery, ctx: UpdateContext) -> None:
    await callback.answer()
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(
            roster.template_xlsx(), filename=roster.plain(t("roster.template_filename"))
        ),
        caption=t("roster.template_caption"),
    )


async def on_roster_file(message: Message, ctx: UpdateContext) -> None:
    document = message.document
    assert document is not None
    filename = document.file_name or ""
    max_bytes = ctx.settings.roster_max_bytes
    # Checked before downloading: a huge file must not cost the bot the download.
    if document.file_size is not None and document.file_size > max_bytes:
        raise DomainError("roster.file_too_big", max_mb=_megabytes(max_bytes))
    if not has_roster_extension(filename):
        raise DomainError("roster.file_wrong_type")
    downloaded = await ctx.bot.download(document)
    assert downloaded is not None
    content = downloaded.read()
    if len(content) > max_bytes:
        raise DomainError("roster.file_too_big", max_mb=_megabytes(max_bytes))
    upload = await roster.receive_upload(ctx.session, ctx.me, filename=filename, content=content)
    await _queue(ctx, upload.id, CHECK)


async def _queue(ctx: UpdateContext, upload_id: int, step: tuple[str, str]) -> None:
    """Answers at once; that answer becomes the job's progress message, then its result."""
    kind, answer_key = step
    answer = await ctx.bot.send_message(ctx.chat_id, t(answer_key))
    await jobs.enqueue(
        ctx.session,
        kind,
        {"upload_id": upload_id},
        person=ctx.me,
        chat_id=ctx.chat_id,
        locale=ctx.locale,
        progress_message_id=answer.message_id,
    )


async def _off_the_report(callback: CallbackQuery) -> None:
    """The report's buttons have done their part; a second press must not queue more work."""
    await callback.answer()
    await set_buttons(callback, None)


async def cb_for_municipality(
    callback: CallbackQuery, callback_data: RosterCb, ctx: UpdateContext
) -> None:
    upload = await roster.retarget_upload(
        ctx.session, ctx.me, callback_data.upload_id, callback_data.municipality_id
    )
    await _off_the_report(callback)
    await _queue(ctx, upload.id, CHECK_AGAIN)


async def cb_apply(callback: CallbackQuery, callback_data: RosterCb, ctx: UpdateContext) -> None:
    upload = await roster.own_upload(ctx.session, ctx.me, callback_data.upload_id)
    await _off_the_report(callback)
    await _queue(ctx, upload.id, APPLY)


async def cb_cancel(callback: CallbackQuery, callback_data: RosterCb, ctx: UpdateContext) -> None:
    await roster.cancel_upload(ctx.session, ctx.me, callback_data.upload_id)
    await _off_the_report(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("roster.cancelled"))
