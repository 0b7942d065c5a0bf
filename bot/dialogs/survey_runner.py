"""The form that takes a person through a survey or a self-check: one question per screen,
answered by buttons wherever the question allows, then a summary with «Изменить» per answer
before «Отправить».

The form keeps only the response's id; where the person is and what they answered is in the
database (`bot.services.survey_runner`), so a restart, another menu or a lost dialog state
never loses an answer: opening the survey again continues at the same question.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row, Select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs.common import choices, tell
from bot.dialogs.leaving import LEFT, meant_for_form, typed_answer
from bot.dialogs.self_check_result import send_self_check_result
from bot.dialogs.widgets import T, Template
from bot.errors import DomainError
from bot.keyboards import short_label
from bot.services import survey_runner
from bot.services.scenario_schema import Kind, QuestionType
from bot.services.survey_order import NO, YES
from bot.services.survey_runner import Screen
from bot.states import TakeSurvey
from bot.texts import plain, t
from storage.models import Person

SUMMARY_PAGE = 8
_YES_NO_KEYS = {YES: "surveys.button_yes", NO: "surveys.button_no"}
_TYPED = (QuestionType.NUMBER, QuestionType.TEXT, QuestionType.DATE)


def _person(manager: DialogManager) -> Person | None:
    # None for someone answering a public survey by link without an account.
    person: Person | None = manager.middleware_data.get("person")
    return person


def _session(manager: DialogManager) -> AsyncSession:
    session: AsyncSession = manager.middleware_data["session"]
    return session


def _locale(manager: DialogManager) -> str:
    return str(manager.middleware_data["i18n"].current_locale)


def _response_id(manager: DialogManager) -> int:
    return int(manager.dialog_data["response_id"])


async def open_runner(manager: DialogManager, response_id: int) -> None:
    """Shows the response's question (or its summary), continuing where the person stopped;
    their open form is this one already if they come back to the same response."""
    current = manager.has_context() and manager.current_context()
    if (
        current
        and current.state.group == TakeSurvey
        and current.dialog_data.get("response_id") == response_id
    ):
        current.dialog_data.pop(LEFT, None)
        manager.show_mode = ShowMode.SEND
        await _show_where_stopped(manager)
        return
    await manager.start(
        TakeSurvey.question,
        data={"response_id": response_id},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


async def on_start(start_data: Any, manager: DialogManager) -> None:
    manager.dialog_data["response_id"] = int(start_data["response_id"])
    if await _screen(manager) is None:
        await manager.switch_to(TakeSurvey.summary)


async def _screen(manager: DialogManager) -> Screen | None:
    screen = await survey_runner.screen(
        _session(manager), _person(manager), _response_id(manager), _locale(manager)
    )
    if screen is not None:
        _note_changed(manager, screen.changed)
    return screen


def _note_changed(manager: DialogManager, dropped: int) -> None:
    """Answers dropped by a changed file are told on the next window drawn, whichever it is."""
    if dropped:
        manager.dialog_data["changed"] = manager.dialog_data.get("changed", 0) + dropped


async def _show_where_stopped(manager: DialogManager) -> None:
    """After an answer: the next question, or the summary when none is left."""
    target = TakeSurvey.question if await _screen(manager) is not None else TakeSurvey.summary
    if manager.current_context().state != target:
        await manager.switch_to(target)
    else:
        await manager.show()


# --- the question -----------------------------------------------------------------------------


def _choice_label(screen: Screen, choice: survey_runner.Choice) -> str:
    if screen.type == QuestionType.YES_NO:
        label = plain(t(_YES_NO_KEYS[choice.label]))
    elif screen.type == QuestionType.SCALE:
        label = choice.label
    else:
        label = short_label(choice.label)
    marker = "✅ " if choice.chosen else ""
    return f"{marker}{label}"


async def question_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    screen = await _screen(dialog_manager)
    if screen is None:
        return {"screen": None, "choices": [], "back": [], "skip": [], "done": [], "all_done": True}
    token_item = [(screen.token, "")]
    return {
        "screen": screen,
        "changed": dialog_manager.dialog_data.pop("changed", 0),
        "choices": [(choice.id, _choice_label(screen, choice)) for choice in screen.choices],
        "back": token_item if screen.can_back else [],
        "skip": token_item if not screen.required else [],
        "done": token_item if screen.type == QuestionType.MULTI else [],
        "all_done": False,
        "scale_labels": screen.type == QuestionType.SCALE,
    }


async def on_choice(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, raw: str
) -> None:
    await survey_runner.answer_choice(
        _session(manager), _person(manager), _response_id(manager), raw
    )
    await _show_where_stopped(manager)


async def on_typed(message: Message, _widget: Any, manager: DialogManager) -> None:
    await survey_runner.answer_typed(
        _session(manager), _person(manager), _response_id(manager), message.text or ""
    )
    # A typed answer gets a fresh window below it, as every message does.
    manager.show_mode = ShowMode.SEND
    await _show_where_stopped(manager)


async def on_not_text(message: Message, _widget: Any, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.NO_UPDATE
    screen = await _screen(manager)
    typed = screen is not None and screen.type in _TYPED
    await message.answer(t("surveys.send_text" if typed else "surveys.use_buttons"))


async def on_back(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, token: str
) -> None:
    await survey_runner.back(_session(manager), _person(manager), _response_id(manager), token)
    await _show_where_stopped(manager)


async def on_skip(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, token: str
) -> None:
    await survey_runner.skip(_session(manager), _person(manager), _response_id(manager), token)
    await _show_where_stopped(manager)


async def on_done(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, token: str
) -> None:
    await survey_runner.finish_multi(
        _session(manager), _person(manager), _response_id(manager), token
    )
    await _show_where_stopped(manager)


async def on_to_summary(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _show_where_stopped(manager)


async def on_later(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await manager.done(show_mode=ShowMode.EDIT)
    await tell(manager, t("surveys.saved_for_later"))


def _one_button(widget_id: str, label_key: str, items: str, on_click: Any) -> Select[Any]:
    """A button that carries the question it was shown under (see `question_token`)."""
    return Select(
        T(label_key),
        id=widget_id,
        items=items,
        item_id_getter=lambda item: item[0],
        on_click=on_click,
    )


# --- the summary ------------------------------------------------------------------------------


async def summary_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    summary = await survey_runner.summary(
        _session(dialog_manager),
        _person(dialog_manager),
        _response_id(dialog_manager),
        _locale(dialog_manager),
    )
    _note_changed(dialog_manager, summary.changed)
    pages = max(1, -(-len(summary.items) // SUMMARY_PAGE))
    page = min(int(dialog_manager.dialog_data.get("page", 0)), pages - 1)
    shown = summary.items[page * SUMMARY_PAGE : (page + 1) * SUMMARY_PAGE]
    paging = []
    if page > 0:
        paging.append((page - 1, "◀️"))
    if page < pages - 1:
        paging.append((page + 1, "▶️"))
    return {
        "summary": summary,
        "changed": dialog_manager.dialog_data.pop("changed", 0),
        "items": shown,
        "page": page + 1,
        "pages": pages,
        "edits": [(item.position, f"✏️ {item.position}") for item in shown],
        "paging": paging,
    }


async def on_edit(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, position: int
) -> None:
    await survey_runner.go_to(_session(manager), _person(manager), _response_id(manager), position)
    await manager.switch_to(TakeSurvey.question)


async def on_page(callback: CallbackQuery, _widget: Any, manager: DialogManager, page: int) -> None:
    if page < 0:
        raise DomainError("error.stale_button")
    manager.dialog_data["page"] = page


async def on_submit(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    submitted = await survey_runner.submit(
        _session(manager), _person(manager), _response_id(manager)
    )
    await manager.done(show_mode=ShowMode.EDIT)
    if submitted.kind == Kind.SELF_CHECK:
        await send_self_check_result(manager, submitted.response_id)
    else:
        await tell(manager, t("surveys.thanks"))


def dialog() -> Dialog:
    later = Button(T("surveys.button_later"), id="later", on_click=on_later)
    return Dialog(
        Window(
            Template("survey_question.html"),
            Column(choices("choice", "choices", on_choice)),
            Row(
                _one_button("back", "surveys.button_back", "back", on_back),
                _one_button("skip", "surveys.button_skip", "skip", on_skip),
                _one_button("done", "surveys.button_done", "done", on_done),
            ),
            Button(
                T("surveys.button_to_summary"),
                id="to_summary",
                on_click=on_to_summary,
                when="all_done",
            ),
            later,
            MessageInput(on_typed, filter=typed_answer),
            MessageInput(on_not_text, filter=meant_for_form),
            getter=question_getter,
            state=TakeSurvey.question,
        ),
        Window(
            Template("survey_summary.html"),
            Group(choices("edit", "edits", on_edit, numbers=True), width=4),
            Row(choices("page", "paging", on_page, numbers=True)),
            Button(T("surveys.button_submit"), id="submit", on_click=on_submit),
            later,
            MessageInput(on_not_text, filter=meant_for_form),
            getter=summary_getter,
            state=TakeSurvey.summary,
        ),
        on_start=on_start,
    )
