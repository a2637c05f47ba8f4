"""The submission_keys schema's migrations (shared/migrations): revision scripts in versions/, release 1's
DDL in release_1.json."""

from pathlib import Path

from services.intake.adapters.submission_keys import submission_keys_metadata
from shared.migrations import Schema

SUBMISSION_KEYS_SCHEMA = Schema(
    "submission_keys", submission_keys_metadata, Path(__file__).parent, "caseflow db upgrade intake"
)
