"""The `nastavnik` command, in-process: migrating, refusing an old schema, settings problems."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from storage import migrate as migrations
from storage.db import create_engine

# Its own SQLite file whatever DATABASE_URL says: run once, in the SQLite suite.
pytestmark = pytest.mark.database_independent

FAKE_TOKEN = "123456:AAE-fake-token-for-the-cli-tests-00000"
OUTER_SETTINGS = (
    "BOT_TOKEN",
    "DATABASE_URL",
    "REDIS_URL",
    "TELEGRAM_API_URL",
    "DEFAULT_LOCALE",
    "WEBHOOK_BASE_URL",
    "WEBHOOK_SECRET",
    "TIMEZONE",
    "BOOTSTRAP_ADMIN_IDS",
    "LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A temp working directory (no .env), a temp SQLite database, and logging restored after."""
    for name in OUTER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield database
    root.handlers[:] = handlers
    root.setLevel(level)


def _revision(database: Path) -> str | None:
    async def read() -> str | None:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        try:
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migrate_upgrades_and_says_so(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0

    head = migrations.head_revision()
    assert head is not None
    assert f"База данных обновлена, версия схемы: {head}" in capsys.readouterr().out
    assert _revision(clean_environment) == head


def test_migrate_speaks_the_configured_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEFAULT_LOCALE", "en")

    assert main(["migrate"]) == 0

    assert "Database upgraded, schema revision:" in capsys.readouterr().out


def test_run_refuses_a_database_not_at_head(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_TOKEN", FAKE_TOKEN)

    assert main(["run"]) == 1

    assert "Схема базы данных устарела (версия -). Выполните: nastavnik migrate" in (
        capsys.readouterr().err
    )
    assert _revision(clean_environment) is None, "nothing was migrated without --migrate"


def test_run_refuses_a_database_behind_by_a_revision(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    head = migrations.head_revision()

    async def stamp_older() -> None:
        # A database some revisions behind looks like this: its version row names another one.
        engine = create_engine(f"sqlite+aiosqlite:///{clean_environment}")
        try:
            async with engine.begin() as connection:
                await connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'old'")
        finally:
            await engine.dispose()

    asyncio.run(stamp_older())
    monkeypatch.setenv("BOT_TOKEN", FAKE_TOKEN)
    capsys.readouterr()

    assert main(["run"]) == 1

    assert head != "old"
    assert "Схема базы данных устарела (версия old)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("environment", "field", "hint"),
    [
        ({}, "BOT_TOKEN", "@BotFather"),
        ({"BOT_TOKEN": "12345"}, "BOT_TOKEN", "@BotFather"),
        ({"BOT_TOKEN": FAKE_TOKEN, "TIMEZONE": "Europe/Atlantis"}, "TIMEZONE", "Atlantis"),
        ({"BOT_TOKEN": FAKE_TOKEN, "DATABASE_URL": "mysql://db/x"}, "DATABASE_URL", "sqlite"),
        ({"BOT_TOKEN": FAKE_TOKEN, "BOOTSTRAP_ADMIN_IDS": "1;2"}, "BOOTSTRAP_ADMIN_IDS", ""),
    ],
)
def test_run_with_bad_settings_prints_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    field: str,
    hint: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert main(["run"]) == 2

    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert field in lines[0]
    assert hint in lines[0]
    assert captured.out == ""


@pytest.mark.parametrize(
    ("environment", "field", "hint"),
    [
        ({}, "WEBHOOK_BASE_URL", "https://"),
        ({"WEBHOOK_BASE_URL": "http://bot.example.org"}, "WEBHOOK_BASE_URL", "https://"),
        (
            {"WEBHOOK_BASE_URL": "https://bot.example.org", "WEBHOOK_SECRET": "short"},
            "WEBHOOK_SECRET",
            "16",
        ),
        (
            {"WEBHOOK_BASE_URL": "https://bot.example.org", "WEBHOOK_SECRET": "пароль" * 5},
            "WEBHOOK_SECRET",
            "16",
        ),
    ],
)
def test_webhook_needs_a_public_https_url_and_a_strong_secret(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    field: str,
    hint: str,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", FAKE_TOKEN)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert main(["webhook"]) == 2

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert field in lines[0]
    assert hint in lines[0]
    assert not clean_environment.exists(), "the database is not touched"


@pytest.mark.parametrize("command", ["migrate", "run"])
def test_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", FAKE_TOKEN)
    # Port 1 on this machine refuses at once: no PostgreSQL listens there.
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@127.0.0.1:1/nastavnik")

    assert main([command]) == 2

    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "Не удаётся подключиться к базе данных из DATABASE_URL: проверьте адрес, имя "
        "пользователя и что сервер базы данных запущен."
    ]
