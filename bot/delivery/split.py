"""Telegram takes at most 4096 characters of text in one message."""

from __future__ import annotations

import html
import re

TELEGRAM_TEXT_LIMIT = 4096
HTML_TAG = re.compile(r"<[^>]*>")


def visible_length(html_text: str) -> int:
    """The length Telegram checks: after the HTML formatting is applied, so neither tags nor
    the escaping of "<" and "&" count against the limit."""
    return len(html.unescape(HTML_TAG.sub("", html_text)))


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut at line breaks where there are any (then at
    spaces, then anywhere), so a long announcement reads naturally across messages."""
    if visible_length(text) <= limit:
        # Fits as Telegram counts it; cutting the markup apart would only risk a broken tag.
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts
