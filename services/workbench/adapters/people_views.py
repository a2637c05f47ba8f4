"""What the coordinators' pages show, as the pages (rendering/people.py) take it: coded rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.workbench.adapters.advisor_directory import AdvisorRow
from services.workbench.adapters.coordinator_choices import Choice
from services.workbench.adapters.reflection_talks import Request as ReflectionRequest
from services.workbench.domain.case_list import CaseLine


@dataclass(frozen=True, slots=True)
class Queue:
    """The escalated cases, the advisors a coordinator may choose, what became of their choices."""

    lines: list[CaseLine]
    advisors: list[AdvisorRow]
    choices: dict[str, Choice]


@dataclass(frozen=True, slots=True)
class Advisors:
    """A coordinator's advisors with reporting's figures against the baseline."""

    rows: list[AdvisorRow]
    figures: dict[str, dict[str, Any]]  # advisor id -> reporting's figures
    baseline: dict[str, Any]
    year: int
    unavailable: str | None  # why reporting's figures are missing, if they are
    talks: dict[str, date] = field(default_factory=dict)  # advisor id -> last reflection talk
    request: ReflectionRequest | None = None  # the coordinator's last registration, if refused
