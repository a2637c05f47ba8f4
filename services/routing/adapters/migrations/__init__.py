"""The routing schema's migrations (shared/migrations): revision scripts in versions/, release 1's
DDL in release_1.json."""

from pathlib import Path

from services.routing.adapters.tables import metadata
from shared.migrations import Schema

SCHEMA = Schema("routing", metadata, Path(__file__).parent, "caseflow db upgrade routing")
