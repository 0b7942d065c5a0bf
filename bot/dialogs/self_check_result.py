"""The result of a self-check, sent when the runner form submits one and whenever the teacher
(«📈 Мой профиль») or their tutor asks for it: the profile picture with a caption, the change
picture when it is the final check of a program year with an entry check, and the text of the
blocks, the verdict and the route (ИОМ)."""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram_dialog import DialogManager
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs.common import chat_id, who
from bot.keyboards.self_check import result_keyboard
from bot.services import self_check, self_check_charts
from bot.services.self_check import Result
from bot.texts import Templates, Texts, plain, t
from bot.ui import send_long
from storage.models import Person


async def send_self_check_result(manager: DialogManager, response_id: int) -> None:
    """From the runner form, right after the check `response_id` was submitted."""
    person, session, _ = who(manager)
    data = manager.middleware_data
    await send_result(
        data["bot"],
        data["templates"],
        chat_id(manager),
        session,
        person,
        data["i18n"].current_locale,
        response_id,
    )


async def send_result(
    bot: Bot,
    templates: Templates,
    chat: int,
    session: AsyncSession,
    person: Person,
    locale: str,
    response_id: int | None = None,
) -> None:
    """The person's check `response_id` (None: their latest) to `chat`, in `locale`."""
    with Texts.get_current(no_error=False).use_locale(locale):
        found = await self_check.result(session, person, response_id, locale)
        await send_result_view(
            bot, templates, chat, locale, found, result_keyboard(found.route), person=None
        )


def _date(found: Result) -> str:
    moment = found.check.submitted_at
    return moment.strftime("%d.%m.%Y") if moment else ""


async def send_result_view(
    bot: Bot,
    templates: Templates,
    chat: int,
    locale: str,
    found: Result,
    markup: InlineKeyboardMarkup | None,
    *,
    person: Person | None,
) -> None:
    """`person`: the teacher, when someone else (their tutor) looks at the result."""
    check = found.check
    stage = t(f"self_check.stage.{check.stage.value}") if check.stage else ""
    title = plain(t("self_check.chart_title", stage=stage, date=_date(found)))
    if person is not None:
        title = plain(
            t("self_check.chart_title_of", name=person.full_name or "—", date=_date(found))
        )
    blocks = [(b.title, b.percent, b.level) for b in check.blocks]
    png = await asyncio.to_thread(
        self_check_charts.profile_png, title, blocks, plain(t("self_check.chart_caption"))
    )
    await bot.send_photo(
        chat,
        BufferedInputFile(png, filename="profile.png"),
        caption=t("self_check.photo_caption", stage=stage, date=_date(found)),
    )
    change = found.change
    if change is not None:
        labels = [b.title for b in change.final.blocks]
        entry = {b.section_id: b.percent for b in change.entry.blocks}
        png = await asyncio.to_thread(
            lambda: self_check_charts.change_png(
                plain(t("self_check.change_title")),
                labels,
                [entry.get(b.section_id) for b in change.final.blocks],
                [b.percent for b in change.final.blocks],
                entry_label=plain(t("self_check.stage.entry")),
                final_label=plain(t("self_check.stage.final")),
            )
        )
        await bot.send_photo(
            chat,
            BufferedInputFile(png, filename="change.png"),
            caption=t("self_check.change_caption"),
        )
    text = templates.render(
        "self_check_result.html",
        locale,
        result=found,
        stage=stage,
        date=_date(found),
        teacher=person,
    )
    await send_long(bot, chat, text, markup)
