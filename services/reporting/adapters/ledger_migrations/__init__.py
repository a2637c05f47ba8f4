"""The ledger schema's migrations (shared/migrations): revision scripts in versions/, release 1's
DDL in release_1.json."""

from pathlib import Path

from services.reporting.adapters.release_ledger import ledger_metadata
from shared.migrations import Schema

LEDGER_SCHEMA = Schema("ledger", ledger_metadata, Path(__file__).parent, "caseflow db upgrade reporting")
