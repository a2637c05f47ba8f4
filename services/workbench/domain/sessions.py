"""Who is signed in, and for how long (pure).

A session starts when the identity provider's ID token is verified (adapters/oidc.py) and carries
only what the pages need: the provider's subject, the one caseflow role the token grants, the
advisor id (advisors only) and a CSRF token. It ends at sign-out, after `idle` without a request,
or `absolute` after sign-in, whichever comes first; an ended session answers like no session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    ADVISOR = "advisor"
    COORDINATOR = "coordinator"
    MANAGEMENT = "management"


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta

    def alive(self, session: Session, now: datetime) -> bool:
        return now - session.last_seen_at <= self.idle and now - session.started_at <= self.absolute


@dataclass(frozen=True, slots=True)
class Session:
    subject: str
    role: Role
    advisor_id: str | None
    csrf_token: str
    started_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Identity:
    """What a verified ID token says about the person: their subject, role and advisor id."""

    subject: str
    role: Role
    advisor_id: str | None


class NotAllowed(Exception):
    """The provider vouched for someone caseflow has no role for (a reason code, nothing personal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def identity_of(claims: Mapping[str, Any]) -> Identity:
    """The caseflow identity in verified claims: exactly one caseflow role (top-level `roles` or
    Keycloak's `realm_access.roles`), and for an advisor an `advisor_id`."""
    granted = set(_strings(claims.get("roles")))
    realm_access = claims.get("realm_access")
    if isinstance(realm_access, Mapping):
        granted |= set(_strings(realm_access.get("roles")))
    roles = [role for role in Role if role.value in granted]
    if len(roles) != 1:
        raise NotAllowed("no_caseflow_role" if not roles else "more_than_one_caseflow_role")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise NotAllowed("no_subject")
    advisor_id = claims.get("advisor_id")
    if roles[0] is Role.ADVISOR and (not isinstance(advisor_id, str) or not advisor_id):
        raise NotAllowed("advisor_without_advisor_id")
    return Identity(subject, roles[0], advisor_id if roles[0] is Role.ADVISOR else None)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
