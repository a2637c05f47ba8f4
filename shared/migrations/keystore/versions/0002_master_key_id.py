"""Each case key names the master key that wrapped it (case_keys.master_key_id), so the services can
hold a previous master key beside the current one and `caseflow keys rotate` re-wraps the rows while
they run (docs/operations.md, "Rotating the master key").

Rows wrapped before this revision keep NULL: they are opened by trying each master key held, and
the rotation re-wraps them and records the key id.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_keys", sa.Column("master_key_id", sa.String(40), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("caseflow migrates forward only; restore a backup to go back")
