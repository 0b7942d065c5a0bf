"""Joining: /start, consent, invite links, the person's own phone, and the request to join."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ConsentCb, JoinPickCb
from bot.delivery.outbox import enqueue_message
from bot.errors import DomainError
from bot.keyboards.joining import (
    consent_keyboard,
    decision_keyboard,
    identify_keyboard,
    municipalities_keyboard,
    schools_keyboard,
    skip_keyboard,
)
from bot.services import invites, onboarding, scope
from bot.states import Joining
from bot.texts import Templates, all_translations, t
from bot.ui import send_main_menu
from config.settings import Settings
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


def _registered(person: Person | None) -> bool:
    return person is not None and person.consent_at is not None and person.is_registered


async def cmd_start(
    message: Message,
    command: CommandObject,
    person: Person | None,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    code = (command.args or "").strip()
    if code and not invites.is_well_formed(code):
        await message.answer(t("invite.malformed"))
        code = ""
    if person is not None and person.consent_at is not None:
        if code:
            person = await invites.redeem(
                session,
                code,
                telegram_id=person.telegram_id or 0,
                locale=i18n.current_locale,
                guest=None if person.is_registered else person,
            )
            await _after_identified(bot, person, state, templates, i18n)
        elif person.is_registered:
            await state.clear()
            await send_main_menu(bot, person, templates, i18n.current_locale)
        else:
            await _ask_to_identify(message, state)
        return
    await message.answer(
        templates.render(
            "consent.html", i18n.current_locale, policy_url=settings.privacy_policy_url
        ),
        reply_markup=consent_keyboard(code),
    )


async def cb_consent_declined(callback: CallbackQuery) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(t("consent.declined"))


async def cb_consent_given(
    callback: CallbackQuery,
    callback_data: ConsentCb,
    person: Person | None,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    person = await onboarding.record_consent(
        session, person, telegram_id=callback.from_user.id, locale=i18n.current_locale
    )
    await onboarding.grant_bootstrap_admin(session, person, settings)
    if callback_data.code:
        try:
            person = await invites.redeem(
                session,
                callback_data.code,
                telegram_id=callback.from_user.id,
                locale=i18n.current_locale,
                guest=None if person.is_registered else person,
            )
        except DomainError as refusal:
            # The invite cannot be used, but the consent just given stands: say why and go on
            # to the other ways of joining.
            await bot.send_message(callback.from_user.id, t(refusal.key, **refusal.params))
    if person.is_registered:
        await _after_identified(bot, person, state, templates, i18n)
    else:
        await _ask_to_identify(callback.message, state)  # type: ignore[arg-type]


async def _after_identified(
    bot: Bot, person: Person, state: FSMContext, templates: Templates, i18n: I18n
) -> None:
    if not person.full_name:
        await state.set_state(Joining.name)
        await bot.send_message(
            person.telegram_id or 0, t("join.ask_name"), reply_markup=ReplyKeyboardRemove()
        )
        return
    await state.clear()
    await send_main_menu(bot, person, templates, i18n.current_locale, greeting=True)


async def _ask_to_identify(message: Message, state: FSMContext) -> None:
    await state.set_state(Joining.identify)
    await message.answer(t("join.identify"), reply_markup=identify_keyboard())


async def on_own_name(
    message: Message,
    person: Person | None,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    if person is None:
        await state.clear()
        return
    person.full_name = onboarding.clean_full_name(message.text or "")
    await _after_identified(bot, person, state, templates, i18n)


async def on_contact(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    if person is None or person.consent_at is None:
        await message.answer(t("join.consent_first"))
        return
    if person.is_registered:
        await message.answer(t("join.already_registered"))
        return
    assert message.contact is not None and message.from_user is not None
    person = await onboarding.link_by_contact(
        session,
        person,
        phone=message.contact.phone_number,
        sender_id=message.from_user.id,
        contact_user_id=message.contact.user_id,
    )
    await _after_identified(bot, person, state, templates, i18n)


async def on_request_to_join(
    message: Message, person: Person | None, session: AsyncSession, state: FSMContext
) -> None:
    if person is None or person.consent_at is None:
        await message.answer(t("join.consent_first"))
        return
    if person.is_registered:
        await message.answer(t("join.already_registered"))
        return
    municipalities = await onboarding.municipalities_to_join(session)
    if not municipalities:
        await message.answer(t("join.no_municipalities"))
        return
    await state.set_state(Joining.municipality)
    await message.answer(t("join.pick_municipality"), reply_markup=ReplyKeyboardRemove())
    await message.answer(
        t("join.pick_municipality_list"), reply_markup=municipalities_keyboard(municipalities)
    )


async def cb_municipality_page(
    callback: CallbackQuery, callback_data: JoinPickCb, session: AsyncSession
) -> None:
    await callback.answer()
    municipalities = await onboarding.municipalities_to_join(session)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=municipalities_keyboard(municipalities, callback_data.value)
        )


async def cb_municipality(
    callback: CallbackQuery, callback_data: JoinPickCb, session: AsyncSession, state: FSMContext
) -> None:
    await callback.answer()
    schools = await onboarding.schools_to_join(session, callback_data.value)
    if not schools or not isinstance(callback.message, Message):
        await callback.bot.send_message(callback.from_user.id, t("join.no_schools"))  # type: ignore[union-attr]
        return
    await state.update_data(municipality_id=callback_data.value)
    await state.set_state(Joining.school)
    await callback.message.edit_text(t("join.pick_school"), reply_markup=schools_keyboard(schools))


async def cb_school_page(
    callback: CallbackQuery, callback_data: JoinPickCb, session: AsyncSession, state: FSMContext
) -> None:
    await callback.answer()
    municipality_id = (await state.get_data())["municipality_id"]
    schools = await onboarding.schools_to_join(session, municipality_id)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=schools_keyboard(schools, callback_data.value)
        )


async def cb_school(
    callback: CallbackQuery, callback_data: JoinPickCb, session: AsyncSession, state: FSMContext
) -> None:
    await callback.answer()
    municipality_id = (await state.get_data()).get("municipality_id")
    school = await onboarding.picked_school(session, callback_data.value, municipality_id)
    if school is None:
        await callback.bot.send_message(callback.from_user.id, t("join.school_gone"))  # type: ignore[union-attr]
        return
    await state.update_data(school_id=school.id)
    await state.set_state(Joining.subject)
    if isinstance(callback.message, Message):
        await callback.message.edit_text(t("join.picked_school", school=school.label))
    await callback.bot.send_message(  # type: ignore[union-attr]
        callback.from_user.id, t("join.ask_subject"), reply_markup=skip_keyboard()
    )


async def on_subject(message: Message, state: FSMContext) -> None:
    subject = onboarding.clean_subject(message.text or "")
    await state.update_data(subject=subject)
    await state.set_state(Joining.request_name)
    await message.answer(t("join.ask_name"))


async def cb_skip_subject(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(Joining.request_name)
    await callback.bot.send_message(callback.from_user.id, t("join.ask_name"))  # type: ignore[union-attr]


async def on_request_name(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    if person is None:
        await state.clear()
        return
    data = await state.get_data()
    request = await onboarding.submit_join_request(
        session,
        person,
        school_id=data["school_id"],
        full_name=message.text or "",
        subject=data.get("subject"),
    )
    await state.clear()
    school = await onboarding.school_of(session, request)
    await message.answer(t("join.request_sent"))
    coordinators = await scope.coordinators_of(session, request.municipality_id)
    for coordinator in coordinators:
        locale = coordinator.locale or i18n.default_locale
        with i18n.use_locale(locale):
            card = templates.render("join_request.html", locale, request=request, school=school)
            await enqueue_message(
                session,
                settings,
                coordinator,
                card,
                kind="join_request",
                reply_markup=decision_keyboard(request.id),
                dedup_key=f"join_request:{request.id}:to:{coordinator.id}",
            )


async def on_text_instead_of_button(message: Message) -> None:
    await message.answer(t("join.use_buttons"))
