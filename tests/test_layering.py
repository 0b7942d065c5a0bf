"""The layers stay apart: domain services and storage know nothing of Telegram.

Services take and return plain data; sending, copying and editing live in handlers and
`bot/transport/`. Handlers call services, never a repository. Storage knows nothing of the bot
at all. So the same rules could run on another messenger (MAX) behind a different transport.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_FACING = ("aiogram", "bot.handlers", "bot.keyboards", "bot.transport", "bot.updates")
# Handlers ask services; the queries stay behind them.
QUERIES = ("storage.repositories",)
RULES = {
    "bot/services": TELEGRAM_FACING,
    "storage": ("aiogram", "bot"),
    "bot/handlers": QUERIES,
    "bot/dialogs": QUERIES,
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def forbidden(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_nothing_it_must_not(layer: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "migrations/versions" not in path.as_posix()
        for module in sorted(imported_modules(path))
        if forbidden(module, RULES[layer])
    ]
    assert offenders == []


def test_the_rule_notices_an_offender(tmp_path: Path) -> None:
    offender = tmp_path / "service.py"
    offender.write_text("from aiogram.types import Message\nimport bot.handlers.menu\n")
    modules = imported_modules(offender)
    assert [m for m in sorted(modules) if forbidden(m, TELEGRAM_FACING)] == [
        "aiogram.types",
        "bot.handlers.menu",
    ]


def test_the_handler_rule_notices_a_repository(tmp_path: Path) -> None:
    offender = tmp_path / "handler.py"
    offender.write_text(
        "from bot.services import scope\n"
        "from storage.models import Person\n"
        "from storage.repositories.places import PlacesRepo\n"
    )
    modules = imported_modules(offender)
    assert [m for m in sorted(modules) if forbidden(m, QUERIES)] == ["storage.repositories.places"]
