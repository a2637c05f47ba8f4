"""Which routing decision an assignment row holds and which one was accepted (D55).

`decision_id` is the event id of the decision the row holds; `acceptance_by`, `acceptance_at` and
`acceptance_decision_id` keep the latest acceptance through a reassignment, so a restored intake
that consumes the decisions before an acceptance again gives the acceptance back at its decision.
Rows from before have none of them: their acceptances behave as before (reset by a reassignment).
A database made by a build whose create_all already added the columns keeps them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("decision_id", sa.String(64), nullable=True),
    sa.Column("acceptance_by", sa.String(64), nullable=True),
    sa.Column("acceptance_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("acceptance_decision_id", sa.String(64), nullable=True),
)


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("assignments")}
    for column in COLUMNS:
        if column.name not in present:
            op.add_column("assignments", column)


def downgrade() -> None:
    raise NotImplementedError("caseflow migrates forward only; restore a backup to go back")
