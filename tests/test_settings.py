"""Settings read from the environment, and the one-line errors operators see for bad ones."""

from __future__ import annotations

import pytest

from config.settings import DEFAULT_SQLITE_URL, Settings, SettingsError, load_settings

TOKEN = "123456:AAE-fake-token-for-the-settings-tests-0"
SETTING_NAMES = (
    "BOT_TOKEN",
    "DATABASE_URL",
    "REDIS_URL",
    "TELEGRAM_API_URL",
    "TIMEZONE",
    "DEFAULT_LOCALE",
    "BOOTSTRAP_ADMIN_IDS",
    "WEBHOOK_BASE_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_PATH",
)


@pytest.fixture(autouse=True)
def no_outer_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]


def test_defaults_serve_a_small_region_from_sqlite() -> None:
    settings = load_settings()

    assert settings.database_url == DEFAULT_SQLITE_URL
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.timezone == "Europe/Moscow"
    assert str(settings.tz) == "Europe/Moscow"
    assert settings.default_locale == "ru"
    assert settings.bootstrap_admin_ids == []
    assert settings.webhook_path == "/telegram/webhook"
    assert settings.webhook_port == 8080
    assert settings.bot_token is None


def test_env_file_in_the_working_directory_is_read(tmp_path: object) -> None:
    with open(".env", "w", encoding="utf-8") as env_file:
        env_file.write(f"BOT_TOKEN={TOKEN}\nREGION_NAME=Кировский округ\n")

    settings = load_settings()

    assert settings.require_token() == TOKEN
    assert settings.region_name == "Кировский округ"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://bot:pw@db:5432/nastavnik", "postgresql+asyncpg://bot:pw@db:5432/nastavnik"),
        ("postgres://bot@db/nastavnik", "postgresql+asyncpg://bot@db/nastavnik"),
        ("postgresql+asyncpg://bot@db/nastavnik", "postgresql+asyncpg://bot@db/nastavnik"),
        ("sqlite:///data/bot.sqlite3", "sqlite+aiosqlite:///data/bot.sqlite3"),
        ("sqlite+aiosqlite:////srv/bot.sqlite3", "sqlite+aiosqlite:////srv/bot.sqlite3"),
    ],
)
def test_database_url_forms_get_the_async_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)

    assert load_settings().database_url == used


def test_sqlite_path_is_known_for_backups() -> None:
    assert load_settings(database_url="sqlite:///data/x.sqlite3").sqlite_path() is not None
    assert load_settings(database_url="postgresql://db/x").sqlite_path() is None


@pytest.mark.parametrize("url", ["mysql://db/x", "mongodb://db", "data.sqlite3"])
def test_unknown_database_scheme_names_database_url(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert raised.value.field == "DATABASE_URL"
    assert "postgresql+asyncpg" in raised.value.problem


@pytest.mark.parametrize(
    ("written", "ids"),
    [
        ("[1,2]", [1, 2]),
        ("[900001]", [900001]),
        ("1,2", [1, 2]),
        (" 900001 , 900002 ", [900001, 900002]),
        ("900001", [900001]),
        ("", []),
    ],
)
def test_bootstrap_admin_ids_as_json_or_commas(
    monkeypatch: pytest.MonkeyPatch, written: str, ids: list[int]
) -> None:
    monkeypatch.setenv("BOOTSTRAP_ADMIN_IDS", written)

    assert load_settings().bootstrap_admin_ids == ids


@pytest.mark.parametrize("written", ["1;2", "[1,", "anna"])
def test_unreadable_admin_ids_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    monkeypatch.setenv("BOOTSTRAP_ADMIN_IDS", written)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert raised.value.field == "BOOTSTRAP_ADMIN_IDS"


def test_unknown_timezone_and_locale_name_their_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.field == "TIMEZONE"
    assert raised.value.problem == "unknown time zone 'Mars/Olympus'"

    monkeypatch.delenv("TIMEZONE")
    monkeypatch.setenv("DEFAULT_LOCALE", "de")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.field == "DEFAULT_LOCALE"


@pytest.mark.parametrize(
    ("token", "problem"),
    [(None, "missing"), ("  ", "missing"), ("abc", "malformed"), ("123:short", "malformed")],
)
def test_bad_token_is_refused(token: str | None, problem: str) -> None:
    settings = Settings(_env_file=None, bot_token=token)

    with pytest.raises(SettingsError) as raised:
        settings.require_token()

    assert (raised.value.field, raised.value.problem) == ("BOT_TOKEN", problem)


def test_token_is_trimmed() -> None:
    settings = Settings(_env_file=None, bot_token=f" {TOKEN}\n")

    assert settings.require_token() == TOKEN


@pytest.mark.parametrize(
    "secret", [None, "", "too-short", "x" * 15, "пароль-пароль-пароль", "x" * 257]
)
def test_webhook_secret_too_short_or_unusable_is_refused(secret: str | None) -> None:
    settings = Settings(
        _env_file=None, webhook_base_url="https://bot.example.org", webhook_secret=secret
    )

    with pytest.raises(SettingsError) as raised:
        settings.require_webhook()

    assert (raised.value.field, raised.value.problem) == ("WEBHOOK_SECRET", "weak")


@pytest.mark.parametrize("base_url", [None, "", "http://bot.example.org"])
def test_webhook_needs_a_public_https_address(base_url: str | None) -> None:
    settings = Settings(_env_file=None, webhook_base_url=base_url, webhook_secret="s" * 32)

    with pytest.raises(SettingsError) as raised:
        settings.require_webhook()

    assert (raised.value.field, raised.value.problem) == ("WEBHOOK_BASE_URL", "public_url")


def test_webhook_url_joins_base_and_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_BASE_URL", "https://bot.example.org/")
    monkeypatch.setenv("WEBHOOK_SECRET", "0123456789abcdef_-XYZ")
    monkeypatch.setenv("WEBHOOK_PATH", "/tg/hook")

    assert load_settings().require_webhook() == (
        "https://bot.example.org/tg/hook",
        "0123456789abcdef_-XYZ",
    )


def test_webhook_path_must_be_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_PATH", "tg/hook")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert raised.value.field == "WEBHOOK_PATH"
