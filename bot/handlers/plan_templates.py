"""«План-график» (/plan): a coordinator applies a plan-graph template to a program year of their
municipality (template → year and part → confirmation → what was created); an admin uploads
the region's own template as a .yaml document (checked, each problem with its line), lists the
region's templates and downloads them."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import DeadlineAdminCb
from bot.dialogs.leaving import meant_for_form
from bot.errors import DomainError
from bot.filters import HasRole
from bot.keyboards.plan_templates import (
    confirm_keyboard,
    home_keyboard,
    region_keyboard,
    years_keyboard,
)
from bot.services import plan_templates as service
from bot.states import PlanTemplateFlow
from bot.texts import plain, t
from bot.ui import show_instead
from bot.update_context import UpdateContext
from storage.models import Role

PROBLEMS_SHOWN = 15


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    organisers = HasRole(Role.COORDINATOR, Role.ADMIN)
    admins = HasRole(Role.ADMIN)
    on_callback = router.callback_query.register
    router.message.register(cmd_plan, Command("plan"), organisers)
    on_callback(cb_list, DeadlineAdminCb.filter(F.action == "tpl_list"), organisers)
    on_callback(cb_pick, DeadlineAdminCb.filter(F.action == "tpl_pick"), organisers)
    on_callback(cb_preview, DeadlineAdminCb.filter(F.action == "tpl_preview"), organisers)
    on_callback(cb_apply, DeadlineAdminCb.filter(F.action == "tpl_apply"), organisers)
    on_callback(cb_upload, DeadlineAdminCb.filter(F.action == "tpl_upload"), admins)
    on_callback(cb_region, DeadlineAdminCb.filter(F.action == "tpl_region"), admins)
    on_callback(cb_get, DeadlineAdminCb.filter(F.action == "tpl_get"), admins)
    router.message.register(on_upload, StateFilter(PlanTemplateFlow.upload), F.document, admins)
    router.message.register(
        on_not_a_file, StateFilter(PlanTemplateFlow.upload), meant_for_form, admins
    )
    return router


async def _show(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    await callback.answer()
    with contextlib.suppress(TelegramBadRequest):
        await show_instead(ctx.bot, callback, text, markup)


async def _home(ctx: UpdateContext) -> tuple[str, InlineKeyboardMarkup, service.Home]:
    home = await service.home(ctx.session, ctx.me, ctx.settings.timezone, datetime.now(UTC))
    return ctx.render("plan_templates.html", home=home), home_keyboard(home), home


async def cmd_plan(message: Message, ctx: UpdateContext) -> None:
    text, markup, _ = await _home(ctx)
    await ctx.reply(text, markup)


async def cb_list(callback: CallbackQuery, ctx: UpdateContext) -> None:
    text, markup, _ = await _home(ctx)
    await _show(callback, ctx, text, markup)


async def cb_pick(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    _, _, home = await _home(ctx)
    if home.municipality_id is None:
        raise DomainError("plan.no_municipality")
    info = next((i for i in home.templates if i.code == callback_data.value), None)
    if info is None:
        raise DomainError("plan.unknown_template")
    text = t("plan.choose_year", title=info.title, municipality=home.municipality_name or "")
    await _show(callback, ctx, text, years_keyboard(info, home.years))


async def _preview(
    callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> tuple[service.Preview, service.Home]:
    _, _, home = await _home(ctx)
    if home.municipality_id is None:
        raise DomainError("plan.no_municipality")
    preview = await service.preview(
        ctx.session,
        ctx.me,
        callback_data.value,
        home.municipality_id,
        callback_data.year,
        part=callback_data.page,
    )
    return preview, home


async def cb_preview(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    preview, home = await _preview(callback_data, ctx)
    text = t(
        "plan.confirm",
        title=preview.title,
        municipality=home.municipality_name or "",
        year=preview.year,
        part=preview.part,
        items=preview.items,
        deadlines=preview.deadlines,
        managed=preview.managed,
    )
    await _show(callback, ctx, text, confirm_keyboard(preview))


async def cb_apply(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    preview, home = await _preview(callback_data, ctx)
    assert home.municipality_id is not None
    applied = await service.apply(
        ctx.session,
        ctx.me,
        preview.template_code,
        home.municipality_id,
        preview.year,
        part=preview.part,
        today=home.today,
    )
    text = ctx.render("plan_applied.html", p=preview, a=applied)
    await _show(callback, ctx, text, None)


# --- the admin's region templates -----------------------------------------------------------------


async def cb_upload(callback: CallbackQuery, state: FSMContext, ctx: UpdateContext) -> None:
    await service.region_templates(ctx.session, ctx.me)  # refused for an admin of no region
    await state.set_state(PlanTemplateFlow.upload)
    await callback.answer()
    await ctx.reply(t("plan.ask_upload", limit=service.MAX_FILE_BYTES // 1024))


async def on_not_a_file(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(t("plan.upload_not_yaml"))


async def on_upload(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    """A refusal keeps the state: the admin fixes the file and sends it again."""
    document = message.document
    assert document is not None
    name = document.file_name or ""
    # Checked before downloading: a huge file must not cost the bot the download.
    if document.file_size is not None and document.file_size > service.MAX_FILE_BYTES:
        raise DomainError("plan.upload_too_big", limit=service.MAX_FILE_BYTES // 1024)
    if not name.lower().endswith((".yaml", ".yml")):
        raise DomainError("plan.upload_not_yaml")
    downloaded = await ctx.bot.download(document)
    assert downloaded is not None
    _, _, home = await _home(ctx)
    if home.region_id is None:
        raise DomainError("plan.not_yours")
    info, problems = await service.save_region_template(
        ctx.session, ctx.me, home.region_id, name, downloaded.read()
    )
    if info is None:
        lines = [
            plain(t("plan.problem_line", line=p.line, reason=plain(t(p.key, **p.params))))
            for p in problems[:PROBLEMS_SHOWN]
        ]
        await ctx.reply(
            ctx.render("plan_upload_problems.html", lines=lines, more=len(problems) - len(lines))
        )
        return
    await state.clear()
    await ctx.reply(
        t("plan.uploaded", title=info.title, code=info.code, items=sum(info.items_by_part.values()))
    )


async def cb_region(callback: CallbackQuery, ctx: UpdateContext) -> None:
    templates = await service.region_templates(ctx.session, ctx.me)
    text = ctx.render("plan_region_templates.html", templates=templates)
    await _show(callback, ctx, text, region_keyboard(templates))


async def cb_get(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    row = await service.region_template(ctx.session, ctx.me, callback_data.page)
    await callback.answer()
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(row.body.encode("utf-8"), filename=f"{row.code}.yaml"),
        caption=t("plan.download_caption", title=row.title),
    )
