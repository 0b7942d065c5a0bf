"""The fake Bot API refuses what Telegram refuses: the checks of `tests/telegram_limits.py`."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from tests.conftest import TEST_TOKEN
from tests.recording_session import RecordingSession
from tests.telegram_limits import LimitViolation, check_method, parse_html, utf16_length

ACCEPTED_HTML = [
    ("plain text", "plain text"),
    ("<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em>", "bold s i e"),
    ("<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del>", "uiskd"),
    ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
    ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link"),
    ("<code>x &lt; y</code>", "x < y"),
    ('<pre><code class="language-python">print(1)</code></pre>', "print(1)"),
    ("<blockquote>q</blockquote><blockquote expandable>long</blockquote>", "qlong"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("&lt;tag&gt; &amp; &quot;quoted&quot; &#60; &#x3C;", '<tag> & "quoted" < <'),
    ("a > b, bare greater-than is fine", "a > b, bare greater-than is fine"),
    ("<B>upper case tags</B>", "upper case tags"),
    ("<b><i>nested</i></b>", "nested"),
]

REFUSED_HTML = [
    ("1 < 2", "Unsupported start tag"),
    ("В названии нельзя использовать знаки < и >.", "Unsupported start tag"),
    ("<script>x</script>", 'Unsupported start tag "script"'),
    ("<br>", 'Unsupported start tag "br"'),
    ("<p>para</p>", 'Unsupported start tag "p"'),
    ("<b>never closed", "Can't find end tag"),
    ("</b>", "Unexpected end tag"),
    ("<b><i>crossed</b></i>", "Unmatched end tag"),
    ("<b", "Unclosed start tag"),
    ("Tom & Jerry", 'unescaped "&"'),
    ("&nbsp;", 'unescaped "&"'),
    ('<span class="other">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ('<code class="language-python">x</code>', 'Tag "code" may have class'),
    ("<tg-emoji>👍</tg-emoji>", 'Tag "tg-emoji" must have attribute'),
]


@pytest.mark.parametrize(("html_text", "shown"), ACCEPTED_HTML)
def test_html_telegram_accepts_is_accepted_and_read_as_shown(html_text: str, shown: str) -> None:
    assert parse_html(html_text) == shown


@pytest.mark.parametrize(("html_text", "reason"), REFUSED_HTML)
def test_html_telegram_refuses_is_refused_with_its_reason(html_text: str, reason: str) -> None:
    with pytest.raises(LimitViolation) as refused:
        parse_html(html_text)
    assert refused.value.description.startswith("Bad Request: can't parse entities: ")
    assert reason in refused.value.description


def test_the_refusal_names_the_byte_offset_like_telegram() -> None:
    with pytest.raises(LimitViolation, match="at byte offset 9"):
        parse_html("Ёжик < 2")  # Ё, ж, и, к are two bytes each in UTF-8, the space one


def test_length_counts_utf16_code_units() -> None:
    assert utf16_length("abc") == 3
    assert utf16_length("ёжик") == 4
    assert utf16_length("👍") == 2


HTML = DefaultBotProperties(parse_mode=ParseMode.HTML)["parse_mode"]


def send(text: str, **kwargs: object) -> SendMessage:
    return SendMessage(chat_id=1, text=text, **kwargs)  # type: ignore[arg-type]


def refusal(method: TelegramMethod[object], parse_mode: str | None = HTML) -> str | None:
    try:
        check_method(method, parse_mode)
    except LimitViolation as violation:
        return violation.description
    return None


def test_message_text_may_be_4096_characters_after_parsing_and_no_more() -> None:
    assert refusal(send("я" * 4096)) is None
    # Tags and entities do not count: Telegram measures the text after parsing.
    assert refusal(send("<b>" + "&lt;" * 4096 + "</b>")) is None
    assert refusal(send("я" * 4097)) == "Bad Request: message is too long"
    # An emoji outside the basic plane is two UTF-16 code units.
    assert refusal(send("👍" * 2048)) is None
    assert refusal(send("👍" * 2048 + "a")) == "Bad Request: message is too long"
    assert refusal(EditMessageText(chat_id=1, message_id=2, text="я" * 4097)) == (
        "Bad Request: message is too long"
    )


def test_message_text_must_not_be_empty() -> None:
    assert refusal(send("")) == "Bad Request: message text is empty"
    assert refusal(send("<b> </b>")) == "Bad Request: message text is empty"


def test_plain_text_is_not_parsed() -> None:
    assert refusal(send("1 < 2 & 3", parse_mode=None), parse_mode=HTML) is None
    assert refusal(send("1 < 2 & 3"), parse_mode=None) is None
    assert refusal(send("1 < 2 & 3")) is not None


def test_captions_may_be_1024_characters() -> None:
    document = BufferedInputFile(b"x", filename="report.xlsx")
    assert refusal(SendDocument(chat_id=1, document=document, caption="я" * 1024)) is None
    for method in (
        SendDocument(chat_id=1, document=document, caption="я" * 1025),
        SendPhoto(chat_id=1, photo=document, caption="я" * 1025),
        EditMessageCaption(chat_id=1, message_id=2, caption="я" * 1025),
    ):
        assert refusal(method) == "Bad Request: message caption is too long"
    assert (refusal(SendDocument(chat_id=1, document=document, caption="a < b")) or "").startswith(
        "Bad Request: can't parse entities"
    )


def test_callback_answers_may_be_200_characters_of_plain_text() -> None:
    assert refusal(AnswerCallbackQuery(callback_query_id="1", text="я" * 200)) is None
    assert refusal(AnswerCallbackQuery(callback_query_id="1", text="<b> & <")) is None
    assert refusal(AnswerCallbackQuery(callback_query_id="1", text="я" * 201)) == (
        "Bad Request: MESSAGE_TOO_LONG"
    )


def keyboard(text: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)]]
    )


def test_inline_buttons_need_a_text_and_at_most_64_bytes_of_data() -> None:
    assert refusal(send("x", reply_markup=keyboard("ok", "d" * 64))) is None
    assert refusal(send("x", reply_markup=keyboard("ok", "ж" * 33))) == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    assert refusal(send("x", reply_markup=keyboard(" ", "d"))) == (
        "Bad Request: BUTTON_TEXT_INVALID"
    )
    # Every method's markup is checked, an edit of the buttons alone too.
    edit = EditMessageReplyMarkup(chat_id=1, message_id=2, reply_markup=keyboard("ok", "d" * 65))
    assert refusal(edit) == "Bad Request: BUTTON_DATA_INVALID"


def test_reply_keyboard_buttons_need_a_text() -> None:
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="")]])
    assert refusal(send("x", reply_markup=markup)) == "Bad Request: BUTTON_TEXT_INVALID"


async def test_the_session_refuses_like_telegram_and_lists_the_refusal() -> None:
    api = RecordingSession()
    bot = Bot(TEST_TOKEN, session=api, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    await bot.send_message(1, "fine &lt;")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(1, "bare < here")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(1, "я" * 5000)
    assert api.limit_violations == [
        'SendMessage: Bad Request: can\'t parse entities: Unsupported start tag "" at byte '
        "offset 5",
        "SendMessage: Bad Request: message is too long",
    ]
