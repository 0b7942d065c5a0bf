"""Coordinators upload the municipality's roster: a file, its dry-run report, then «Применить»."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RosterCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.roster import intro_keyboard, report_keyboard
from bot.services import roster
from bot.services.roster_parse import has_roster_extension
from bot.texts import Templates, t
from config.settings import Settings
from storage.models import Person, Role, RosterUpload

router = Router(name=__name__)
router.message.filter(HasRole(Role.COORDINATOR))
router.callback_query.filter(HasRole(Role.COORDINATOR))

# A Telegram message holds 4096 characters; the rest of the problems go in a file.
PROBLEMS_IN_MESSAGE = 30


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}" if size >= 1024 * 1024 else f"{size / 1024 / 1024:.2f}"


@router.message(Command("roster"))
@router.message(MenuButton("menu.roster"))
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


@router.callback_query(RosterCb.filter(F.action == "template"))
async def cb_template(callback: CallbackQuery, bot: Bot) -> None:
    await callback.answer()
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(
            roster.template_xlsx(), filename=roster.plain(t("roster.template_filename"))
        ),
        caption=t("roster.template_caption"),
    )


@router.message(StateFilter(None), F.document)
async def on_roster_file(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
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
    upload, report = await roster.dry_run_upload(
        session, person, filename=filename, content=content
    )
    await _send_dry_run(
        bot, message.chat.id, session, person, upload, report, templates, i18n.current_locale
    )


async def _send_dry_run(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    upload: RosterUpload,
    report: roster.RosterReport,
    templates: Templates,
    locale: str,
) -> None:
    shown = report.problems[:PROBLEMS_IN_MESSAGE]
    await bot.send_message(
        chat_id,
        templates.render(
            "roster_report.html",
            locale,
            report=report,
            filename=upload.filename,
            applied=False,
            problems=[Markup(problem.text()) for problem in shown],
            more=len(report.problems) - len(shown),
        ),
        reply_markup=report_keyboard(
            upload.id,
            can_apply=report.has_changes,
            other_municipalities=await roster.other_municipalities(session, person, upload),
        ),
    )
    if len(report.problems) > len(shown):
        await bot.send_document(
            chat_id,
            BufferedInputFile(
                roster.problems_xlsx(report), filename=roster.plain(t("roster.problems_filename"))
            ),
            caption=t("roster.problems_caption", count=len(report.problems)),
        )


@router.callback_query(RosterCb.filter(F.action == "for"))
async def cb_for_municipality(
    callback: CallbackQuery,
    callback_data: RosterCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    upload, report = await roster.retarget_upload(
        session, person, callback_data.upload_id, callback_data.municipality_id
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await _send_dry_run(
        bot,
        callback.from_user.id,
        session,
        person,
        upload,
        report,
        templates,
        i18n.current_locale,
    )


@router.callback_query(RosterCb.filter(F.action == "apply"))
async def cb_apply(
    callback: CallbackQuery,
    callback_data: RosterCb,
    person: Person,
    session: AsyncSession,
    templates: Templates,
    i18n: I18n,
) -> None:
    report = await roster.apply_upload(session, person, callback_data.upload_id)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            templates.render(
                "roster_report.html",
                i18n.current_locale,
                report=report,
                filename="",
                applied=True,
                problems=[],
                more=0,
            )
        )


@router.callback_query(RosterCb.filter(F.action == "cancel"))
async def cb_cancel(
    callback: CallbackQuery, callback_data: RosterCb, person: Person, session: AsyncSession
) -> None:
    await roster.cancel_upload(session, person, callback_data.upload_id)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(t("roster.cancelled"))
