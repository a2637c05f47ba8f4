"""The workbench's configuration (WORKBENCH_ prefix)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.workbench.domain.sessions import SessionPolicy
from shared.settings import ServiceSettings


class WorkbenchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/workbench.db"
    # The OpenID Connect provider, by issuer URL (Keycloak: https://<host>/realms/<realm>), and this
    # workbench's client there. Required: without a provider nobody can sign in.
    oidc_issuer: str = ""
    oidc_client_id: str = "caseflow-workbench"
    oidc_client_secret: SecretStr = SecretStr("")
    # The workbench's address as browsers reach it (https://workbench.example.nl). Empty: the
    # address of each request, which is right only on a developer's machine.
    public_url: str = ""
    # Intake's base URL (the case file is fetched per request) and this workbench's command signer:
    # its id and the PEM file of its Ed25519 key, registered with every service by a
    # CommandSignerRegistered event (`caseflow token signer-keygen`).
    intake_url: str = ""
    signer_id: str = "workbench"
    signer_key_file: str = ""
    # Reporting's base URL: management's page shows its protected view, asked with their own token.
    reporting_url: str = ""
    session_idle_minutes: Annotated[int, Field(ge=1, le=8 * 60)] = 30
    session_max_hours: Annotated[int, Field(ge=1, le=24)] = 10
    # Secure cookies travel only over https (and to http://127.0.0.1, which browsers treat as
    # secure); switch off only for a plain-http test host that is not loopback.
    cookie_secure: bool = True

    # Neutral notification e-mails (domain/notifications.py). No host: no e-mails are sent (the
    # notices wait in the database until one is configured).
    smtp_host: str = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_from: str = "caseflow@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    notify_every_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0

    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(minutes=self.session_idle_minutes),
            absolute=timedelta(hours=self.session_max_hours),
        )
