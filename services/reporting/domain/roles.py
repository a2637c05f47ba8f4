"""The role vocabulary of reporting's views (pure): the roles a verified credential may carry, the
views by role, and a refusal (a status and a reason code, nothing else).

`adapters/credentials.py` turns a token into a role and its subject or a refusal;
`application/access_rules.py` decides what each role may see (docs/reporting.md, "Roles and views").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    MANAGEMENT = "management"
    HR = "hr"
    COORDINATOR = "coordinator"
    ADVISOR = "advisor"


class View(StrEnum):
    MANAGEMENT = "management"
    COORDINATOR = "coordinator"
    ADVISOR = "advisor"


@dataclass(frozen=True)
class Refusal:
    status: int  # 401: no usable credential; 403: this role may not see this; 404, 400, 503
    reason: str
