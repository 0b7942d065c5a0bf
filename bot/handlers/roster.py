"""Coordinators upload the municipality's roster: a file, its dry-run report, then «Применить».

The check and the application take seconds for a region: both are background jobs
(`bot.jobs.roster`); the handlers keep the file, queue the job and answer at once."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RosterCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.roster import intro_keyboard
from bot.services import jobs, roster
from bot.services.roster_parse import has_roster_extension
from bot.texts import Templates, t
from config.settings import Settings
from storage.models import Person, Role

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


async def show_roster_help(
    message: Message, settings: Settings, templates: Templates, i18n: I18n
) -> None:
    await message.answer(
        templates.render(
            "roster_help.html",
            i18n.current_locale,
            max_mb=_megabytes(settings.roster_max_bytes),
        ),
        reply_markup=intro_keyboard(),
    )


async def cb_template(callback: CallbackQuery, bot: Bot) -> None:
    await callback.answer()
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(
            roster.template_xlsx(), filename=roster.plain(t("roster.template_filename"))
        ),
        caption=t("roster.template_caption"),
    )


async def on_roster_file(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    i18n: I18n,
) -> None:
    document = message.document
    assert document is not None
    filename = document.file_name or ""
    # Checked before downloading: a huge file must not cost the bot the download.
    if document.file_size is not None and document.file_size > settings.roster_max_bytes:
        raise DomainError("roster.file_too_big", max_mb=_megabytes(settings.roster_max_bytes))
    if not has_roster_extension(filename):
        raise DomainError("roster.file_wrong_type")
    downloaded = await bot.download(document)
    assert downloaded is not None
    content = downloaded.read()
    if len(content) > settings.roster_max_bytes:
        raise DomainError("roster.file_too_big", max_mb=_megabytes(settings.roster_max_bytes))
    upload = await roster.receive_upload(session, person, filename=filename, content=content)
    await _queue(session, bot, person, message.chat.id, i18n, upload.id, CHECK)


async def _queue(
    session: AsyncSession,
    bot: Bot,
    person: Person,
    chat_id: int,
    i18n: I18n,
    upload_id: int,
    step: tuple[str, str],
) -> None:
    """Answers at once; that answer becomes the job's progress message, then its result."""
    kind, answer_key = step
    answer = await bot.send_message(chat_id, t(answer_key))
    await jobs.enqueue(
        session,
        kind,
        {"upload_id": upload_id},
        person=person,
        chat_id=chat_id,
        locale=i18n.current_locale,
        progress_message_id=answer.message_id,
    )


async def _off_the_report(callback: CallbackQuery) -> None:
    """The report's buttons have done their part; a second press must not queue more work."""
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


async def cb_for_municipality(
    callback: CallbackQuery,
    callback_data: RosterCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
) -> None:
    upload = await roster.retarget_upload(
        session, person, callback_data.upload_id, callback_data.municipality_id
    )
    await _off_the_report(callback)
    await _queue(session, bot, person, callback.from_user.id, i18n, upload.id, CHECK_AGAIN)


async def cb_apply(
    callback: CallbackQuery,
    callback_data: RosterCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
) -> None:
    upload = await roster.own_upload(session, person, callback_data.upload_id)
    await _off_the_report(callback)
    await _queue(session, bot, person, callback.from_user.id, i18n, upload.id, APPLY)


async def cb_cancel(
    callback: CallbackQuery, callback_data: RosterCb, person: Person, session: AsyncSession
) -> None:
    await roster.cancel_upload(session, person, callback_data.upload_id)
    await _off_the_report(callback)
    if isinstance(callback.message, Message):
        await callback.message.answer(t("roster.cancelled"))
