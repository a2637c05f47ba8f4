"""Intake's advisor-command gate (shared/advisor_commands.py) over its tables of advisors' keys and used tokens."""

from __future__ import annotations

from services.intake.adapters.tables import advisor_keys, used_tokens
from shared.advisor_commands import AdvisorCommandGate

GATE = AdvisorCommandGate(advisor_keys, used_tokens)
