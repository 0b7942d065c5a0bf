"""Buttons of questions (обращения): for the tutor's card, the teacher's answer, the coordinator's
queue, ratings and the tutor's «away» dialog."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ConsultationCb, QuestionCb
from bot.keyboards import short_label
from bot.services.question_assignment import TutorChoice
from bot.texts import t
from storage.models import Person

# Telegram refuses a keyboard of more than 100 buttons; two per thread plus one spare row.
# Threads beyond it are still listed in the text and answered by replying to their message.
THREADS_WITH_BUTTONS_MAX = 45


def _button(text: str, action: str, thread_id: int = 0, value: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=QuestionCb(action=action, thread_id=thread_id, value=value).pack()
    )


def tutor_card_keyboard(thread_id: int, locale: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("questions.button_answer", locale=locale), "answer", thread_id),
                _button(t("questions.button_open", locale=locale), "open", thread_id),
            ],
            [
                InlineKeyboardButton(
                    text=t("questions.button_to_consultation", locale=locale),
                    callback_data=ConsultationCb(action="from_thread", value=thread_id).pack(),
                )
            ],
        ]
    )


def close_keyboard(thread_id: int, locale: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("questions.button_close", locale=locale), "close", thread_id)]]
    )


def assign_keyboard(thread_id: int, locale: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("questions.button_assign", locale=locale), "assign", thread_id),
                _button(t("questions.button_open", locale=locale), "open", thread_id),
            ]
        ]
    )


def tutors_keyboard(thread_id: int, choices: Sequence[TutorChoice]) -> InlineKeyboardMarkup:
    """A button per tutor; one a question would not reach now is marked (see the text)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    short_label(
                        (choice.tutor.full_name or "—")
                        if choice.reachable
                        else t("questions.tutor_not_in_bot", name=choice.tutor.full_name or "—")
                    ),
                    "assign_to",
                    thread_id,
                    choice.tutor.id,
                )
            ]
            for choice in choices
        ]
    )


def rating_keyboard(thread_id: int, locale: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button("⭐" * score, "rate", thread_id, score) for score in range(1, 4)],
            [_button("⭐" * score, "rate", thread_id, score) for score in range(4, 6)],
        ]
    )


def skip_comment_keyboard(thread_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("questions.button_skip"), "skip_comment", thread_id)]]
    )


def tutor_list_keyboard(thread_ids: Sequence[int], *, away: bool) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(t("questions.button_open_n", number=thread_id), "open", thread_id),
            _button(t("questions.button_answer_n", number=thread_id), "answer", thread_id),
        ]
        for thread_id in thread_ids[:THREADS_WITH_BUTTONS_MAX]
    ]
    rows.append(
        [_button(t("questions.button_back"), "back")]
        if away
        else [_button(t("questions.button_away"), "away")]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def substitutes_keyboard(candidates: Sequence[Person]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(short_label(person.full_name or "—"), "substitute", value=person.id)]
            for person in candidates
        ]
    )


def queue_keyboard(thread_ids: Sequence[int]) -> InlineKeyboardMarkup | None:
    if not thread_ids:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("questions.button_assign_n", number=thread_id), "assign", thread_id),
                _button(t("questions.button_open_n", number=thread_id), "open", thread_id),
            ]
            for thread_id in thread_ids[:THREADS_WITH_BUTTONS_MAX]
        ]
    )
