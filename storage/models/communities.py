"""Professional communities of a municipality and who belongs to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy import true as sql_true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Community(Base):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Counts toward the «горизонтальное обучение» community targets (seeds-extract §1.6 CM-*).
    horizontal_learning: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=sql_true()
    )


class CommunityMembership(Base):
    __tablename__ = "community_memberships"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(server_default=func.now())
