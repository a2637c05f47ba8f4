"""Reporting's configuration (REPORTING_ prefix). Reporting holds no key: it reads coded events only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.reporting.domain.annual_report_data import DisclosurePolicy, Publication, TrainingBaseline
from services.reporting.domain.disclosure import round_to_base
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
    # many days have passed since (late events settle); every primary suppression must have a feasible
    # interval at least this wide for a reader holding every release (protection interval).
    release_settle_days: Annotated[int, Field(ge=0, le=365)] = 14
    protection_interval: Annotated[int, Field(ge=1, le=100)] = 2
    # The release ledger (every figure that ever left the service) belongs in a database of its own so
    # that `caseflow replay`, which builds a fresh projection database, keeps it (docs/reporting.md).
    # Empty: next to a SQLite projection ("<name>-ledger.db"), or the projection's own PostgreSQL
    # database (its own tables; set this explicitly in production).
    ledger_url: str = ""
    # For demos and previews only: release as if it were this moment (e.g. after the year closed).
    # Never set in production: releases made with it are recorded in the ledger like any other.
    release_as_of: datetime | None = None
    # When the background job first makes the releases that are due (then every 10 minutes; a
    # request makes a due release itself as well). The demo sets it past its end: with
    # release_as_of every quarter is due at once, and a release made mid-run would freeze the
    # figures of half a run, so its reports would depend on how long the run took.
    release_job_first_after_seconds: Annotated[float, Field(ge=0)] = 60.0
    # The key of the secondary-suppression priority, hex. Empty (production): the ledger makes a
    # random one on its first release and keeps it. Set it only where two fresh ledgers must agree.
    release_key_hex: str = ""

    # Who publishes the report and whom a reader can contact (its cover).
    publication_contact: str = "vertrouwenspersonen@rijksoverheid.invalid"
    publication_body_nl: str = "Coördinatie vertrouwenspersonen Rijksoverheid"
    publication_body_en: str = "Coordination of confidential advisors, Government of the Netherlands"

    # ---- verified role credentials: see credentials.py (reserved block) ----
    # The views (not the annual report) take the role only from `Authorization: Bearer <JWT>` signed by
    # the identity provider (docs/reporting.md, "Roles and views"). Exactly one key source: a public key
    # (PEM text, or the path of a PEM key or certificate) or the OIDC provider's JWKS URL (Keycloak:
    # https://<host>/realms/<realm>/protocol/openid-connect/certs). With neither, the views answer 503.
    role_jwt_public_key: str = ""
    role_jwks_url: str = ""
    role_jwks_cache_seconds: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    role_jwks_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    # Required as soon as a key source is set: the provider's issuer URL and reporting's client id
    # (Keycloak: an audience mapper adds it to `aud`).
    role_jwt_issuer: str = ""
    role_jwt_audience: str = ""
    # Comma-separated subset of EdDSA, ES256, RS256 (each only with its own key type); never none or HS*.
    role_jwt_algorithms: str = "EdDSA,ES256,RS256"
    role_jwt_leeway_seconds: Annotated[float, Field(ge=0, le=300)] = 30.0
    role_claim_org: Annotated[str, Field(min_length=1)] = "caseflow_org"
    role_claim_advisor: Annotated[str, Field(min_length=1)] = "caseflow_advisor"

    @model_validator(mode="after")
    def _role_credentials_are_complete(self) -> ReportingSettings:
        from urllib.parse import urlparse

        algorithms = [a.strip() for a in self.role_jwt_algorithms.split(",") if a.strip()]
        if not algorithms or not set(algorithms) <= {"EdDSA", "ES256", "RS256"}:
            raise ValueError("REPORTING_ROLE_JWT_ALGORITHMS: a comma-separated subset of EdDSA, ES256, RS256")
        if self.role_jwt_public_key and self.role_jwks_url:
            raise ValueError("set one of REPORTING_ROLE_JWT_PUBLIC_KEY and REPORTING_ROLE_JWKS_URL, not both")
        if self.role_jwks_url:
            url = urlparse(self.role_jwks_url)
            if url.scheme != "https" and not (
                url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1")
            ):
                raise ValueError("REPORTING_ROLE_JWKS_URL must be https (plain http only on loopback)")
        if (self.role_jwt_public_key or self.role_jwks_url) and not (
            self.role_jwt_issuer and self.role_jwt_audience
        ):
            raise ValueError("REPORTING_ROLE_JWT_ISSUER and REPORTING_ROLE_JWT_AUDIENCE are required")
        return self

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

    def release_key(self) -> bytes | None:
        return bytes.fromhex(self.release_key_hex) if self.release_key_hex else None

    def ledger_database_url(self) -> str:
        if self.ledger_url:
            return self.ledger_url
        if self.database_url.startswith("sqlite") and self.database_url.endswith(".db"):
            return self.database_url[: -len(".db")] + "-ledger.db"
        return self.database_url

    def publication(self) -> Publication:
        return Publication(
            responsible_body=(self.publication_body_nl, self.publication_body_en),
            contact=self.publication_contact,
        )

    def policy(self) -> DisclosurePolicy:
        return DisclosurePolicy(k=self.k, round_to=self.round_to, min_contributors=self.min_contributors)

    def baseline(self) -> TrainingBaseline:
        return TrainingBaseline(self.baseline_training_hours, self.baseline_supervision_sessions)
