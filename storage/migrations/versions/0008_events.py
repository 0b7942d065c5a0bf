"""events: events and «десант» sessions, registrations with the waiting list, reminders,
attendance, check-in attempts; a survey may belong to an event (its feedback)

New tables and one nullable column: nothing stored before changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:50:45
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_checkin_attempts',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_event_checkin_attempts_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_event_checkin_attempts'))
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.Enum('school', 'municipal', 'intermunicipal', 'regional', 'interregional', 'national', name='eventscope', native_enum=False, length=32), nullable=False),
    sa.Column('form', sa.Enum('in_person', 'blended', 'online', name='eventform', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('duration_hours', sa.Float(), nullable=False),
    sa.Column('host_school_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('organiser', sa.String(length=200), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('next_queue_no', sa.Integer(), nullable=False),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('reminder_offsets', sa.JSON(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'published', 'cancelled', 'held', name='eventstatus', native_enum=False, length=32), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('copied_from_id', sa.Integer(), nullable=True),
    sa.Column('checkin_code', sa.String(length=8), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('create_key', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('feedback_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_events_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_events_ends_after_start')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_events_seats_taken_not_negative')),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_events_author_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['copied_from_id'], ['events.id'], name=op.f('fk_events_copied_from_id_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['host_school_id'], ['schools.id'], name=op.f('fk_events_host_school_id_schools'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_events_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_events_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('create_key', name=op.f('uq_events_create_key'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_host_school_id'), ['host_school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index('ix_events_status_starts', ['status', 'starts_at'], unique=False)

    op.create_table('event_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('master_class', 'open_lesson', 'consultation', 'talk', name='sessionkind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('presenter', sa.String(length=200), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('next_queue_no', sa.Integer(), nullable=False),
    sa.Column('checkin_code', sa.String(length=8), nullable=True),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_event_sessions_capacity_positive')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_event_sessions_seats_taken_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_sessions_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_sessions'))
    )
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_sessions_event_id'), ['event_id'], unique=False)

    op.create_table('event_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.Enum('code', 'marked', name='attendancemethod', native_enum=False, length=32), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_attendance_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by_id'], ['people.id'], name=op.f('fk_event_attendance_marked_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_event_attendance_municipality_id_municipalities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_event_attendance_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_event_attendance_school_id_schools'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'], name=op.f('fk_event_attendance_session_id_event_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_attendance'))
    )
    with op.batch_alter_table('event_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_attendance_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_attendance_person_id'), ['person_id'], unique=False)
        batch_op.create_index('uq_event_attendance_event_person', ['event_id', 'person_id'], unique=True, sqlite_where=sa.text('session_id IS NULL'), postgresql_where=sa.text('session_id IS NULL'))
        batch_op.create_index('uq_event_attendance_session_person', ['session_id', 'person_id'], unique=True, sqlite_where=sa.text('session_id IS NOT NULL'), postgresql_where=sa.text('session_id IS NOT NULL'))

    op.create_table('event_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('registered', 'waiting', 'offered', 'declined', 'expired', name='registrationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('queue_no', sa.Integer(), nullable=True),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_registrations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_event_registrations_municipality_id_municipalities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_event_registrations_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_event_registrations_school_id_schools'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'], name=op.f('fk_event_registrations_session_id_event_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_registrations'))
    )
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_event_registrations_offers', ['status', 'offer_expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_registrations_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_event_registrations_queue', ['event_id', 'session_id', 'status', 'queue_no'], unique=False)
        batch_op.create_index('uq_event_registrations_event_person', ['event_id', 'person_id'], unique=True, sqlite_where=sa.text('session_id IS NULL'), postgresql_where=sa.text('session_id IS NULL'))
        batch_op.create_index('uq_event_registrations_session_person', ['session_id', 'person_id'], unique=True, sqlite_where=sa.text('session_id IS NOT NULL'), postgresql_where=sa.text('session_id IS NOT NULL'))

    op.create_table('event_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('offset_minutes', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('skipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_reminders_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_event_reminders_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['event_registrations.id'], name=op.f('fk_event_reminders_registration_id_event_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_reminders'))
    )
    with op.batch_alter_table('event_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_reminders_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_event_reminders_pending', ['sent_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_reminders_person_id'), ['person_id'], unique=False)
        batch_op.create_index('uq_event_reminders_registration_offset', ['registration_id', 'offset_minutes'], unique=True)

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_surveys_event_id'), ['event_id'])
        batch_op.create_foreign_key(batch_op.f('fk_surveys_event_id_events'), 'events', ['event_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_surveys_event_id_events'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_surveys_event_id'), type_='unique')
        batch_op.drop_column('event_id')

    with op.batch_alter_table('event_reminders', schema=None) as batch_op:
        batch_op.drop_index('uq_event_reminders_registration_offset')
        batch_op.drop_index(batch_op.f('ix_event_reminders_person_id'))
        batch_op.drop_index('ix_event_reminders_pending')
        batch_op.drop_index(batch_op.f('ix_event_reminders_event_id'))

    op.drop_table('event_reminders')
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.drop_index('uq_event_registrations_session_person', sqlite_where=sa.text('session_id IS NOT NULL'), postgresql_where=sa.text('session_id IS NOT NULL'))
        batch_op.drop_index('uq_event_registrations_event_person', sqlite_where=sa.text('session_id IS NULL'), postgresql_where=sa.text('session_id IS NULL'))
        batch_op.drop_index('ix_event_registrations_queue')
        batch_op.drop_index(batch_op.f('ix_event_registrations_person_id'))
        batch_op.drop_index('ix_event_registrations_offers')

    op.drop_table('event_registrations')
    with op.batch_alter_table('event_attendance', schema=None) as batch_op:
        batch_op.drop_index('uq_event_attendance_session_person', sqlite_where=sa.text('session_id IS NOT NULL'), postgresql_where=sa.text('session_id IS NOT NULL'))
        batch_op.drop_index('uq_event_attendance_event_person', sqlite_where=sa.text('session_id IS NULL'), postgresql_where=sa.text('session_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_event_attendance_person_id'))
        batch_op.drop_index(batch_op.f('ix_event_attendance_event_id'))

    op.drop_table('event_attendance')
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_sessions_event_id'))

    op.drop_table('event_sessions')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_status_starts')
        batch_op.drop_index(batch_op.f('ix_events_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_events_host_school_id'))
        batch_op.drop_index(batch_op.f('ix_events_author_id'))

    op.drop_table('events')
    op.drop_table('event_checkin_attempts')
