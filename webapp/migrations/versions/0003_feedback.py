"""Beta feedback: the feedback table, with a one-time submission id per form.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        # The form's one-time id: a repeat of the same form (double click, refresh,
        # back-and-resubmit) hits this constraint and is not stored twice.
        sa.Column("submission_id", sa.String(36), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("improvement", sa.Text(), nullable=False, server_default=""),
        sa.Column("page", sa.String(2048), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("user_agent_family", sa.String(32), nullable=False),
        sa.Column("js_enabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_feedback_rating"),
        sa.UniqueConstraint("submission_id", name="uq_feedback_submission_id"),
    )
    op.create_index("ix_feedback_submitted_at", "feedback", ["submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_submitted_at", table_name="feedback")
    op.drop_table("feedback")
