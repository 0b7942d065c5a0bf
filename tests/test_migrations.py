"""Migrations build exactly the schema the models describe, and go down and up again cleanly.

Runs on a temporary SQLite file, and on PostgreSQL too when DATABASE_URL points at one (a
throwaway database is created beside it and dropped afterwards).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate as migrations
from storage.db import create_engine
from storage.models import Base


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgresql", "postgres://")) else None


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield engine
        await engine.dispose()
        return
    outer = _postgres_url()
    if outer is None:
        pytest.skip("DATABASE_URL is not a PostgreSQL URL")
    async for engine in _throwaway_postgres(outer):
        yield engine


async def _throwaway_postgres(outer: str) -> AsyncIterator[AsyncEngine]:
    url = make_url(outer).set(drivername="postgresql+asyncpg")
    name = f"nastavnik_migrations_{secrets.token_hex(4)}"
    maintenance = url.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(maintenance.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        engine = create_engine(url.set(database=name).render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_downgrade_upgrade_round_trip(fresh_engine: AsyncEngine) -> None:
    head = migrations.head_revision()
    await migrations.upgrade(fresh_engine)
    assert await migrations.current_revision(fresh_engine) == head

    await migrations.downgrade(fresh_engine, "base")
    assert await migrations.current_revision(fresh_engine) is None
    async with fresh_engine.connect() as connection:
        assert await connection.run_sync(_tables) <= {"alembic_version"}

    await migrations.upgrade(fresh_engine)
    assert await migrations.current_revision(fresh_engine) == head
    async with fresh_engine.connect() as connection:
        assert await connection.run_sync(_tables) >= set(Base.metadata.tables)


async def test_migrated_schema_matches_the_models(fresh_engine: AsyncEngine) -> None:
    """A model changed without a migration fails here."""
    await migrations.upgrade(fresh_engine)

    async with fresh_engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    assert differences == []


_ARRANGE_0005 = [
    "INSERT INTO regions (id, name) VALUES (1, 'Край')",
    "INSERT INTO municipalities (id, region_id, name, timezone) VALUES (1, 1, 'Округ', 'UTC')",
    "INSERT INTO people (id, full_name, phone, municipality_id, status)"
    " VALUES (1, 'Орлов Игорь', '+79184445566', 1, 'active'),"
    " (2, 'Петрова Анна', '+79181112233', 1, 'active')",
    # What two roster applies at once wrote before 0006: the same grant and assignment twice.
    "INSERT INTO person_roles (person_id, role) VALUES (1, 'tutor'), (1, 'tutor'),"
    " (2, 'teacher'), (2, 'teacher')",
    "INSERT INTO person_roles (person_id, role, municipality_id) VALUES"
    " (1, 'coordinator', 1), (1, 'coordinator', 1)",
    "INSERT INTO tutor_assignments (tutor_id, teacher_id, starts_on) VALUES"
    " (1, 2, '2026-09-01'), (1, 2, '2026-09-01')",
]


async def test_0006_drops_repeated_grants_and_assignments(fresh_engine: AsyncEngine) -> None:
    await migrations.upgrade(fresh_engine, "0005")
    async with fresh_engine.begin() as connection:
        for statement in _ARRANGE_0005:
            await connection.execute(text(statement))

    await migrations.upgrade(fresh_engine)

    async with fresh_engine.connect() as connection:
        grants = await connection.execute(
            text("SELECT person_id, role FROM person_roles ORDER BY person_id, role")
        )
        assert grants.all() == [(1, "coordinator"), (1, "tutor"), (2, "teacher")]
        assigned = await connection.scalar(text("SELECT count(*) FROM tutor_assignments"))
        assert assigned == 1


async def test_0006_stops_at_two_people_with_one_phone(fresh_engine: AsyncEngine) -> None:
    await migrations.upgrade(fresh_engine, "0005")
    async with fresh_engine.begin() as connection:
        for statement in _ARRANGE_0005[:3]:
            await connection.execute(text(statement))
        await connection.execute(
            text(
                "INSERT INTO people (id, full_name, phone, municipality_id, status)"
                " VALUES (3, 'Петрова Анна', '+79181112233', 1, 'active')"
            )
        )

    with pytest.raises(RuntimeError, match="1 phones belong to more than one person"):
        await migrations.upgrade(fresh_engine)
    assert await migrations.current_revision(fresh_engine) == "0005"
