"""Each submission private key names the master key that wrapped it (submission_keys.master_key_id),
as the key store's case keys do (keystore revision 0002): `caseflow keys rotate` re-wraps both.

Rows wrapped before this revision keep NULL and are opened by trying each master key held.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submission_keys", sa.Column("master_key_id", sa.String(40), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("caseflow migrates forward only; restore a backup to go back")
