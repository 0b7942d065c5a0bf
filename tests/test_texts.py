"""Every text the code asks for exists in every language, with the same placeholders."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from bot.texts import LOCALES_DIR, Templates, Texts, plain, read_catalog, t
from tests.telegram_limits import LimitViolation, parse_html

ROOT = Path(__file__).resolve().parent.parent
KEY_CALL = re.compile(
    r"""\b(?:t|tn|T|MenuButton|all_translations)\(\s*f?["']([a-z_]+\.[a-z0-9_.]+)["']"""
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
    # `t("broadcast.kind." ~ kind)`: the prefix names a family of keys that exists.
    empty_families = {
        key: where
        for key, where in used.items()
        if key.endswith(".") and not any(k.startswith(key) for k in known)
    }
    assert empty_families == {}


def _template_calls() -> Iterator[tuple[str, str, set[str]]]:
    """(template, key, parameter names) of every `t("…")` and `tn("…", n)` in the templates."""
    env = jinja2.Environment()
    for path in sorted(TEMPLATES_DIR.iterdir()):
        tree = env.parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name in {"t", "tn"}):
                continue
            if call.args and isinstance(call.args[0], nodes.Const):
                params = {kw.key for kw in call.kwargs}
                yield (
                    path.name,
                    call.args[0].value,
                    params | ({"count"} if call.node.name == "tn" else set()),
                )


def test_template_texts_get_the_parameters_they_name() -> None:
    ru = _messages("ru")
    mismatched = {
        (name, key): (params, _placeholders(ru[key]))
        for name, key, params in _template_calls()
        if key in ru and params != _placeholders(ru[key])
    }
    assert mismatched == {}


def test_plural_texts_are_asked_for_with_a_count() -> None:
    plural = {m.id[0] for m in read_catalog(LOCALES_DIR / "ru") if isinstance(m.id, tuple | list)}
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [*ROOT.joinpath("bot").rglob("*.py"), *TEMPLATES_DIR.iterdir()]
    )
    singular_calls = {
        key for key in plural if re.search(rf"""\bt\(\s*["']{re.escape(key)}["']""", code)
    }
    assert singular_calls == set()


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


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_is_html_telegram_accepts(locale: str) -> None:
    """Texts are sent as HTML: a bare «<» or «&» in a text makes Telegram refuse the message
    (the refusal of a name with «<» once said «знаки < и >» and was never shown)."""
    refused: dict[str, str] = {}
    for message in read_catalog(LOCALES_DIR / locale):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        for form in forms:
            filled = form.format(**dict.fromkeys(_placeholders(form), "x"))
            try:
                parse_html(filled)
            except LimitViolation as refusal:
                refused[key] = refusal.description
    assert refused == {}


def test_plain_gives_the_text_telegram_shows_unparsed() -> None:
    """Buttons and the answers to taps are plain text: a name there reads as typed."""
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with texts.context():
        label = plain(t("communities.joined", name="Физика & <Лирика>"))
    assert label == "Вы вступили в сообщество «Физика & <Лирика>»."
