"""Release 1: the routing schema as release 1's create_all made it (release_1.json, per dialect)."""

from pathlib import Path

from alembic import op

from shared.migrations import create_release_1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_release_1(Path(__file__).parents[1], op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("caseflow migrates forward only; restore a backup to go back")
