"""Deployment settings.

Everything comes from the environment (or a `.env` file beside the working directory); nothing
is read at import time, so tests build `Settings(...)` directly.
"""

from __future__ import annotations

import json
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LOCALES = ("ru", "en")
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./data/nastavnik.sqlite3"
# Telegram accepts 1-256 of these characters in a webhook secret; 16 is our minimum.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,256}")


class SettingsError(Exception):
    """Settings that cannot start the bot; `field` and `problem` make the one-line message."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# Minutes before an event's start, up to 30 days.
ReminderMinutes = Annotated[int, Field(ge=1, le=30 * 24 * 60)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_SQLITE_URL
    redis_url: str | None = None
    telegram_api_url: str | None = None

    timezone: str = "Europe/Moscow"
    default_locale: str = "ru"
    # NoDecode: operators write "1,2" as often as "[1,2]"; `_id_list` reads both.
    bootstrap_admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    region_name: str = "Ставропольский край"
    privacy_policy_url: str = "https://example.org/privacy"

    invite_ttl_days: int = Field(default=14, ge=1, le=365)
    roster_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # A person past FLOOD_MESSAGES per window is slowed (their updates wait their turn), never
    # dropped; only more than FLOOD_ABUSE_PER_MINUTE is refused, and they are told so.
    flood_messages: int = Field(default=20, ge=1)
    flood_window_seconds: float = Field(default=10.0, gt=0)
    flood_abuse_per_minute: int = Field(default=300, ge=10)
    # Updates handled at once (different people; each person's updates stay in order).
    update_concurrency: int = Field(default=64, ge=1, le=1024)
    # Where slow jobs (roster checks and applies, history copies, exports) run: "process" — a
    # child process of `run`/`webhook` (its CPU never delays anyone's reply); "inline" — in the
    # bot's own process; "off" — elsewhere (`nastavnik jobs` started by the operator).
    background_jobs: Literal["process", "inline", "off"] = "process"

    webhook_base_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    log_level: str = "INFO"

    # Delivery outbox: Telegram's limits and the recipients' quiet hours.
    outbox_rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    # Of that budget, the outbox leaves this much to replies of people who just wrote.
    reply_headroom_per_second: float = Field(default=5.0, ge=0, le=1000)
    outbox_chat_interval_seconds: float = Field(default=1.0, ge=0)
    outbox_concurrency: int = Field(default=16, ge=1, le=256)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)

    # Questions to tutors (each municipality may override): hours count only local daytime.
    sla_remind_hours: int = Field(default=24, ge=1, le=24 * 30)
    sla_escalate_hours: int = Field(default=48, ge=1, le=24 * 60)
    thread_autoclose_days: int = Field(default=7, ge=1, le=365)

    # The coordinators' weekly digest goes out on Monday from this hour, local time.
    digest_hour: int = Field(default=8, ge=0, le=23)

    # Events: reminders to registrants, minutes before the start (an event may set its own);
    # how long a seat offered from the waiting list is held; check-in code guessing.
    event_reminder_minutes: list[ReminderMinutes] = Field(
        default=[24 * 60, 60], min_length=1, max_length=5
    )
    event_offer_hours: int = Field(default=12, ge=1, le=24 * 7)
    checkin_max_failures: int = Field(default=5, ge=1, le=100)
    checkin_window_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("bootstrap_admin_ids", mode="before")
    @classmethod
    def _id_list(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError as exc:
                raise ValueError("write Telegram ids as 1,2 or [1, 2]") from exc
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("webhook_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @property
    def outbox_pace_per_second(self) -> float:
        """What broadcasts and notices may use: the budget less the replies' headroom."""
        return max(1.0, self.outbox_rate_per_second - self.reply_headroom_per_second)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        raw = self.database_url.split(":///", 1)[1]
        return None if raw in ("", ":memory:") else Path(raw)

    def require_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError("BOT_TOKEN", "missing")
        token = self.bot_token.get_secret_value().strip()
        left, _, right = token.partition(":")
        if not left.isdigit() or len(right) < 30:
            raise SettingsError("BOT_TOKEN", "malformed")
        return token

    def require_webhook(self) -> tuple[str, str]:
        """The public webhook URL and its secret; Telegram only calls HTTPS addresses."""
        if not (self.webhook_base_url or "").startswith("https://"):
            raise SettingsError("WEBHOOK_BASE_URL", "public_url")
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
            raise SettingsError("WEBHOOK_SECRET", "weak")
        return (self.webhook_base_url or "").rstrip("/") + self.webhook_path, secret


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one `SettingsError` naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]).upper() if first["loc"] else "SETTINGS"
        raise SettingsError(field, str(first["msg"]).removeprefix("Value error, ")) from None
