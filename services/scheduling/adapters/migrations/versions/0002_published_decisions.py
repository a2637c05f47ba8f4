"""Decisions published after a backup and folded back by a restore (published_decisions, D55).

A database made before migrations by a build that already had the table (create_all adds missing
tables) keeps it: the table is created only where it is missing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("published_decisions"):
        return
    op.create_table(
        "published_decisions",
        sa.Column("cause_id", sa.String(200), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("new_meeting", sa.Boolean, nullable=False),
        sa.Column("meeting_id", sa.String(36), nullable=True),
        sa.Column("rejected", sa.Boolean, nullable=False),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_published_decisions_case_id", "published_decisions", ["case_id"])


def downgrade() -> None:
    raise NotImplementedError("caseflow migrates forward only; restore a backup to go back")
