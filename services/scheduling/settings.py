from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.scheduling.domain.slots import SlotSettings
from shared.settings import ServiceSettings


class SchedulingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/scheduling.db"
    # Booking decisions are serialised across instances (docs/scheduling.md): a smaller batch keeps
    # the time one instance holds the booking lock short.
    max_batch: Annotated[int, Field(ge=1, le=10_000)] = 50

    privacy_buffer_minutes: Annotated[int, Field(ge=0, le=240)] = 15
    meeting_minutes: Annotated[int, Field(ge=15, le=8 * 60)] = 60
    grid_minutes: Annotated[int, Field(ge=5, le=60)] = 15
    horizon_days: Annotated[int, Field(ge=1, le=366)] = 60
    lead_time_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] = 120
    habit_lookback_days: Annotated[int, Field(ge=0, le=366)] = 28
    timezone: str = "Europe/Amsterdam"
    # Searches retried when the database refuses a booking (another writer took the slot).
    booking_attempts: Annotated[int, Field(ge=1, le=50)] = 8
    # What a scheduling transaction locks on PostgreSQL (D62): "calendar", one lock for all
    # bookings (instances take turns; best when they compete for the same rooms), or "case", the
    # case only (instances booking disjoint rooms never wait on each other; competing ones collide
    # in the exclusion constraints and search again). SQLite always has one writer.
    booking_lock: Literal["calendar", "case"] = "calendar"

    def slot_settings(self) -> SlotSettings:
        return SlotSettings(
            grid=timedelta(minutes=self.grid_minutes),
            meeting_length=timedelta(minutes=self.meeting_minutes),
            horizon=timedelta(days=self.horizon_days),
            lead_time=timedelta(minutes=self.lead_time_minutes),
            privacy_buffer=timedelta(minutes=self.privacy_buffer_minutes),
            habit_lookback=timedelta(days=self.habit_lookback_days),
            timezone=self.timezone,
        )
