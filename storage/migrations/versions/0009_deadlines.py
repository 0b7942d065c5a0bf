"""deadlines: program years (a year kind per municipality, the schools of each year), deadlines
(monitoring stages, plan-graph items, own items) fanned out as tasks, their reminders, plan-graph
templates kept per region, weekly digests; communities say whether they count as «горизонтальное
обучение»

New tables and two columns with defaults: nothing stored before changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 02:08:13.502608
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('school_participations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('low_results', sa.Boolean(), nullable=False),
    sa.Column('unfavourable_conditions', sa.Boolean(), nullable=False),
    sa.Column('level', sa.Enum('regional', 'municipal', name='programlevel', native_enum=False, length=32), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_school_participations_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_school_participations_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_participations')),
    sa.UniqueConstraint('school_id', 'year', name=op.f('uq_school_participations_school_id'))
    )
    with op.batch_alter_table('school_participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_participations_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_participations_year'), ['year'], unique=False)

    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('own', 'plan', 'monitoring', name='deadlinekind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('responsible', sa.Enum('coordinators', 'school_leaders', 'tutors', 'person', name='responsible', native_enum=False, length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('reminder_days', sa.JSON(), nullable=False),
    sa.Column('recurrence', sa.Enum('none', 'yearly', name='recurrence', native_enum=False, length=32), nullable=False),
    sa.Column('done_by', sa.Enum('confirm', 'comment', 'file', 'records', name='doneby', native_enum=False, length=32), nullable=False),
    sa.Column('check', sa.JSON(), nullable=True),
    sa.Column('stage', sa.Enum('entry', 'interim', 'final', name='monitoringstage', native_enum=False, length=32), nullable=True),
    sa.Column('template_code', sa.String(length=60), nullable=True),
    sa.Column('item_code', sa.String(length=20), nullable=True),
    sa.Column('origin_key', sa.String(length=160), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_deadlines_author_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_deadlines_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_deadlines_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_deadlines_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('origin_key', name=op.f('uq_deadlines_origin_key'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_scope_year', ['municipality_id', 'year'], unique=False)

    op.create_table('digests_sent',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=10), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_digests_sent_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'week', name=op.f('pk_digests_sent'))
    )
    op.create_table('plan_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_plan_templates_region_id_regions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['people.id'], name=op.f('fk_plan_templates_updated_by_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_templates')),
    sa.UniqueConstraint('region_id', 'code', name=op.f('uq_plan_templates_region_id'))
    )
    op.create_table('deadline_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('target_key', sa.String(length=24), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'done', name='taskstatus', native_enum=False, length=32), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('evidence_file_id', sa.String(length=200), nullable=True),
    sa.Column('evidence_name', sa.String(length=200), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('help_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_deadline_tasks_deadline_id_deadlines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['done_by_id'], ['people.id'], name=op.f('fk_deadline_tasks_done_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_deadline_tasks_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_deadline_tasks_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_tasks')),
    sa.UniqueConstraint('deadline_id', 'target_key', name=op.f('uq_deadline_tasks_deadline_id'))
    )
    with op.batch_alter_table('deadline_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_tasks_deadline_id'), ['deadline_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_tasks_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_tasks_school_id'), ['school_id'], unique=False)

    op.create_table('deadline_reminders',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_deadline_reminders_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['deadline_tasks.id'], name=op.f('fk_deadline_reminders_task_id_deadline_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'key', 'person_id', name=op.f('pk_deadline_reminders'))
    )
    with op.batch_alter_table('deadline_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_reminders_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('horizontal_learning', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('municipalities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year_kind', sa.String(length=16), server_default='calendar', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('municipalities', schema=None) as batch_op:
        batch_op.drop_column('year_kind')

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('horizontal_learning')

    with op.batch_alter_table('deadline_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_reminders_person_id'))

    op.drop_table('deadline_reminders')
    with op.batch_alter_table('deadline_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_tasks_school_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_tasks_person_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_tasks_deadline_id'))

    op.drop_table('deadline_tasks')
    op.drop_table('plan_templates')
    op.drop_table('digests_sent')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_scope_year')

    op.drop_table('deadlines')
    with op.batch_alter_table('school_participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_participations_year'))
        batch_op.drop_index(batch_op.f('ix_school_participations_municipality_id'))

    op.drop_table('school_participations')
