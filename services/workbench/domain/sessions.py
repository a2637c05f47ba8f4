"""Who is signed in, and for how long (pure).

A session starts when the identity provider's ID token is verified (adapters/oidc.py) and carries
only what the pages need: the provider's subject, the one caseflow role the token grants, the
directory id the person acts under (`advisor_id` for an advisor, `coordinator_id` for a
coordinator: the id their commands are signed for; none for management) and a CSRF token. It ends at sign-out, after `idle` without a request,
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
    advisor_id: str | None  # the directory id this person acts under (advisor or coordinator)
    csrf_token: str
    started_at: datetime
    last_seen_at: datetime
    organisation_id: str | None = None  # management's (and a coordinator's) organisation


@dataclass(frozen=True, slots=True)
class Identity:
    """What a verified ID token says about the person: their subject, role and advisor id."""

    subject: str
    role: Role
    advisor_id: str | None  # the directory id this person acts under (advisor or coordinator)
    organisation_id: str | None = None  # management's (and a coordinator's) organisation


class NotAllowed(Exception):
    """The provider vouched for someone caseflow has no role for (a reason code, nothing personal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


ACTOR_CLAIMS = {Role.ADVISOR: "advisor_id", Role.COORDINATOR: "coordinator_id"}


def identity_of(claims: Mapping[str, Any]) -> Identity:
    """The caseflow identity in verified claims: exactly one caseflow role (top-level `roles` or
    Keycloak's `realm_access.roles`), and for an advisor an `advisor_id`, for a coordinator a
    `coordinator_id` (the directory ids their commands are signed for)."""
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
    role = roles[0]
    organisation = claims.get("organisation_id")
    organisation_id = organisation if isinstance(organisation, str) and organisation else None
    if role is Role.MANAGEMENT and organisation_id is None:
        raise NotAllowed("management_without_organisation_id")
    if role not in ACTOR_CLAIMS:
        return Identity(subject, role, None, organisation_id)
    actor_id = claims.get(ACTOR_CLAIMS[role])
    if not isinstance(actor_id, str) or not actor_id:
        raise NotAllowed(f"{role.value}_without_{ACTOR_CLAIMS[role]}")
    return Identity(subject, role, actor_id, organisation_id if role is Role.COORDINATOR else None)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
