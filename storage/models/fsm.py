"""Dialog state (aiogram FSM) kept in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class FsmRecord(Base):
    """aiogram FSM state and data, so an interrupted dialog resumes after a restart."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Who the record belongs to, so /forget can find every record of a person.
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
