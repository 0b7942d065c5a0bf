"""hardening constraints: one person per phone in a municipality, grants and tutor assignments
that cannot repeat

Two roster applies at once (two coordinators of a municipality) each created the people, grants
and assignments of their file. These unique indexes let the database refuse the second copy;
the applies insert with ON CONFLICT DO NOTHING.

Repeated grants and assignments already stored are identical copies and are dropped here (the
oldest row stays). Two people of one municipality with one phone cannot be merged without a
person deciding which one stays (each may have joined, asked questions, ...): the upgrade stops
and names how many there are; merge them, then upgrade again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUPLICATE_PHONES = sa.text(
    "SELECT count(*) FROM (SELECT municipality_id, phone FROM people"
    " WHERE phone IS NOT NULL GROUP BY municipality_id, phone HAVING count(*) > 1) AS repeated"
)

# A grant's scope is none, a municipality or a region; each kind gets its own unique index,
# because a unique index lets rows with a NULL in its columns repeat.
GRANT_INDEXES = (
    ('uq_person_roles_unscoped', ['person_id', 'role'],
     'municipality_id IS NULL AND region_id IS NULL'),
    ('uq_person_roles_municipality', ['person_id', 'role', 'municipality_id'],
     'municipality_id IS NOT NULL AND region_id IS NULL'),
    ('uq_person_roles_region', ['person_id', 'role', 'region_id'],
     'region_id IS NOT NULL AND municipality_id IS NULL'),
)


def upgrade() -> None:
    connection = op.get_bind()
    repeated = connection.execute(DUPLICATE_PHONES).scalar_one()
    if repeated:
        raise RuntimeError(
            f"{repeated} phones belong to more than one person of the same municipality; "
            "merge those people (SELECT municipality_id, phone, array_agg(id) FROM people "
            "WHERE phone IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1), then upgrade again"
        )
    op.execute(
        "DELETE FROM person_roles WHERE id NOT IN (SELECT min(id) FROM person_roles"
        " GROUP BY person_id, role, coalesce(municipality_id, 0), coalesce(region_id, 0))"
    )
    op.execute(
        "DELETE FROM tutor_assignments WHERE teacher_id IS NOT NULL AND id NOT IN"
        " (SELECT min(id) FROM tutor_assignments WHERE teacher_id IS NOT NULL"
        " GROUP BY tutor_id, teacher_id, starts_on)"
    )
    op.create_index(
        'uq_people_municipality_phone',
        'people',
        ['municipality_id', 'phone'],
        unique=True,
        sqlite_where=sa.text('phone IS NOT NULL'),
        postgresql_where=sa.text('phone IS NOT NULL'),
    )
    for name, columns, scoped in GRANT_INDEXES:
        op.create_index(
            name,
            'person_roles',
            columns,
            unique=True,
            sqlite_where=sa.text(scoped),
            postgresql_where=sa.text(scoped),
        )
    op.create_index(
        'uq_tutor_assignments_teacher_start',
        'tutor_assignments',
        ['tutor_id', 'teacher_id', 'starts_on'],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index('uq_tutor_assignments_teacher_start', table_name='tutor_assignments')
    for name, _, scoped in GRANT_INDEXES:
        op.drop_index(
            name,
            table_name='person_roles',
            sqlite_where=sa.text(scoped),
            postgresql_where=sa.text(scoped),
        )
    op.drop_index(
        'uq_people_municipality_phone',
        table_name='people',
        sqlite_where=sa.text('phone IS NOT NULL'),
        postgresql_where=sa.text('phone IS NOT NULL'),
    )
