"""One booking token per writing instance on PostgreSQL (booking_writers, D62).

A database made before migrations by a build that already had the table (create_all adds missing
tables) keeps it: the table is created only where it is missing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("booking_writers"):
        return
    op.create_table(
        "booking_writers",
        sa.Column("writer", sa.String(32), primary_key=True),
        sa.Column("token", sa.String(36), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("caseflow migrates forward only; restore a backup to go back")
