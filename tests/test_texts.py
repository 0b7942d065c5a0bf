"""Every text the code asks for exists in every language, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.texts import LOCALES_DIR, Templates, Texts, read_catalog

ROOT = Path(__file__).resolve().parent.parent
KEY_CALL = re.compile(
    r"""\b(?:t|tn|MenuButton|all_translations)\(\s*f?["']([a-z_]+\.[a-z0-9_.]+)["']"""
)
LOCALES = ("ru", "en")
TEMPLATES_DIR = LOCALES_DIR / "templates"


def _messages(locale: str) -> dict[str, str]:
    catalog = read_catalog(LOCALES_DIR / locale)
    result: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        value = message.string if isinstance(message.string, str) else " ".join(message.string)
        result[key] = value
    return result


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_locales_have_the_same_keys() -> None:
    ru, en = _messages("ru"), _messages("en")
    assert set(ru) - set(en) == set(), "keys missing in English"
    assert set(en) - set(ru) == set(), "keys missing in Russian"


@pytest.mark.parametrize("locale", LOCALES)
def test_no_empty_translation(locale: str) -> None:
    assert [k for k, v in _messages(locale).items() if not v.strip()] == []


def test_placeholders_agree_between_locales() -> None:
    ru, en = _messages("ru"), _messages("en")
    assert {
        k: (_placeholders(ru[k]), _placeholders(en[k]))
        for k in ru
        if _placeholders(ru[k]) != _placeholders(en[k])
    } == {}


def test_every_key_used_in_code_exists() -> None:
    known = set(_messages("ru"))
    used: dict[str, str] = {}
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *TEMPLATES_DIR.iterdir()]:
        for key in KEY_CALL.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, str(path.relative_to(ROOT)))
    dynamic_prefixes = ("role.", "language.", "command.", "cli.settings.")
    missing = {
        key: where
        for key, where in used.items()
        if key not in known and not key.endswith(".") and not key.startswith(dynamic_prefixes)
    }
    assert missing == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_templates_are_shared_by_every_language(locale: str) -> None:
    """One template per screen: a language differs by its texts, never by a copy of the logic."""
    assert not (LOCALES_DIR / locale / "templates").exists()


def test_template_escapes_user_text() -> None:
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    templates = Templates(LOCALES_DIR, texts.available_locales)

    class Request:
        id = 7
        full_name = "<script>alert(1)</script>"
        subject = None

    with texts.context():
        rendered = templates.render("join_request.html", "ru", request=Request(), school=None)
    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered
