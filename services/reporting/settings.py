"""Reporting's configuration (REPORTING_ prefix). Reporting holds no key: it reads coded events only."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.reporting.disclosure import round_to_base
from services.reporting.report_model import DisclosurePolicy, TrainingBaseline
from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/reporting.db"
    # Reporting only counts: large batches amortise the per-batch statements (docs/reporting.md).
    max_batch: Annotated[int, Field(ge=1, le=10_000)] = 2000

    # Disclosure control (docs/reporting.md, "Disclosure control").
    k: Annotated[int, Field(ge=2, le=100)] = 5
    round_to: Annotated[int | None, Field(ge=2, le=100)] = None
    min_contributors: Annotated[int, Field(ge=1, le=100)] = 3
    # Units with fewer staff than this are folded into their parent before anything per unit is shown.
    min_unit_size: Annotated[int, Field(ge=0)] = 50

    # Releases (docs/reporting.md, "Releases"): a quarter is released only once it has closed and this
    # many days have passed since (late events settle); every suppressed figure must have a feasible
    # interval at least this wide for a reader holding every release (protection interval).
    release_settle_days: Annotated[int, Field(ge=0, le=365)] = 14
    protection_interval: Annotated[int, Field(ge=1, le=100)] = 3

    # ---- verified role credentials: see credentials.py (reserved block) ----

    # The government-wide baseline per advisor per year ("need to have").
    baseline_training_hours: Annotated[int, Field(ge=0, le=1000)] = 8
    baseline_supervision_sessions: Annotated[int, Field(ge=0, le=100)] = 4

    # Organisation units (names, parents, sizes) and advisors' home organisations, in the format of
    # `caseflow directory import` (JSON or CSV); person records in it are ignored. Reporting does not
    # read directory.v1, which carries pseudonyms (docs/decisions-reporting.md).
    organisation_file: str = ""

    @model_validator(mode="after")
    def _rounding_fits_the_threshold(self) -> ReportingSettings:
        if self.round_to is not None and round_to_base(self.k, self.round_to) < self.k:
            raise ValueError(
                f"REPORTING_ROUND_TO={self.round_to} would publish counts >= {self.k} below {self.k}"
            )
        return self

    def policy(self) -> DisclosurePolicy:
        return DisclosurePolicy(k=self.k, round_to=self.round_to, min_contributors=self.min_contributors)

    def baseline(self) -> TrainingBaseline:
        return TrainingBaseline(self.baseline_training_hours, self.baseline_supervision_sessions)
