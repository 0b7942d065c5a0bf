"""Where people work: region → municipality → school.

A municipality carries its own settings (time zone, deadlines for questions to tutors).
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Municipality(Base):
    __tablename__ = "municipalities"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # None means the deployment's TIMEZONE.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Questions to tutors: None means the deployment's default (settings).
    sla_remind_hours: Mapped[int | None] = mapped_column(Integer)
    sla_escalate_hours: Mapped[int | None] = mapped_column(Integer)
    thread_autoclose_days: Mapped[int | None] = mapped_column(Integer)
    # How the program counts its years: calendar (default) or school year September–August.
    year_kind: Mapped[str] = mapped_column(
        String(16), default="calendar", server_default="calendar"
    )

    region: Mapped[Region] = relationship(lazy="raise")


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(120))
    low_results: Mapped[bool] = mapped_column(Boolean, default=False)
    unfavourable_conditions: Mapped[bool] = mapped_column(Boolean, default=False)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)

    municipality: Mapped[Municipality] = relationship(lazy="raise")

    @property
    def label(self) -> str:
        return self.short_name or self.name
