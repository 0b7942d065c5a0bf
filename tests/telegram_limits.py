"""Telegram's limits on what a bot sends, as the fake Bot API session checks them.

What Telegram refuses with 400 Bad Request, checked the way Telegram checks it:
- message text 1..4096 characters, captions up to 1024, callback-query answers up to 200,
  all counted after the HTML is parsed and in UTF-16 code units (an emoji outside the basic
  plane counts twice);
- inline buttons: a text, and callback data of at most 64 bytes of UTF-8;
- with parse mode HTML, only the tags Telegram knows, properly nested and closed, and every
  `<` and `&` of the text escaped (&lt; &gt; &amp; &quot; and numeric entities).

The HTML rules follow Telegram's parser (tdlib `parse_html`), with one deliberate strictness:
Telegram keeps a bare `&` that starts no entity as it is, but «AT&T;» would silently lose its
text, so here every `&` must be escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiogram.client.default import Default
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_LIMIT = 64

# Tag → the attributes Telegram reads from it (others are ignored, as Telegram does).
SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_TAG_NAME = re.compile(r"[^\s>]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z_-]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


class LimitViolation(Exception):
    """What Telegram would answer: the description of its 400 Bad Request."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def utf16_length(text: str) -> int:
    """Telegram's length: UTF-16 code units."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entities(whole: str, start: int, end: int) -> str:
    """Text between tags with its entities decoded; a bare `&` is refused."""
    out: list[str] = []
    i = start
    while i < end:
        ch = whole[i]
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        match = _ENTITY.match(whole, i, end)
        decoded: str | None = None
        if match is not None:
            decimal, hexadecimal, name = match.groups()
            if decimal is not None:
                decoded = _code_point(int(decimal))
            elif hexadecimal is not None:
                decoded = _code_point(int(hexadecimal, 16))
            else:
                decoded = _NAMED_ENTITIES.get(name)
        if match is None or decoded is None:
            raise LimitViolation(
                'Bad Request: can\'t parse entities: unescaped "&" at byte offset '
                f"{_byte_offset(whole, i)}"
            )
        out.append(decoded)
        i = match.end()
    return "".join(out)


def _code_point(value: int) -> str | None:
    if value == 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return None
    return chr(value)


@dataclass
class _Open:
    tag: str
    offset: int


def parse_html(html_text: str) -> str:
    """The text Telegram shows for `html_text`; raises LimitViolation where Telegram's parser
    refuses it (wording as Telegram's)."""
    text: list[str] = []
    stack: list[_Open] = []
    i = 0
    n = len(html_text)
    while i < n:
        lt = html_text.find("<", i)
        if lt == -1:
            text.append(_decode_entities(html_text, i, n))
            break
        text.append(_decode_entities(html_text, i, lt))
        offset = _byte_offset(html_text, lt)
        refuse = "Bad Request: can't parse entities: "
        if html_text.startswith("/", lt + 1):
            gt = html_text.find(">", lt)
            if gt == -1:
                raise LimitViolation(refuse + f"Unclosed end tag at byte offset {offset}")
            name = html_text[lt + 2 : gt].strip().lower()
            if not stack:
                raise LimitViolation(refuse + f"Unexpected end tag at byte offset {offset}")
            if name != stack[-1].tag:
                raise LimitViolation(
                    refuse + f"Unmatched end tag at byte offset {offset}, "
                    f'expected "</{stack[-1].tag}>", found "</{name}>"'
                )
            stack.pop()
        else:
            # As Telegram reads it: the name runs to a space or ">", then come attributes.
            name_end = _TAG_NAME.match(html_text, lt + 1).end()  # type: ignore[union-attr]
            if name_end == n:
                raise LimitViolation(refuse + f"Unclosed start tag at byte offset {offset}")
            name = html_text[lt + 1 : name_end].lower()
            if name not in SUPPORTED_TAGS:
                raise LimitViolation(
                    refuse + f'Unsupported start tag "{name}" at byte offset {offset}'
                )
            gt = html_text.find(">", name_end)
            if gt == -1:
                raise LimitViolation(refuse + f"Unclosed start tag at byte offset {offset}")
            attributes = _attributes(html_text[name_end:gt], offset)
            _check_attributes(name, attributes, stack, offset)
            stack.append(_Open(name, offset))
        i = gt + 1
    if stack:
        raise LimitViolation(
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].tag}"'
        )
    return "".join(text)


def _attributes(rest: str, offset: int) -> dict[str, str]:
    attributes: dict[str, str] = {}
    position = 0
    rest = rest.rstrip().removesuffix("/")
    while position < len(rest.rstrip()):
        match = _ATTRIBUTE.match(rest, position)
        if match is None or match.end() == position:
            raise LimitViolation(
                "Bad Request: can't parse entities: Expected equal sign in declaration of an "
                f"attribute of the tag at byte offset {offset}"
            )
        name, value = match.group(1).lower(), match.group(2) or ""
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        attributes[name] = _decode_entities(value, 0, len(value))
        position = match.end()
    return attributes


def _check_attributes(
    tag: str, attributes: dict[str, str], stack: list[_Open], offset: int
) -> None:
    refuse = "Bad Request: can't parse entities: "
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        raise LimitViolation(
            refuse + f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
        )
    if tag == "tg-emoji" and not attributes.get("emoji-id"):
        raise LimitViolation(
            refuse + f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
        )
    inside_pre = bool(stack) and stack[-1].tag == "pre"
    if (
        tag == "code"
        and "class" in attributes
        and not (inside_pre and attributes["class"].startswith("language-"))
    ):
        raise LimitViolation(
            refuse + 'Tag "code" may have class "language-…" only inside '
            f'"pre", at byte offset {offset}'
        )


# --- the methods ---------------------------------------------------------------------------


def _parse_mode(method: TelegramMethod[Any], default_parse_mode: str | None) -> str | None:
    mode = getattr(method, "parse_mode", None)
    if isinstance(mode, Default):
        return default_parse_mode
    return mode if isinstance(mode, str) else None


def shown_text(raw: str, parse_mode: str | None, has_entities: bool) -> str:
    """What the person reads of `raw`, parsed as Telegram would."""
    if has_entities or parse_mode is None:
        return raw
    if parse_mode.lower() == "html":
        return parse_html(raw)
    # Markdown is not used by this bot; its text is counted as it is.
    return raw


def check_method(method: TelegramMethod[Any], default_parse_mode: str | None) -> None:
    """Raises LimitViolation where Telegram would refuse `method`."""
    parse_mode = _parse_mode(method, default_parse_mode)
    if isinstance(method, (SendMessage, EditMessageText)):
        shown = shown_text(method.text, parse_mode, bool(method.entities))
        if not shown.strip():
            raise LimitViolation("Bad Request: message text is empty")
        if utf16_length(shown) > TEXT_LIMIT:
            raise LimitViolation("Bad Request: message is too long")
    caption = getattr(method, "caption", None)
    if isinstance(caption, str):
        shown = shown_text(caption, parse_mode, bool(getattr(method, "caption_entities", None)))
        if utf16_length(shown) > CAPTION_LIMIT:
            raise LimitViolation("Bad Request: message caption is too long")
    # A callback answer is plain text (no parse mode); Telegram answers with its internal code.
    if (
        isinstance(method, AnswerCallbackQuery)
        and method.text is not None
        and utf16_length(method.text) > CALLBACK_ANSWER_LIMIT
    ):
        raise LimitViolation("Bad Request: MESSAGE_TOO_LONG")
    _check_markup(getattr(method, "reply_markup", None))


def _check_markup(markup: object) -> None:
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if not button.text.strip():
                    raise LimitViolation("Bad Request: BUTTON_TEXT_INVALID")
                data = button.callback_data
                if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                    raise LimitViolation("Bad Request: BUTTON_DATA_INVALID")
    elif isinstance(markup, ReplyKeyboardMarkup):
        for keyboard_row in markup.keyboard:
            for key in keyboard_row:
                if not key.text.strip():
                    raise LimitViolation("Bad Request: BUTTON_TEXT_INVALID")
