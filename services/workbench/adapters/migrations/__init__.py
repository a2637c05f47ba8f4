"""The workbench schema's migrations (shared/migrations): revision scripts in versions/, release 1's
DDL in release_1.json."""

from pathlib import Path

# The modules that add their tables to the workbench's metadata, so the schema is whole wherever
# it is imported from (tests/integration/test_schema_migrations.py checks it against the app's).
from services.workbench.adapters import advisor_directory, coordinator_choices, reflection_talks  # noqa: F401
from services.workbench.adapters.tables import metadata
from shared.migrations import Schema

SCHEMA = Schema("workbench", metadata, Path(__file__).parent, "caseflow db upgrade workbench")
