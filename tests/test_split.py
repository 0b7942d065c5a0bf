"""Long texts reach Telegram in pieces it takes: `split_text` and the guard on every request."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendDocument, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import create_bot
from bot.delivery.split import split_text, visible_length
from config.settings import Settings
from tests.conftest import TEST_TOKEN
from tests.recording_session import RecordingSession
from tests.telegram_limits import parse_html, utf16_length


def test_a_text_that_fits_is_left_as_it_is() -> None:
    text = "<b>Заголовок</b>\n" + "&lt;" * 4000
    assert split_text(text) == [text]


def test_long_html_is_cut_at_line_ends_into_valid_parts() -> None:
    line = "• <b>Сообщество «Инфомир»</b> — участников: 12 &amp; ещё"
    text = "<i>Список</i>\n" + "\n".join([line] * 200)
    parts = split_text(text)
    assert len(parts) > 1
    for part in parts:
        shown = parse_html(part)  # valid HTML, as Telegram parses it
        assert 0 < utf16_length(shown) <= 4096
    # Nothing lost, cut only between lines.
    assert "\n".join(parse_html(p) for p in parts) == parse_html(text)


def test_a_tag_open_across_a_cut_is_closed_and_opened_again() -> None:
    text = "<b>" + "слово " * 1500 + "</b>"
    parts = split_text(text)
    assert len(parts) == 3
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)
    assert all(visible_length(p) <= 4096 for p in parts)
    parse_html("".join(parts))


def test_emoji_count_twice_and_entities_are_not_cut() -> None:
    parts = split_text("👍" * 3000)
    assert [utf16_length(p) for p in parts] == [4096, 1904]
    parts = split_text("&amp;" * 5000)
    assert all(parse_html(p) for p in parts)
    assert sum(visible_length(p) for p in parts) == 5000


def settings() -> Settings:
    return Settings(_env_file=None, bot_token=TEST_TOKEN, database_url="sqlite+aiosqlite://")  # type: ignore[call-arg]


async def test_whatever_sends_a_text_never_sends_more_than_telegram_takes() -> None:
    """The guard of `create_bot`: a long message goes in parts (buttons on the last), an edit,
    a caption and a callback answer are shortened; the fake Bot API refuses nothing."""
    api = RecordingSession()
    bot = create_bot(settings(), session=api)
    buttons = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]
    )
    long_text = "\n".join(f"<b>{n}.</b> строка &lt;{n}&gt;" + " текст" * 10 for n in range(300))

    await bot.send_message(1, long_text, reply_markup=buttons)
    await bot.edit_message_text(long_text, chat_id=1, message_id=5)
    await bot.send_document(1, BufferedInputFile(b"x", "a.xlsx"), caption="я" * 2000)
    await bot.answer_callback_query("q", text="Заявка принята: " + "Я" * 300)
    await bot.send_message(1, "1 < 2 " * 1000, parse_mode=None)

    assert api.limit_violations == []
    sent = [r for r in api.requests if isinstance(r, SendMessage)]
    html_parts = [r for r in sent if r.parse_mode is not None]
    plain_parts = [r.text for r in sent if r.parse_mode is None]
    assert len(html_parts) > 1
    assert [r.reply_markup for r in html_parts] == [None] * (len(html_parts) - 1) + [buttons]
    assert "\n".join(parse_html(r.text) for r in html_parts) == parse_html(long_text)
    # Plain text is counted as it is, its "<" being no tag.
    assert [len(p) for p in plain_parts] == [4095, 1903]
    edit = next(r for r in api.requests if isinstance(r, EditMessageText))
    assert edit.text.endswith("…") and visible_length(edit.text) <= 4096
    document = next(r for r in api.requests if isinstance(r, SendDocument))
    assert document.caption is not None and len(document.caption) == 1024
    answer = next(r for r in api.requests if isinstance(r, AnswerCallbackQuery))
    assert answer.text is not None and len(answer.text) == 200 and answer.text.endswith("…")
    await bot.session.close()
