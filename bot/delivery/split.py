"""Telegram's limits on one message, and cutting text to fit them.

Telegram takes at most 4096 characters of text in a message, 1024 in a caption and 200 in a
callback answer, counted after the HTML is parsed and in UTF-16 code units (an emoji outside
the basic plane counts twice). `split_text` cuts a long HTML text into messages that fit, at
line breaks where it can, and keeps each part valid HTML: a tag open across a cut is closed at
its end and opened again at the start of the next part. `KeepWithinLimits` applies this to
every request a bot makes, so whatever sends a text (a reply, the outbox, an edit, a dialog)
never sends more than Telegram takes.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    Response,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
TELEGRAM_CALLBACK_ANSWER_LIMIT = 200
ELLIPSIS = "…"

# A tag, an entity, or one character: the pieces a cut may fall between.
_PIECE = re.compile(r"<[^>]*>|&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);|.", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def units(text: str) -> int:
    """Telegram's length of plain text: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def visible_length(html_text: str) -> int:
    """The length Telegram checks: after the HTML formatting is applied, so neither tags nor
    the escaping of "<" and "&" count against the limit."""
    return units(html.unescape(_TAG.sub("", html_text)))


@dataclass(frozen=True)
class _Piece:
    raw: str
    length: int  # what it counts against the limit
    opens: str | None = None  # a start tag: its name
    closes: str | None = None  # an end tag: its name


def _pieces(text: str, *, markup: bool) -> list[_Piece]:
    if not markup:
        return [_Piece(ch, units(ch)) for ch in text]
    pieces: list[_Piece] = []
    for match in _PIECE.finditer(text):
        raw = match.group()
        if raw.startswith("</"):
            pieces.append(_Piece(raw, 0, closes=raw[2:-1].strip().lower()))
        elif raw.startswith("<") and len(raw) > 1:
            name = raw[1:-1].split(maxsplit=1)[0].lower() if raw[1:-1].strip() else ""
            pieces.append(_Piece(raw, 0, opens=name))
        else:
            pieces.append(_Piece(raw, units(html.unescape(raw))))
    return pieces


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT, *, markup: bool = True) -> list[str]:
    """Parts of at most `limit` characters as Telegram counts them, cut at line breaks where
    there are any (then at spaces, then anywhere), so a long text reads naturally across
    messages. With `markup` (HTML, the bot's parse mode) no tag or entity is cut apart and
    each part has its tags balanced."""
    if (visible_length(text) if markup else units(text)) <= limit:
        # Fits as Telegram counts it: sent as it is.
        return [text]
    pieces = _pieces(text, markup=markup)
    parts: list[str] = []
    start = 0
    reopen: list[_Piece] = []
    while start < len(pieces):
        end, still_open = _cut(pieces, start, limit, reopen)
        body = "".join(p.raw for p in [*reopen, *pieces[start:end]])
        closing = "".join(f"</{p.opens}>" for p in reversed(still_open))
        part = _trim_end(body) + closing
        if any(p.length for p in pieces[start:end]) and part.strip():
            parts.append(part)
        reopen = still_open
        start = end
        # The next part does not begin with the line break or space it was cut at.
        while start < len(pieces) and pieces[start].raw in {"\n", " "}:
            start += 1
    return parts or [text[:limit]]


def _cut(
    pieces: Sequence[_Piece], start: int, limit: int, reopened: list[_Piece]
) -> tuple[int, list[_Piece]]:
    """Where the part beginning at `start` ends (exclusive), and the tags open there."""
    stack = list(reopened)
    used = 0
    at_line: tuple[int, list[_Piece]] | None = None
    at_space: tuple[int, list[_Piece]] | None = None
    index = start
    while index < len(pieces):
        piece = pieces[index]
        if used + piece.length > limit:
            break
        used += piece.length
        if piece.opens is not None:
            stack.append(piece)
        elif piece.closes is not None and stack and stack[-1].opens == piece.closes:
            stack.pop()
        if piece.raw == "\n":
            at_line = (index, list(stack))
        elif piece.raw == " ":
            at_space = (index, list(stack))
        index += 1
    else:
        return index, stack
    for candidate in (at_line, at_space):
        if candidate is not None and candidate[0] - start >= (index - start) // 2:
            return candidate
    if index == start:
        # A single piece longer than the limit cannot happen (a piece is one character).
        index += 1
    return index, stack


def _trim_end(text: str) -> str:
    return text.rstrip("\n ")


def shorten(text: str, limit: int, *, markup: bool = True) -> str:
    """`text` if it fits, else its first part with «…» (for a place that holds one part: an
    edit, a caption, a callback answer)."""
    if (visible_length(text) if markup else units(text)) <= limit:
        return text
    first = split_text(text, limit - len(ELLIPSIS), markup=markup)[0]
    return first + ELLIPSIS


class KeepWithinLimits(BaseRequestMiddleware):
    """The last guard of every request: a message text over 4096 characters is sent as several
    messages (the buttons on the last), an edit, a caption or a callback answer over its limit
    is shortened with «…». The places that know their texts may be long cut them themselves
    (the outbox counts its parts, the roster report sends a file); reaching this guard means a
    text nobody expected to be long, so it is logged."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        markup = _is_html(method, bot)
        if isinstance(method, SendMessage):
            parts = split_text(method.text, markup=markup)
            if len(parts) > 1:
                log.warning(
                    "a message of %d characters sent in %d parts", len(method.text), len(parts)
                )
                for part in parts[:-1]:
                    first = method.model_copy(update={"text": part, "reply_markup": None})
                    await make_request(bot, cast("TelegramMethod[TelegramType]", first))
                method = cast(
                    "TelegramMethod[TelegramType]", method.model_copy(update={"text": parts[-1]})
                )
        else:
            method = _shortened(method, markup)
        return await make_request(bot, method)


def _is_html(method: TelegramMethod[Any], bot: Bot) -> bool:
    mode = getattr(method, "parse_mode", None)
    if isinstance(mode, Default):
        mode = bot.default[mode.name]
    has_entities = bool(
        getattr(method, "entities", None) or getattr(method, "caption_entities", None)
    )
    return isinstance(mode, str) and mode.lower() == "html" and not has_entities


def _one_part_limit(method: TelegramMethod[Any], markup: bool) -> tuple[str, int, bool] | None:
    """The field of `method` that must fit in one part, its limit, and whether it is HTML."""
    if isinstance(method, EditMessageText):
        return "text", TELEGRAM_TEXT_LIMIT, markup
    if isinstance(method, AnswerCallbackQuery):
        # A toast is plain text.
        return ("text", TELEGRAM_CALLBACK_ANSWER_LIMIT, False) if method.text else None
    if isinstance(getattr(method, "caption", None), str):
        return "caption", TELEGRAM_CAPTION_LIMIT, markup
    return None


def _shortened(method: TelegramMethod[TelegramType], markup: bool) -> TelegramMethod[TelegramType]:
    found = _one_part_limit(method, markup)
    if found is None:
        return method
    field, limit, is_html = found
    text: str = getattr(method, field)
    short = shorten(text, limit, markup=is_html)
    if short == text:
        return method
    log.warning("%s: %d characters shortened to %d", type(method).__name__, len(text), limit)
    return method.model_copy(update={field: short})
