"""Scheduling's domain: places and availability, the slot search, neutral iCalendar texts, the consistency check (pure, no I/O)."""
