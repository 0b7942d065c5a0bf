"""Every word the bot says comes from `locales/`.

`locales/<lang>/*.po` hold short texts under symbolic keys (`menu.communities`); all files of a
language are merged into one catalogue at start-up, so each feature keeps its own file.
`locales/templates/` hold the longer messages as jinja2 templates (autoescaped), one per screen
for every language: their words come from the catalogue through `t()` and `tn()`, so a template's
logic is written once.
`t()` escapes every parameter, so user text can never break the HTML of a message.
"""

from __future__ import annotations

import functools
import gettext
import html
import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import jinja2
from aiogram.utils.i18n import I18n
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from markupsafe import Markup

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def read_catalog(locale_dir: Path) -> Catalog:
    """All `.po` files of one language as one catalogue; a key defined twice is an error."""
    merged = Catalog(locale=locale_dir.name)
    for po_path in sorted(locale_dir.glob("*.po")):
        with po_path.open("rb") as fp:
            part = read_po(fp, locale=locale_dir.name)
        for message in part:
            if not message.id:
                continue
            if message.id in merged:
                raise ValueError(f"{po_path}: key {message.id!r} is defined twice")
            merged[message.id] = message
    return merged


def _compiled(locale_dir: Path) -> bytes | None:
    """A language's `.po` files compiled into `.mo` bytes (None: no texts), once a process for
    as long as the files stay the same: every dispatcher a test or a benchmark builds would
    otherwise parse them all again."""
    files = tuple(
        (path.name, stat.st_mtime_ns, stat.st_size)
        for path in sorted(locale_dir.glob("*.po"))
        for stat in (path.stat(),)
    )
    return _compile(locale_dir, files)


@functools.lru_cache(maxsize=16)
def _compile(locale_dir: Path, _files: tuple[tuple[str, int, int], ...]) -> bytes | None:
    catalog = read_catalog(locale_dir)
    if not len(catalog):
        return None
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


class Texts(I18n):
    """aiogram's I18n reading `.po` sources directly (no compiled `.mo` files in the repo)."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for locale_dir in sorted(p for p in self.path.iterdir() if any(p.glob("*.po"))):
            compiled = _compiled(locale_dir)
            if compiled is not None:
                translations[locale_dir.name] = gettext.GNUTranslations(io.BytesIO(compiled))
        return translations

    def keys(self, locale: str) -> set[str]:
        return {
            m.id if isinstance(m.id, str) else m.id[0]
            for m in read_catalog(self.path / locale)
            if m.id
        }


def _escaped(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: html.escape(value, quote=False) if isinstance(value, str) else value
        for name, value in params.items()
    }


def t(key: str, /, *, locale: str | None = None, **params: Any) -> str:
    """The text under `key` in the current (or given) locale, parameters HTML-escaped."""
    text = Texts.get_current(no_error=False).gettext(key, locale=locale)
    return text.format(**_escaped(params)) if params else text


def tn(key: str, count: int, /, *, locale: str | None = None, **params: Any) -> str:
    """Plural form of `key` for `count` (`{count}` is available to the text)."""
    text = Texts.get_current(no_error=False).gettext(key, key, count, locale=locale)
    return text.format(count=count, **_escaped(params))


def plain(text: str) -> str:
    """A text for where Telegram shows it unparsed (a button, the answer to a tap, a file
    name): `t()` escapes its parameters for HTML, here they read as typed."""
    return html.unescape(text)


def all_translations(key: str) -> frozenset[str]:
    """The text of `key` in every locale: what a menu button may say, whatever the language.
    (Asked for every message by the menu filters, so each key is looked up once per process.)"""
    return _all_translations(Texts.get_current(no_error=False), key)


@functools.cache
def _all_translations(texts: Texts, key: str) -> frozenset[str]:
    return frozenset(texts.gettext(key, locale=locale) for locale in texts.available_locales)


def format_number(value: int | float, locale: str) -> str:
    """1240 as «1 240» in Russian and «1,240» in English."""
    return str(format_decimal(value, locale=locale))


def format_moment(value: datetime, tz: tzinfo, locale: str) -> str:
    return str(format_datetime(value.astimezone(tz), "dd.MM.yyyy HH:mm", locale=locale))


def format_month(value: date, locale: str) -> str:
    """A month as a person says it: «март 2025», «March 2025»."""
    return str(format_date(value, "LLLL yyyy", locale=locale))


def _markup(text: str, params: Mapping[str, Any]) -> Markup:
    """A catalogue text inside a template: parameters escaped the way jinja2 escapes them."""
    return Markup(text).format(**params) if params else Markup(text)


class Templates:
    """One jinja2 template per screen, shared by every locale, with autoescape.

    Inside a template `t(key, **params)` and `tn(key, count, **params)` give the catalogue's
    text in the template's locale (markup from the catalogue kept, parameters escaped);
    the filters `number`, `datetime` and `month` format for that locale.
    """

    def __init__(self, locales_dir: Path, locales: Iterable[str]) -> None:
        self._envs = {locale: _environment(locales_dir, locale) for locale in locales}

    def render(self, name: str, locale: str, **context: Any) -> str:
        env = self._envs.get(locale) or next(iter(self._envs.values()))
        return env.get_template(name).render(**context).strip()


@functools.lru_cache(maxsize=16)
def _environment(locales_dir: Path, locale: str) -> jinja2.Environment:
    """One environment a directory and locale, shared by every `Templates` of the process, so
    each template is compiled once (jinja2 still reloads a template whose file changed). It
    holds no state of its own: the texts come from the current `Texts`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(locales_dir / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["t"] = lambda key, _locale=locale, **kw: _markup(
        Texts.get_current(no_error=False).gettext(key, locale=_locale), kw
    )
    env.globals["tn"] = lambda key, count, _locale=locale, **kw: _markup(
        Texts.get_current(no_error=False).gettext(key, key, count, locale=_locale),
        {"count": count, **kw},
    )
    env.filters["number"] = lambda value, _locale=locale: format_number(value, _locale)
    env.filters["datetime"] = lambda value, tz, _locale=locale: format_moment(value, tz, _locale)
    env.filters["month"] = lambda value, _locale=locale: format_month(value, _locale)
    return env
