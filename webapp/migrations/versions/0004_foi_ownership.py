"""FOI responses record the folder they were imported from, and whether they are samples.

``origin`` is the resolved absolute folder an import read (NULL for rows published
before it was recorded: the first import of the same file adopts them). ``is_sample``
marks the fictional responses of ``flask foi generate-sample``; responses it published
directly before this revision (their source starts ``generated/``) are marked too, so
``flask foi remove-sample`` removes them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("foi_response", recreate="never") as batch:
        batch.add_column(sa.Column("origin", sa.String(1000), nullable=True))
        batch.add_column(sa.Column("is_sample", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE foi_response SET is_sample = TRUE, origin = 'sample' WHERE source LIKE 'generated/%'")


def downgrade() -> None:
    with op.batch_alter_table("foi_response", recreate="never") as batch:
        batch.drop_column("is_sample")
        batch.drop_column("origin")
