from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import KeyHolderSettings


class RoutingSettings(KeyHolderSettings):
    """Routing holds key access: it decrypts who is involved to check conflicts of interest."""

    model_config = SettingsConfigDict(env_prefix="ROUTING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/routing.db"
    small_unit_threshold: int = Field(50, ge=1)
    term_warning_days: int = Field(60, ge=1)
    term_check_interval_seconds: float = 3600.0
