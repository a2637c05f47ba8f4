"""Contracts on `directory.v1`: the HR feed and administrators describe the organisation.

Person ids are pseudonyms (random UUIDs or keyed hashes of personnel numbers). A pseudonym is
itself sensitive: only routing (and scheduling, for advisors' availability) may read this topic
(deploy/kafka/acls.yaml). Each event is keyed by the entity it describes, so the compacted topic
keeps the latest state of every unit, person and advisor.

Coordinators (central advisors, DOMAIN.md) are known by `CoordinatorAppointed`: the organisations
whose escalated cases they may assign (`AssignEscalatedCase`, shared/contracts/advisor_actions.py).
A coordinator signs commands like an advisor: their key is an `AdvisorKeyRegistered` under their
coordinator id (one id space for everyone who signs; a central advisor who is also an advisor may
use their advisor id).
"""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import Field, field_validator

from shared.codes import AdvisorKind, AdvisorScope, AdvisorStatus
from shared.envelope import EventPayload, event_type


@event_type("OrgUnitUpserted")
class OrgUnitUpserted(EventPayload):
    unit_id: str
    parent_id: str | None
    name: str
    size: int = Field(ge=0)
    organisation_id: str


@event_type("PersonUpserted")
class PersonUpserted(EventPayload):
    person_id: str
    unit_id: str
    manager_id: str | None
    is_top_management: bool = False


class AdvisorProfile(EventPayload):
    """What an advisor agreed to show employees on the web form (issue 14): public by consent.

    Only a profile with `show` true exists: AdvisorUpserted drops any other, and the HR feed
    (`caseflow directory import`) publishes no profile at all for an advisor who did not agree. The texts are short, plain
    language; `photo_ref` names a picture the form may show (the reference form shows initials).
    No pseudonym, no contact details: employees reach an advisor through the form.
    """

    show: bool = False
    display_name: str = Field(min_length=1, max_length=80)
    languages: tuple[str, ...] = ()
    location: str | None = Field(None, max_length=80)
    text_nl: str = Field("", max_length=400)
    text_en: str = Field("", max_length=400)
    photo_ref: str | None = Field(None, max_length=200)


@event_type("AdvisorUpserted")
class AdvisorUpserted(EventPayload):
    advisor_id: str
    person_id: str | None
    kind: AdvisorKind
    scope: AdvisorScope
    organisation_id: str | None
    served_unit_ids: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("nl",)
    locations: tuple[str, ...] = ()
    weekly_hours: float = Field(4.0, ge=0, le=40)
    term_start: date
    term_end: date | None
    status: AdvisorStatus = AdvisorStatus.ACTIVE
    # Optional and absent in older records (read as None): the profile the advisor agreed to show.
    profile: AdvisorProfile | None = None

    @field_validator("profile")
    @classmethod
    def _only_with_consent(cls, v: AdvisorProfile | None) -> AdvisorProfile | None:
        """A profile without `show` true is no profile: whoever publishes the record, nothing the
        advisor did not agree to show travels on (withdrawing consent is a record without one)."""
        return v if v is not None and v.show else None


@event_type("AdvisorStatusChanged")
class AdvisorStatusChanged(EventPayload):
    advisor_id: str
    status: AdvisorStatus


@event_type("AcquaintanceDeclared")
class AcquaintanceDeclared(EventPayload):
    """An advisor knows this person (too) well: never route their cases to them (§2.3)."""

    advisor_id: str
    person_id: str


class WeeklyWindowSpec(EventPayload):
    weekday: int = Field(ge=0, le=6)  # Monday = 0, in Europe/Amsterdam local time
    start: time
    end: time


class LeaveSpec(EventPayload):
    first_day: date
    last_day: date


@event_type("AdvisorAvailabilitySet")
class AdvisorAvailabilitySet(EventPayload):
    """The advisor's weekly windows for meetings and planned leave (replaces earlier ones)."""

    advisor_id: str
    weekly_windows: tuple[WeeklyWindowSpec, ...]
    leave: tuple[LeaveSpec, ...] = ()


@event_type("AdvisorKeyRegistered")
class AdvisorKeyRegistered(EventPayload):
    """An advisor's Ed25519 public key for signed tokens (shared/auth.py), valid in a period.

    Registering the same key again with `valid_until` set revokes it from then on. On this
    compacted topic each key needs a record key of its own, so the envelope's stream_id is
    `advisor-key:<advisor_id>:<public_key_b64>` (not the bare advisor id, which AdvisorUpserted uses).
    """

    advisor_id: str
    public_key_b64: str  # raw 32-byte Ed25519 public key, standard base64
    valid_from: datetime
    valid_until: datetime | None = None


@event_type("CoordinatorAppointed")
class CoordinatorAppointed(EventPayload):
    """Who coordinates the advisors of which organisations (replaces the coordinator's earlier record;
    an empty `organisation_ids` ends the appointment). Keyed `coordinator:<coordinator_id>`, so the
    compacted topic keeps it apart from an advisor record with the same id."""

    coordinator_id: str
    organisation_ids: tuple[str, ...] = ()


@event_type("CommandSignerRegistered")
class CommandSignerRegistered(EventPayload):
    """A command signer's Ed25519 public key (shared/auth.py), valid in a period: a service such as
    the advisors' workbench that signs each command for the advisor signed in to it (its tokens
    carry `iss` = `signer_id`, `sub` = the advisor).

    Registering the same key again with `valid_until` set revokes it from then on. On this
    compacted topic each key needs a record key of its own: the envelope's stream_id is
    `command-signer:<signer_id>:<public_key_b64>`.
    """

    signer_id: str
    public_key_b64: str  # raw 32-byte Ed25519 public key, standard base64
    valid_from: datetime
    valid_until: datetime | None = None

    @property
    def stream_id(self) -> str:
        """The record key of this registration on the compacted topic (one per key)."""
        return f"command-signer:{self.signer_id}:{self.public_key_b64}"
