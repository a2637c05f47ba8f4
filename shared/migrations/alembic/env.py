"""The one Alembic environment of every caseflow schema (shared/migrations/__init__.py).

It runs on the connection the caller passes in `config.attributes`, inside the caller's
transaction, with the schema's own version table; SQLite gets batch mode for ALTERs it lacks.
"""

from alembic import context

config = context.config
connection = config.attributes["connection"]
if connection is None:  # pragma: no cover - every caller passes one
    raise RuntimeError("caseflow runs its migrations on a connection it passes in; see shared/migrations")
context.configure(
    connection=connection,
    target_metadata=config.attributes["metadata"],
    version_table=config.attributes["version_table"],
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
