"""surveys and self-checks: launched surveys and who was asked, responses answered question by
question, section scores, and the individual route (ИОМ)

New tables only: nothing stored before is touched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 19:33:22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.String(length=40), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='surveystatus', native_enum=False, length=32), nullable=False),
    sa.Column('public_code_hash', sa.String(length=64), nullable=True),
    sa.Column('invited', sa.Integer(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('launch_key', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_surveys_author_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_surveys_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_surveys_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('launch_key', name=op.f('uq_surveys_launch_key')),
    sa.UniqueConstraint('public_code_hash', name=op.f('uq_surveys_public_code_hash'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_surveys_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.String(length=40), nullable=False),
    sa.Column('scenario_version', sa.String(length=16), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('in_progress', 'submitted', name='responsestatus', native_enum=False, length=32), nullable=False),
    sa.Column('current_question', sa.String(length=40), nullable=True),
    sa.Column('program_year', sa.Integer(), nullable=True),
    sa.Column('stage', sa.Enum('entry', 'final', name='checkstage', native_enum=False, length=32), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_responses_municipality_id_municipalities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_responses_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_responses_school_id_schools'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_responses_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_person_scenario', ['person_id', 'scenario_id', 'status'], unique=False)
        batch_op.create_index('ix_responses_scenario_submitted', ['scenario_id', 'status', 'municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_responses_survey_status', ['survey_id', 'status'], unique=False)

    op.create_table('answers',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_answers_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', name=op.f('pk_answers'))
    )
    op.create_table('route_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('section_id', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.Enum('event', 'community', 'material', 'tutor_topic', 'tutor_note', name='routeitemkind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['people.id'], name=op.f('fk_route_items_added_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_route_items_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_route_items_response_id_responses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_items'))
    )
    with op.batch_alter_table('route_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_items_person_id'), ['person_id'], unique=False)

    op.create_table('section_scores',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('percent', sa.Float(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_section_scores_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'section_id', name=op.f('pk_section_scores'))
    )
    op.create_table('survey_invitees',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('draft_response_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['draft_response_id'], ['responses.id'], name=op.f('fk_survey_invitees_draft_response_id_responses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_survey_invitees_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_invitees_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'person_id', name=op.f('pk_survey_invitees'))
    )
    with op.batch_alter_table('survey_invitees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_invitees_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_survey_invitees_unanswered', ['survey_id', 'answered_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_invitees', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_invitees_unanswered')
        batch_op.drop_index(batch_op.f('ix_survey_invitees_person_id'))

    op.drop_table('survey_invitees')
    op.drop_table('section_scores')
    with op.batch_alter_table('route_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_items_person_id'))

    op.drop_table('route_items')
    op.drop_table('answers')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_status')
        batch_op.drop_index(batch_op.f('ix_responses_school_id'))
        batch_op.drop_index('ix_responses_scenario_submitted')
        batch_op.drop_index('ix_responses_person_scenario')

    op.drop_table('responses')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_surveys_author_id'))

    op.drop_table('surveys')
