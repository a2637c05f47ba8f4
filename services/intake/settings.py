from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import KeyHolderSettings


class IntakeSettings(KeyHolderSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/intake.db"
