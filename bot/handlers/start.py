"""Joining: /start, consent, invite links, the person's own phone, and the request to join."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot.callbacks import ConsentCb, JoinPickCb
from bot.delivery.outbox import enqueue_message
from bot.errors import DomainError
from bot.handlers.surveys import start_by_link
from bot.keyboards.joining import (
    consent_keyboard,
    decision_keyboard,
    identify_keyboard,
    municipalities_keyboard,
    schools_keyboard,
    skip_keyboard,
)
from bot.services import invites, onboarding, scope, surveys
from bot.states import Joining
from bot.texts import all_translations, t
from bot.ui import set_buttons, show_main_menu
from bot.update_context import UpdateContext
from storage.models import Person


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(cmd_start, CommandStart())
    router.callback_query.register(cb_consent_declined, ConsentCb.filter(~F.agree))
    router.callback_query.register(cb_consent_given, ConsentCb.filter(F.agree))
    router.message.register(on_own_name, Joining.name, F.text)
    router.message.register(on_contact, F.contact)
    router.message.register(
        on_request_to_join,
        StateFilter(Joining.identify, None),
        F.text.func(lambda text: text in all_translations("join.request_button")),
    )
    router.callback_query.register(
        cb_municipality_page, Joining.municipality, JoinPickCb.filter(F.what == "mun_page")
    )
    router.callback_query.register(
        cb_municipality, Joining.municipality, JoinPickCb.filter(F.what == "mun")
    )
    router.callback_query.register(
        cb_school_page, Joining.school, JoinPickCb.filter(F.what == "school_page")
    )
    router.callback_query.register(cb_school, Joining.school, JoinPickCb.filter(F.what == "school"))
    router.message.register(on_subject, Joining.subject, F.text)
    router.callback_query.register(
        cb_skip_subject, Joining.subject, JoinPickCb.filter(F.what == "skip")
    )
    router.message.register(on_request_name, Joining.request_name, F.text)
    router.message.register(
        on_text_instead_of_button, StateFilter(Joining.municipality, Joining.school)
    )
    return router


async def cmd_start(
    message: Message, command: CommandObject, state: FSMContext, ctx: UpdateContext
) -> None:
    code = (command.args or "").strip()
    if surveys.is_public_payload(code):
        # A survey's public link: anyone answers, registered or not, nothing about them kept.
        await start_by_link(message, ctx, code)
        return
    if code and not invites.is_well_formed(code):
        await ctx.reply(t("invite.malformed"))
        code = ""
    person = ctx.person
    if person is not None and person.consent_at is not None:
        if code:
            person = await invites.redeem(
                ctx.session,
                code,
                telegram_id=person.telegram_id or 0,
                locale=ctx.locale,
                guest=None if person.is_registered else person,
            )
            await _after_identified(ctx, person, state)
        elif person.is_registered:
            await state.clear()
            await show_main_menu(ctx)
        else:
            await _ask_to_identify(ctx, state)
        return
    await ctx.reply(
        ctx.render("consent.html", policy_url=ctx.settings.privacy_policy_url),
        consent_keyboard(code),
    )


async def cb_consent_declined(callback: CallbackQuery) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(t("consent.declined"))


async def cb_consent_given(
    callback: CallbackQuery, callback_data: ConsentCb, state: FSMContext, ctx: UpdateContext
) -> None:
    await callback.answer()
    await set_buttons(callback, None)
    person = await onboarding.record_consent(
        ctx.session, ctx.person, telegram_id=callback.from_user.id, locale=ctx.locale
    )
    await onboarding.grant_bootstrap_admin(ctx.session, person, ctx.settings)
    if callback_data.code:
        try:
            person = await invites.redeem(
                ctx.session,
                callback_data.code,
                telegram_id=callback.from_user.id,
                locale=ctx.locale,
                guest=None if person.is_registered else person,
            )
        except DomainError as refusal:
            # The invite cannot be used, but the consent just given stands: say why and go on
            # to the other ways of joining.
            await ctx.reply(t(refusal.key, **refusal.params))
    if person.is_registered:
        await _after_identified(ctx, person, state)
    else:
        await _ask_to_identify(ctx, state)


async def _after_identified(ctx: UpdateContext, person: Person, state: FSMContext) -> None:
    """`person`: the sender as they are now, once an invite or their phone has told who they are."""
    if not person.full_name:
        await state.set_state(Joining.name)
        await ctx.reply(t("join.ask_name"), ReplyKeyboardRemove())
        return
    await state.clear()
    await show_main_menu(ctx, person, greeting=True)


async def _ask_to_identify(ctx: UpdateContext, state: FSMContext) -> None:
    await state.set_state(Joining.identify)
    await ctx.reply(t("join.identify"), identify_keyboard())


async def on_own_name(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    if ctx.person is None:
        await state.clear()
        return
    ctx.person.full_name = onboarding.clean_full_name(message.text or "")
    await _after_identified(ctx, ctx.person, state)


async def on_contact(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    person = ctx.person
    if person is None or person.consent_at is None:
        await ctx.reply(t("join.consent_first"))
        return
    if person.is_registered:
        await ctx.reply(t("join.already_registered"))
        return
    assert message.contact is not None and message.from_user is not None
    person = await onboarding.link_by_contact(
        ctx.session,
        person,
        phone=message.contact.phone_number,
        sender_id=message.from_user.id,
        contact_user_id=message.contact.user_id,
    )
    await _after_identified(ctx, person, state)


async def on_request_to_join(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    person = ctx.person
    if person is None or person.consent_at is None:
        await ctx.reply(t("join.consent_first"))
        return
    if person.is_registered:
        await ctx.reply(t("join.already_registered"))
        return
    municipalities = await onboarding.municipalities_to_join(ctx.session)
    if not municipalities:
        await ctx.reply(t("join.no_municipalities"))
        return
    await state.set_state(Joining.municipality)
    await ctx.reply(t("join.pick_municipality"), ReplyKeyboardRemove())
    await ctx.reply(t("join.pick_municipality_list"), municipalities_keyboard(municipalities))


async def cb_municipality_page(
    callback: CallbackQuery, callback_data: JoinPickCb, ctx: UpdateContext
) -> None:
    await callback.answer()
    municipalities = await onboarding.municipalities_to_join(ctx.session)
    await set_buttons(callback, municipalities_keyboard(municipalities, callback_data.value))


async def cb_municipality(
    callback: CallbackQuery, callback_data: JoinPickCb, state: FSMContext, ctx: UpdateContext
) -> None:
    await callback.answer()
    schools = await onboarding.schools_to_join(ctx.session, callback_data.value)
    if not schools or not isinstance(callback.message, Message):
        await ctx.reply(t("join.no_schools"))
        return
    await state.update_data(municipality_id=callback_data.value)
    await state.set_state(Joining.school)
    await callback.message.edit_text(t("join.pick_school"), reply_markup=schools_keyboard(schools))


async def cb_school_page(
    callback: CallbackQuery, callback_data: JoinPickCb, state: FSMContext, ctx: UpdateContext
) -> None:
    await callback.answer()
    municipality_id = (await state.get_data())["municipality_id"]
    schools = await onboarding.schools_to_join(ctx.session, municipality_id)
    await set_buttons(callback, schools_keyboard(schools, callback_data.value))


async def cb_school(
    callback: CallbackQuery, callback_data: JoinPickCb, state: FSMContext, ctx: UpdateContext
) -> None:
    await callback.answer()
    municipality_id = (await state.get_data()).get("municipality_id")
    school = await onboarding.picked_school(ctx.session, callback_data.value, municipality_id)
    if school is None:
        await ctx.reply(t("join.school_gone"))
        return
    await state.update_data(school_id=school.id)
    await state.set_state(Joining.subject)
    if isinstance(callback.message, Message):
        await callback.message.edit_text(t("join.picked_school", school=school.label))
    await ctx.reply(t("join.ask_subject"), skip_keyboard())


async def on_subject(message: Message, state: FSMContext) -> None:
    subject = onboarding.clean_subject(message.text or "")
    await state.update_data(subject=subject)
    await state.set_state(Joining.request_name)
    await message.answer(t("join.ask_name"))


async def cb_skip_subject(callback: CallbackQuery, state: FSMContext, ctx: UpdateContext) -> None:
    await callback.answer()
    await state.set_state(Joining.request_name)
    await ctx.reply(t("join.ask_name"))


async def on_request_name(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    if ctx.person is None:
        await state.clear()
        return
    data = await state.get_data()
    request = await onboarding.submit_join_request(
        ctx.session,
        ctx.person,
        school_id=data["school_id"],
        full_name=message.text or "",
        subject=data.get("subject"),
    )
    await state.clear()
    school = await onboarding.school_of(ctx.session, request)
    await ctx.reply(t("join.request_sent"))
    coordinators = await scope.coordinators_of(ctx.session, request.municipality_id)
    for coordinator in coordinators:
        with ctx.speaking_to(coordinator):
            await enqueue_message(
                ctx.session,
                ctx.settings,
                coordinator,
                ctx.render("join_request.html", request=request, school=school),
                kind="join_request",
                reply_markup=decision_keyboard(request.id),
                dedup_key=f"join_request:{request.id}:to:{coordinator.id}",
            )


async def on_text_instead_of_button(message: Message) -> None:
    await message.answer(t("join.use_buttons"))
