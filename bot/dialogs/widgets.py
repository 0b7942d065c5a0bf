"""Texts of dialog windows from `locales/`: the same keys and templates the rest of the bot uses,
so a window is translated and escaped like any other message."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.text import Text

from bot.texts import Templates, t


class T(Text):
    """The text under `key`; `fields` name the window data that fill its placeholders, and
    `renamed` fills a placeholder from data of another name (`max="topic_max"`); values are
    HTML-escaped by `t`. Also for button labels: `T("consultations.button_save")`."""

    def __init__(self, key: str, *fields: str, when: Any = None, **renamed: str) -> None:
        super().__init__(when=when)
        self.key = key
        self.sources = {name: name for name in fields} | renamed

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return t(self.key, **{name: data[source] for name, source in self.sources.items()})


class Template(Text):
    """A jinja2 template from `locales/`, rendered with the window's data."""

    def __init__(self, name: str, when: Any = None) -> None:
        super().__init__(when=when)
        self.name = name

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return render(manager, self.name, **data)


def render(manager: DialogManager, name: str, **data: Any) -> str:
    """A template from `locales/templates/` in the person's language."""
    templates: Templates = manager.middleware_data["templates"]
    return templates.render(name, manager.middleware_data["i18n"].current_locale, **data)
