"""Texts and screens as a new user meets them: every text reads well with real names in it, and
each role's main screens say what the bot really does, in Russian and in English."""

from __future__ import annotations

import re
import string

import pytest

from bot.texts import LOCALES_DIR, read_catalog

LOCALES = ("ru", "en")
TEMPLATES_DIR = LOCALES_DIR / "templates"
# Names with initials end with a period: «Мельников А.П.».
NAME = "Мельников А.П."
# Placeholders that only ever hold numbers, dates («04.03.2025») or a setting's name, which never
# end with a period; every other one is filled with a name, the worst case for a sentence that
# goes on after it.
NOT_NAMES = {
    "answered", "assignments", "average", "columns", "communities", "count", "covered", "current",
    "days", "done", "end", "escalate", "hours", "id", "length", "limit", "max", "max_hours",
    "max_mb", "mb", "members", "min", "minutes", "municipalities", "number", "outcome_max",
    "people", "percent", "remind", "revision", "row", "rows", "schools", "sent", "shown",
    "skipped", "start", "total", "whole_school",
    "date", "expires", "moment", "month", "since", "until", "field",
}  # fmt: skip


def _texts(locale: str) -> list[tuple[str, str]]:
    """Every text of the catalogue, each plural form on its own."""
    found: list[tuple[str, str]] = []
    for message in read_catalog(LOCALES_DIR / locale):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        found.extend((key, form) for form in forms)
    return found


def _with_names(text: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return text.format(**{f: "7" if f in NOT_NAMES else NAME for f in fields})


@pytest.mark.parametrize("locale", LOCALES)
def test_no_text_doubles_the_period_after_a_name(locale: str) -> None:
    doubled = [
        (key, rendered)
        for key, text in _texts(locale)
        # «ABC...» in an example token is the text's own: only a period the name brings counts.
        if (rendered := _with_names(text)).count("..") > text.count("..")
    ]
    assert doubled == []


def test_no_template_puts_a_period_after_a_value() -> None:
    """A template sentence that ends with a value then a period doubles it for «А.П.»."""
    # A list's numbers («1. …») are fine: they never end with a period.
    after_value = re.compile(r"(?<!loop\.index )\}\}\.")
    found = [
        (path.name, line)
        for path in sorted(TEMPLATES_DIR.iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if after_value.search(line)
    ]
    assert found == []


# Russian nouns that need a name in the dative or genitive after them: a name there would have
# to be declined («наставнику Мельникову»), which the bot cannot do; texts phrase around it
# («Наставник: Мельников А.П.»).
CASE_WORDS = re.compile(
    r"(?:наставнику|наставника|педагогу|педагога|учителю|учителя|координатору|координатора"
    r"|\bот|\bдля|\bк|\bу)\s+\{(\w+)\}",
    re.IGNORECASE,
)


def test_no_russian_text_needs_a_name_declined() -> None:
    assert [
        (key, text)
        for key, text in _texts("ru")
        if any(field not in NOT_NAMES for field in CASE_WORDS.findall(text))
    ] == []
