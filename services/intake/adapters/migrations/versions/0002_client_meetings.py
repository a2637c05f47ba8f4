"""The client-safe copy of planned meetings (client_meetings, docs/decisions.md D46).

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
    if sa.inspect(op.get_bind()).has_table("client_meetings"):
        return
    op.create_table(
        "client_meetings",
        sa.Column("meeting_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(30), nullable=False),
        sa.Column("calendar_sequence", sa.Integer, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
    )
    op.create_index("ix_client_meetings_case_id", "client_meetings", ["case_id"])


def downgrade() -> None:
    raise NotImplementedError("caseflow migrates forward only; restore a backup to go back")
