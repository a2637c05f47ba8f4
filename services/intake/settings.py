from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import KeyHolderSettings


class IntakeSettings(KeyHolderSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/intake.db"
    # Personal data of a closed case is erased (its key deleted) this many days after closure.
    retention_days_after_closure: int = Field(default=365, ge=0)
    # LegalDeadlineDue ("at risk") this many days before a legal deadline ends.
    legal_warning_days: int = Field(default=2, ge=0, le=30)
    # How often the legal-deadline and retention jobs look.
    background_interval_seconds: float = Field(default=60.0, gt=0)
    # Wrong receipt codes (receipt_guess_limits.py, docs/case-file.md): tries of one code per window before
    # that code is answered 429, the window, and the budget of wrong codes per minute of all
    # clients together. A correct code is never refused.
    receipt_failures_per_code: int = Field(default=5, ge=1)
    receipt_code_window_seconds: float = Field(default=3600.0, ge=60, le=86_400)
    receipt_global_failures_per_minute: int = Field(default=200, ge=1)
    # Sealed submissions (docs/sealed-submissions.md): with this on, a record on the submissions
    # topic that is not sealed to intake's key is rejected (`submission_not_sealed_to_intake_key`).
    require_sealed_submissions: bool = False
    # Intake's submission key pair is replaced every rotation period; a retired private key is kept
    # for the grace period, at least the raw topic's 7-day retention, so waiting records stay readable.
    submission_key_rotation_days: float = Field(default=7.0, gt=0, le=366)
    submission_key_grace_days: float = Field(default=14.0, ge=7, le=366)
    # Request bodies (shared/http_limits.py): a JSON submission or the form may take up to 1 MiB
    # (4x MAX_SUBMISSION_BYTES, room for escapes); every other intake path the 64 KiB default.
    http_max_body_bytes_by_path: dict[str, int] = Field(
        default_factory=lambda: {"/v1/submissions": 1024 * 1024, "/formulier": 1024 * 1024}
    )
