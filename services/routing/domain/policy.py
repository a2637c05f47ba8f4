"""The conflict-of-interest routing policy: which advisor may take a case, and who gets it.

DOMAIN.md step 2 and the study's §2.3 (threats to independence) and §2.6 (external advisor).
Pure: no I/O and no clock; `now` is passed in. `decide` is deterministic: the same case, directory
and `now` give the same Decision in any process.

How a decision is made
1. Candidates are the advisors whose scope covers the case (`Directory.advisors_in_scope`):
   internal advisors of the case's organisation, cross-unit advisors serving the case's unit or a
   unit above it, and all external advisors. Nobody else is looked at.
2. Each candidate is checked against the hard rules in a fixed order, cheap checks first:
   R8 availability, R7 kind, R9 language, R5 external only, R6 excluded for this case,
   R1 involved / complaint about an advisor, R23 unresolved manager line, R3 advisor manages the
   client or a person involved, R2 client or person involved in the advisor's chain, R4 small unit
   and acquaintance. A candidate is excluded under the FIRST rule that excludes it, so the counts
   in `rule_codes_applied` add up to the number of excluded candidates.
3. Among the eligible: the client's preferred advisor, else the current advisor (continuity: an
   external advisor must be one fixed person, §2.6), else the least loaded advisor at the client's
   location, else the least loaded advisor. Load is open cases per weekly hour; ties are broken by
   a keyed hash of (case id, advisor id), which spreads equal-load cases over the tied advisors.
4. Nobody eligible: the case is escalated, with counts per rule and no advisor ids.
5. A coordinator may then choose an advisor for the escalated case (`CaseFacts.coordinator_choice_id`,
   from `AssignEscalatedCase`): that advisor becomes a candidate even outside the case's scope (an
   external or cross-unit advisor of another unit or ministry, §2.6), is checked by the same rules
   as everyone else, and is selected first when eligible (`coordinator_choice`). The same `decide`,
   so the audit replays it like any decision; `coordinator_refusal` says why a choice failed.

What is clear and what is sensitive
`Decision.clear_part()` holds codes and counts only and may travel and be stored in clear.
`Decision.exclusions` names advisors and why each was excluded; the integrator encrypts it under
the case key (it reveals, for instance, who manages the client). Why a preferred advisor was not
chosen is only in the sensitive part; the clear part says `preferred_honoured`, nothing more.

Persons involved given by role only are resolved through the client's management chain, and
conservatively: a "higher manager" makes the client's whole chain involved; a role that cannot be
resolved (anonymous client, client without manager) excludes the advisors in the case's unit line
(its unit, the units above and below it) or, for a higher manager, the case's organisation.

Readings beyond the letter of the issue, all on the conservative side:
- R2 also covers the client: an advisor whose own manager is the client is not independent
  either (§2.3, "omdat jij ook in een hierarchische relatie tot die persoon staat").
- A whistleblower report needs an advisor for integrity (VPI or VPIO), whatever its categories.
- An involved id matches an advisor by person id or by advisor id (external advisors have no
  person id); any involved person who is an advisor makes the case a complaint about an advisor.
- A unit of unknown size counts as small.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple

from shared.codes import (
    AdvisorKind,
    AdvisorScope,
    AdvisorStatus,
    Category,
    ClientRole,
    InvolvedRole,
    Outcome,
)

from .directory import Advisor, Directory

POLICY_VERSION = "routing-policy/1.0.0"


class RuleCode(StrEnum):
    ADVISOR_INVOLVED = "R1_ADVISOR_INVOLVED"
    COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION = "R1_COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION"
    INVOLVED_IN_ADVISOR_CHAIN = "R2_INVOLVED_IN_ADVISOR_CHAIN"
    ADVISOR_IN_CHAIN_OF_INVOLVED = "R3_ADVISOR_IN_CHAIN_OF_INVOLVED"
    MANAGER_LINE_UNRESOLVED = "R23_MANAGER_LINE_UNRESOLVED"
    SMALL_UNIT_SHARED = "R4_SMALL_UNIT_SHARED"
    ACQUAINTANCE_DECLARED = "R4_ACQUAINTANCE_DECLARED"
    EXTERNAL_ONLY = "R5_EXTERNAL_ONLY"
    EXCLUDED_FOR_CASE = "R6_EXCLUDED_FOR_CASE"
    KIND_MISMATCH = "R7_KIND_MISMATCH"
    NOT_AVAILABLE = "R8_NOT_AVAILABLE"
    LANGUAGE_MISMATCH = "R9_LANGUAGE_MISMATCH"
    # Only in exclusions of a preferred advisor and in re-routing checks: not candidates at all.
    OUT_OF_SCOPE = "S_OUT_OF_SCOPE"
    UNKNOWN_ADVISOR = "S_UNKNOWN_ADVISOR"


class DetailCode(StrEnum):
    ADVISOR_IS_CLIENT = "advisor_is_client"
    ADVISOR_NAMED_AS_INVOLVED = "advisor_named_as_involved"
    SAME_ORGANISATION_AS_ADVISOR_COMPLAINED_ABOUT = "same_organisation_as_advisor_complained_about"
    UNKNOWN_ADVISOR_COMPLAINED_ABOUT = "unknown_advisor_complained_about_client_organisation"
    CLIENT_IN_ADVISOR_CHAIN = "client_in_advisor_chain"
    INVOLVED_IN_ADVISOR_CHAIN = "involved_in_advisor_chain"
    ADVISOR_MANAGES_CLIENT = "advisor_manages_client"
    ADVISOR_MANAGES_INVOLVED = "advisor_manages_involved"
    UNRESOLVED_MANAGER_UNIT_LINE = "unresolved_manager_unit_line"
    UNRESOLVED_HIGHER_MANAGER_ORGANISATION = "unresolved_higher_manager_organisation"
    SMALL_UNIT_SHARED = "small_unit_shared"
    ACQUAINTANCE_OF_CLIENT = "acquaintance_of_client"
    ACQUAINTANCE_OF_INVOLVED = "acquaintance_of_involved"
    TOP_MANAGEMENT_INVOLVED = "top_management_involved"
    CLIENT_WANTS_EXTERNAL = "client_wants_external"
    EXCLUDED_BY_CLIENT = "excluded_by_client"
    DECLARED_CONFLICT_ON_CASE = "declared_conflict_on_case"
    KIND_DOES_NOT_COVER_CATEGORIES = "kind_does_not_cover_categories"
    ON_LEAVE = "on_leave"
    DEPARTED = "departed"
    TERM_ENDED = "term_ended"
    TERM_NOT_STARTED = "term_not_started"
    LANGUAGE_NOT_SPOKEN = "language_not_spoken"
    NOT_SERVING_CASE_UNIT = "not_serving_case_unit"
    UNKNOWN_ADVISOR = "unknown_advisor"


class SelectionReason(StrEnum):
    PREFERRED = "preferred"
    CURRENT = "current"
    SAME_LOCATION = "same_location"
    LOWEST_LOAD = "lowest_load"
    COORDINATOR_CHOICE = "coordinator_choice"


class EscalationReason(StrEnum):
    NO_ADVISOR_IN_SCOPE = "no_advisor_in_scope"
    ALL_CANDIDATES_EXCLUDED = "all_candidates_excluded"


RULE_DESCRIPTIONS: dict[RuleCode, str] = {
    RuleCode.ADVISOR_INVOLVED: "the advisor is the client or one of the persons involved (§2.3)",
    RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION: (
        "the case is a complaint about an advisor and this advisor belongs to the same organisation (§2.6)"
    ),
    RuleCode.INVOLVED_IN_ADVISOR_CHAIN: (
        "the client or a person involved is in the advisor's own management chain (§2.3)"
    ),
    RuleCode.ADVISOR_IN_CHAIN_OF_INVOLVED: (
        "the advisor is in the management chain of the client or of a person involved (§2.3)"
    ),
    RuleCode.MANAGER_LINE_UNRESOLVED: (
        "a manager is involved who could not be identified, and the advisor works in the same line (§2.3)"
    ),
    RuleCode.SMALL_UNIT_SHARED: (
        "the advisor works in the same small unit as the client or a person involved (§2.3)"
    ),
    RuleCode.ACQUAINTANCE_DECLARED: (
        "the advisor declared to know the client or a person involved (too) well (§2.3)"
    ),
    RuleCode.EXTERNAL_ONLY: (
        "top management is involved or the client asked for an external advisor: external only (§2.6)"
    ),
    RuleCode.EXCLUDED_FOR_CASE: (
        "the client excluded this advisor, or the advisor declared a conflict on this case (§2.6)"
    ),
    RuleCode.KIND_MISMATCH: "the advisor's kind (VPI, VPO, VPIO) does not cover the categories (§1.1)",
    RuleCode.NOT_AVAILABLE: "the advisor is not active or outside the term of appointment (§2.2)",
    RuleCode.LANGUAGE_MISMATCH: "the advisor does not speak the client's language",
    RuleCode.OUT_OF_SCOPE: "the advisor does not serve the case's unit or organisation",
    RuleCode.UNKNOWN_ADVISOR: "the advisor is not in the directory",
}

_SELECTION_DESCRIPTIONS: dict[SelectionReason, str] = {
    SelectionReason.PREFERRED: "the client's preferred advisor, who has no conflict (§2.6)",
    SelectionReason.CURRENT: "the advisor already on the case, who still has no conflict (§2.6)",
    SelectionReason.SAME_LOCATION: "the least loaded eligible advisor at the client's location",
    SelectionReason.LOWEST_LOAD: "the least loaded eligible advisor",
    SelectionReason.COORDINATOR_CHOICE: (
        "the advisor a coordinator chose for the escalated case, who has no conflict (§2.6)"
    ),
}

LABOUR_LAW_REFERRAL = Outcome.REFERRED_LABOUR_LAW_DESK.value

_INTEGRITY = "integrity"
_UNWANTED_BEHAVIOUR = "unwanted_behaviour"
_KIND_COVERS: dict[AdvisorKind, frozenset[str]] = {
    AdvisorKind.VPI: frozenset({_INTEGRITY}),
    AdvisorKind.VPO: frozenset({_UNWANTED_BEHAVIOUR}),
    AdvisorKind.VPIO: frozenset({_INTEGRITY, _UNWANTED_BEHAVIOUR}),
}
_NOWHERE: tuple[str | None, frozenset[str]] = (None, frozenset())


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class InvolvedPerson:
    """A person the case is about: by pseudonymous id, by role relative to the client, or both."""

    person_id: str | None = None
    role: InvolvedRole | None = None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: str
    organisation_id: str
    unit_id: str  # the client's unit, also for an anonymous client
    client_person_id: str | None  # None for an anonymous client
    client_role: ClientRole
    categories: tuple[Category, ...]
    persons_involved: tuple[InvolvedPerson, ...] = ()
    preferred_advisor_id: str | None = None
    excluded_advisor_ids: frozenset[str] = frozenset()
    wants_external: bool = False
    language: str | None = None
    location: str | None = None  # a location code (shared/locations.py), "unknown" matches nobody
    is_whistleblower_report: bool = False  # needs an advisor for integrity (VPI or VPIO)
    current_advisor_id: str | None = None
    previously_conflicted_advisor_ids: frozenset[str] = frozenset()  # never again on this case
    # A coordinator's choice for the escalated case: a candidate whatever its scope (step 5 above).
    coordinator_choice_id: str | None = None


@dataclass(frozen=True, slots=True)
class PolicySettings:
    small_unit_threshold: int = 50  # a unit with fewer people than this is "small" (§2.3)
    policy_version: str = POLICY_VERSION
    load_hours_floor: float = 0.1  # weekly hours below this count as this, so load stays finite
    tie_break_key: bytes = b"caseflow/routing/tie-break/1"


DEFAULT = PolicySettings()


# --------------------------------------------------------------------------------------------
# Outputs


# A named tuple rather than a frozen dataclass: a decision creates one Exclusion per excluded
# candidate (about fifty in a large ministry), and tuples are several times cheaper to create.
class Exclusion(NamedTuple):
    advisor_id: str
    rule_code: RuleCode
    detail_code: DetailCode


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule_code: RuleCode
    count: int


@dataclass(frozen=True, slots=True)
class Decision:
    case_id: str
    outcome: Literal["assigned", "escalated"]
    advisor_id: str | None
    advisor_scope: AdvisorScope | None
    selection_reason: SelectionReason | None
    preferred_honoured: bool
    referral_suggested: str | None
    escalation_reason: EscalationReason | None
    rule_codes_applied: tuple[RuleCount, ...]  # ordered by rule code
    candidates_considered: int
    eligible_count: int
    policy_version: str
    directory_revision: int
    decided_at: datetime
    # SENSITIVE: names advisors and why they were excluded; encrypt under the case key.
    exclusions: tuple[Exclusion, ...] = field(default=())

    def clear_part(self) -> dict[str, object]:
        """Everything except `exclusions`: codes, counts and the chosen advisor; no other ids."""
        return {
            "case_id": self.case_id,
            "outcome": self.outcome,
            "advisor_id": self.advisor_id,
            "advisor_scope": None if self.advisor_scope is None else self.advisor_scope.value,
            "selection_reason": None if self.selection_reason is None else self.selection_reason.value,
            "preferred_honoured": self.preferred_honoured,
            "referral_suggested": self.referral_suggested,
            "escalation_reason": None if self.escalation_reason is None else self.escalation_reason.value,
            "rule_codes_applied": {c.rule_code.value: c.count for c in self.rule_codes_applied},
            "candidates_considered": self.candidates_considered,
            "eligible_count": self.eligible_count,
            "policy_version": self.policy_version,
            "directory_revision": self.directory_revision,
            "decided_at": self.decided_at.isoformat(),
        }

    def sensitive_part(self) -> dict[str, object]:
        return {
            "exclusions": [
                {
                    "advisor_id": e.advisor_id,
                    "rule_code": e.rule_code.value,
                    "detail_code": e.detail_code.value,
                }
                for e in self.exclusions
            ]
        }


# --------------------------------------------------------------------------------------------
# The policy


def decide(
    case: CaseFacts, directory: Directory, now: datetime, settings: PolicySettings = DEFAULT
) -> Decision:
    context = _CaseContext.of(case, directory, now, settings)
    candidates = candidates_for(case, directory)

    eligible: list[Advisor] = []
    exclusions: list[Exclusion] = []
    counts: dict[RuleCode, int] = {}
    for advisor in candidates:
        violation = next(_violations(advisor, context, directory), None)
        if violation is None:
            eligible.append(advisor)
        else:
            rule_code, detail_code = violation
            exclusions.append(Exclusion(advisor.advisor_id, rule_code, detail_code))
            counts[rule_code] = counts.get(rule_code, 0) + 1

    for named_id in (case.preferred_advisor_id, case.coordinator_choice_id):
        if named_id is not None and all(a.advisor_id != named_id for a in candidates):
            # Not a candidate at all: say so in the sensitive part only, and leave the counts alone.
            known = directory.advisor(named_id) is not None
            exclusion = Exclusion(
                named_id,
                RuleCode.OUT_OF_SCOPE if known else RuleCode.UNKNOWN_ADVISOR,
                DetailCode.NOT_SERVING_CASE_UNIT if known else DetailCode.UNKNOWN_ADVISOR,
            )
            if exclusion not in exclusions:
                exclusions.append(exclusion)

    chosen, reason = _select(eligible, case, settings)
    return Decision(
        case_id=case.case_id,
        outcome="escalated" if chosen is None else "assigned",
        advisor_id=None if chosen is None else chosen.advisor_id,
        advisor_scope=None if chosen is None else chosen.scope,
        selection_reason=reason,
        preferred_honoured=reason is SelectionReason.PREFERRED,
        referral_suggested=context.referral,
        escalation_reason=(
            None
            if chosen is not None
            else EscalationReason.ALL_CANDIDATES_EXCLUDED
            if candidates
            else EscalationReason.NO_ADVISOR_IN_SCOPE
        ),
        rule_codes_applied=tuple(RuleCount(code, counts[code]) for code in sorted(counts)),
        candidates_considered=len(candidates),
        eligible_count=len(eligible),
        policy_version=settings.policy_version,
        directory_revision=directory.revision,
        decided_at=now,
        exclusions=tuple(sorted(exclusions)),
    )


def candidates_for(case: CaseFacts, directory: Directory) -> list[Advisor]:
    """The advisors a decision looks at: those whose scope covers the case, and the advisor a
    coordinator chose for it (if in the directory)."""
    candidates = directory.advisors_in_scope(case.organisation_id, case.unit_id)
    chosen_id = case.coordinator_choice_id
    if chosen_id is not None and all(a.advisor_id != chosen_id for a in candidates):
        chosen = directory.advisor(chosen_id)
        if chosen is not None:
            candidates.append(chosen)
    return candidates


def coordinator_refusal(decision: Decision, chosen_advisor_id: str) -> RuleCode | None:
    """Why the policy did not give the case to the coordinator's choice: the rule that excluded the
    chosen advisor (`UNKNOWN_ADVISOR` when not in the directory); None when it did."""
    if decision.advisor_id == chosen_advisor_id:
        return None
    for exclusion in decision.exclusions:
        if exclusion.advisor_id == chosen_advisor_id:
            return exclusion.rule_code
    return RuleCode.UNKNOWN_ADVISOR  # cannot happen: decide names every named advisor it leaves out


def is_assignment_still_valid(
    case: CaseFacts,
    directory: Directory,
    now: datetime,
    advisor_id: str,
    settings: PolicySettings = DEFAULT,
) -> tuple[bool, tuple[RuleCode, ...]]:
    """Re-check an existing assignment after an org change, leave, term end or new facts.

    Returns every rule the advisor now breaks (not only the first), in evaluation order.
    """
    advisor = directory.advisor(advisor_id)
    if advisor is None:
        return False, (RuleCode.UNKNOWN_ADVISOR,)
    context = _CaseContext.of(case, directory, now, settings)
    codes: list[RuleCode] = []
    if not _serves(advisor, case, directory):
        codes.append(RuleCode.OUT_OF_SCOPE)
    for rule_code, _ in _violations(advisor, context, directory):
        if rule_code not in codes:
            codes.append(rule_code)
    return not codes, tuple(codes)


def term_endings_within(directory: Directory, now: datetime, days: int = 60) -> list[tuple[str, date]]:
    """Advisors (not departed) whose term ends from today up to `days` ahead, soonest first.

    Reappointment needs a check in time (§2.2 "termijnen").
    """
    today = now.date()
    horizon = today + timedelta(days=days)
    endings = [
        (advisor.advisor_id, advisor.term_end)
        for advisor in directory.advisors()
        if advisor.term_end is not None
        and today <= advisor.term_end <= horizon
        and advisor.status is not AdvisorStatus.DEPARTED
    ]
    return sorted(endings, key=lambda ending: (ending[1], ending[0]))


def explain(decision: Decision, include_exclusions: bool = False) -> list[str]:
    """The decision in plain English. `include_exclusions` adds the sensitive part: only for
    someone allowed to read the case (it names advisors)."""
    lines = [
        (
            f"Policy {decision.policy_version} considered {decision.candidates_considered} advisor(s) "
            f"whose scope covers the case; {decision.eligible_count} had no conflict of interest."
        )
    ]
    for rule_count in decision.rule_codes_applied:
        lines.append(
            f"{rule_count.count} advisor(s) excluded because "
            f"{RULE_DESCRIPTIONS[rule_count.rule_code]} [{rule_count.rule_code.value}]."
        )
    if decision.outcome == "assigned" and decision.selection_reason is not None:
        scope = decision.advisor_scope.value if decision.advisor_scope is not None else "unknown"
        lines.append(
            f"Assigned to advisor {decision.advisor_id} ({scope}): "
            f"{_SELECTION_DESCRIPTIONS[decision.selection_reason]}."
        )
    else:
        why = (
            "no advisor's scope covers the case's unit"
            if decision.escalation_reason is EscalationReason.NO_ADVISOR_IN_SCOPE
            else "every advisor in scope was excluded by the rules above"
        )
        lines.append(f"No advisor could be assigned ({why}); the case is escalated to the coordinator.")
    if decision.referral_suggested == LABOUR_LAW_REFERRAL:
        lines.append("This is a labour-law question: a referral to the labour-law desk is suggested (§2.2).")
    if include_exclusions:
        for exclusion in decision.exclusions:
            lines.append(
                f"Advisor {exclusion.advisor_id} excluded: {RULE_DESCRIPTIONS[exclusion.rule_code]} "
                f"({exclusion.detail_code.value.replace('_', ' ')})."
            )
    return lines


# --------------------------------------------------------------------------------------------
# Internals


@dataclass(frozen=True, slots=True)
class _CaseContext:
    """What the rules need to know about a case, worked out once per decision."""

    today: date
    organisation_id: str
    client_id: str | None
    involved_ids: frozenset[str]  # named or resolved from a role; the client is not in it
    related_ids: frozenset[str]  # involved_ids plus the client
    client_chain: frozenset[str]
    involved_chains: frozenset[str]  # union of the management chains of the persons involved
    small_units: frozenset[str]
    complaint_organisations: dict[str | None, DetailCode]  # None: the external advisors' pool
    unresolved_line_units: frozenset[str]  # case unit and the units above it
    unresolved_line_root: str | None  # the case unit, to also catch the units below it
    unresolved_higher_manager: bool
    external_only: DetailCode | None
    acceptable_kinds: frozenset[AdvisorKind]
    language: str | None
    excluded_by_client: frozenset[str]
    declared_conflict: frozenset[str]
    referral: str | None

    @classmethod
    def of(
        cls, case: CaseFacts, directory: Directory, now: datetime, settings: PolicySettings
    ) -> _CaseContext:
        client_id = case.client_person_id
        client_chain = directory.management_chain(client_id) if client_id is not None else ()

        involved: set[str] = set()
        complaint_organisations: dict[str | None, DetailCode] = {}
        top_management = False
        unresolved_manager = False
        unresolved_higher_manager = False
        for involved_person in case.persons_involved:
            person_id, role = involved_person.person_id, involved_person.role
            if role is InvolvedRole.TOP_MANAGEMENT:
                top_management = True
            if person_id is not None:
                involved.add(person_id)
                person = directory.person(person_id)
                if person is not None and person.is_top_management:
                    top_management = True
                advisors = directory.advisors_of_person(person_id)
                by_advisor_id = directory.advisor(person_id)  # external advisors have no person id
                if by_advisor_id is not None:
                    advisors = (*advisors, by_advisor_id)
                for advisor in advisors:
                    complaint_organisations.setdefault(
                        advisor.organisation_id, DetailCode.SAME_ORGANISATION_AS_ADVISOR_COMPLAINED_ABOUT
                    )
                if role is InvolvedRole.ADVISOR and not advisors:
                    # Named as an advisor but not one in the directory: keep away from their organisation.
                    organisation = directory.organisation_of_person(person_id) or case.organisation_id
                    complaint_organisations.setdefault(
                        organisation, DetailCode.SAME_ORGANISATION_AS_ADVISOR_COMPLAINED_ABOUT
                    )
            elif role is InvolvedRole.DIRECT_MANAGER:
                if client_chain:
                    involved.add(client_chain[0])
                else:
                    unresolved_manager = True
            elif role is InvolvedRole.HIGHER_MANAGER:
                if client_chain:
                    involved.update(client_chain)  # who exactly is unknown: the whole line
                else:
                    unresolved_higher_manager = True
            elif role is InvolvedRole.TOP_MANAGEMENT:
                for manager_id in client_chain:
                    manager = directory.person(manager_id)
                    if manager is not None and manager.is_top_management:
                        involved.add(manager_id)
            elif role is InvolvedRole.ADVISOR:
                complaint_organisations.setdefault(
                    case.organisation_id, DetailCode.UNKNOWN_ADVISOR_COMPLAINED_ABOUT
                )
        if client_id is not None:
            involved.discard(client_id)

        related = set(involved)
        if client_id is not None:
            related.add(client_id)

        involved_chains: set[str] = set()
        for person_id in involved:
            involved_chains.update(directory.management_chain(person_id))

        units_of_related = {case.unit_id}
        for person_id in related:
            unit_id = directory.unit_of(person_id)
            if unit_id is not None:
                units_of_related.add(unit_id)
        threshold = settings.small_unit_threshold
        small_units = frozenset(
            unit_id
            for unit_id in units_of_related
            if (size := directory.unit_size(unit_id)) is None or size < threshold  # unknown: small
        )

        if unresolved_manager or unresolved_higher_manager:
            line_units = frozenset({case.unit_id, *directory.ancestors_of_unit(case.unit_id)})
            line_root: str | None = case.unit_id
        else:
            line_units, line_root = frozenset(), None

        families = {category.family for category in case.categories}
        needed = families & {_INTEGRITY, _UNWANTED_BEHAVIOUR}
        if case.is_whistleblower_report:
            needed.add(_INTEGRITY)
        acceptable_kinds = frozenset(kind for kind, covers in _KIND_COVERS.items() if needed <= covers)

        external_only = (
            DetailCode.TOP_MANAGEMENT_INVOLVED
            if top_management
            else DetailCode.CLIENT_WANTS_EXTERNAL
            if case.wants_external
            else None
        )
        return cls(
            today=now.date(),
            organisation_id=case.organisation_id,
            client_id=client_id,
            involved_ids=frozenset(involved),
            related_ids=frozenset(related),
            client_chain=frozenset(client_chain),
            involved_chains=frozenset(involved_chains),
            small_units=small_units,
            complaint_organisations=complaint_organisations,
            unresolved_line_units=line_units,
            unresolved_line_root=line_root,
            unresolved_higher_manager=unresolved_higher_manager,
            external_only=external_only,
            acceptable_kinds=acceptable_kinds,
            language=case.language,
            excluded_by_client=case.excluded_advisor_ids,
            declared_conflict=case.previously_conflicted_advisor_ids,
            referral=LABOUR_LAW_REFERRAL if "labour" in families else None,
        )


def _violations(
    advisor: Advisor, context: _CaseContext, directory: Directory
) -> Iterator[tuple[RuleCode, DetailCode]]:
    """Every hard rule the advisor breaks for this case, cheapest checks first."""
    # R8: availability and term of appointment (§2.2 "termijnen").
    if advisor.status is AdvisorStatus.ON_LEAVE:
        yield RuleCode.NOT_AVAILABLE, DetailCode.ON_LEAVE
    elif advisor.status is AdvisorStatus.DEPARTED:
        yield RuleCode.NOT_AVAILABLE, DetailCode.DEPARTED
    elif advisor.term_start > context.today:
        yield RuleCode.NOT_AVAILABLE, DetailCode.TERM_NOT_STARTED
    elif advisor.term_end is not None and advisor.term_end < context.today:
        yield RuleCode.NOT_AVAILABLE, DetailCode.TERM_ENDED

    # R7: VPO only unwanted behaviour, VPI only integrity, VPIO both; labour, workload, other: any.
    if advisor.kind not in context.acceptable_kinds:
        yield RuleCode.KIND_MISMATCH, DetailCode.KIND_DOES_NOT_COVER_CATEGORIES

    # R9: the client's language.
    if context.language is not None and context.language not in advisor.languages:
        yield RuleCode.LANGUAGE_MISMATCH, DetailCode.LANGUAGE_NOT_SPOKEN

    # R5: top management involved, or the client asked for someone from outside (§2.6).
    if context.external_only is not None and advisor.scope is not AdvisorScope.EXTERNAL:
        yield RuleCode.EXTERNAL_ONLY, context.external_only

    # R6: the client's own exclusions, and advisors who declared a conflict on this case.
    if advisor.advisor_id in context.excluded_by_client:
        yield RuleCode.EXCLUDED_FOR_CASE, DetailCode.EXCLUDED_BY_CLIENT
    elif advisor.advisor_id in context.declared_conflict:
        yield RuleCode.EXCLUDED_FOR_CASE, DetailCode.DECLARED_CONFLICT_ON_CASE

    # R1: the advisor is the client or involved; a complaint about an advisor leaves their organisation.
    person_id = advisor.person_id
    if person_id is not None and person_id == context.client_id:
        yield RuleCode.ADVISOR_INVOLVED, DetailCode.ADVISOR_IS_CLIENT
    elif advisor.advisor_id in context.involved_ids or (
        person_id is not None and person_id in context.involved_ids
    ):
        yield RuleCode.ADVISOR_INVOLVED, DetailCode.ADVISOR_NAMED_AS_INVOLVED
    if context.complaint_organisations:
        complaint_detail = context.complaint_organisations.get(advisor.organisation_id)
        if complaint_detail is not None:
            yield RuleCode.COMPLAINT_ABOUT_ADVISOR_SAME_ORGANISATION, complaint_detail

    # R23: a manager is involved whom the directory cannot name; stay clear of the whole line.
    advisor_unit, advisor_chain = directory.placement(person_id) if person_id is not None else _NOWHERE
    if context.unresolved_higher_manager and advisor.organisation_id == context.organisation_id:
        yield RuleCode.MANAGER_LINE_UNRESOLVED, DetailCode.UNRESOLVED_HIGHER_MANAGER_ORGANISATION
    elif (
        context.unresolved_line_root is not None
        and advisor_unit is not None
        and (
            advisor_unit in context.unresolved_line_units
            or context.unresolved_line_root in directory.ancestors_of_unit(advisor_unit)
        )
    ):
        yield RuleCode.MANAGER_LINE_UNRESOLVED, DetailCode.UNRESOLVED_MANAGER_UNIT_LINE

    if person_id is None:  # an external advisor outside the organisation: no chain, no unit
        return

    # R3: the advisor manages the client or a person involved, directly or higher up (§2.3).
    if person_id in context.client_chain:
        yield RuleCode.ADVISOR_IN_CHAIN_OF_INVOLVED, DetailCode.ADVISOR_MANAGES_CLIENT
    elif person_id in context.involved_chains:
        yield RuleCode.ADVISOR_IN_CHAIN_OF_INVOLVED, DetailCode.ADVISOR_MANAGES_INVOLVED

    # R2: the client or a person involved is the advisor's own manager, direct or higher (§2.3).
    if context.client_id is not None and context.client_id in advisor_chain:
        yield RuleCode.INVOLVED_IN_ADVISOR_CHAIN, DetailCode.CLIENT_IN_ADVISOR_CHAIN
    elif not context.involved_ids.isdisjoint(advisor_chain):
        yield RuleCode.INVOLVED_IN_ADVISOR_CHAIN, DetailCode.INVOLVED_IN_ADVISOR_CHAIN

    # R4: knows the people too well: a shared small unit or a declared acquaintance (§2.3).
    if advisor_unit is not None and advisor_unit in context.small_units:
        yield RuleCode.SMALL_UNIT_SHARED, DetailCode.SMALL_UNIT_SHARED
    if not advisor.acquaintances.isdisjoint(context.related_ids):
        client_known = context.client_id is not None and context.client_id in advisor.acquaintances
        yield (
            RuleCode.ACQUAINTANCE_DECLARED,
            DetailCode.ACQUAINTANCE_OF_CLIENT if client_known else DetailCode.ACQUAINTANCE_OF_INVOLVED,
        )


def _serves(advisor: Advisor, case: CaseFacts, directory: Directory) -> bool:
    if advisor.advisor_id == case.coordinator_choice_id:
        return True  # a coordinator widened this case's scope by this advisor (step 5)
    if advisor.scope is AdvisorScope.EXTERNAL:
        return True
    if advisor.scope is AdvisorScope.INTERNAL:
        return advisor.organisation_id == case.organisation_id
    line = (case.unit_id, *directory.ancestors_of_unit(case.unit_id))
    return any(unit_id in advisor.served_unit_ids for unit_id in line)


def _select(
    eligible: list[Advisor], case: CaseFacts, settings: PolicySettings
) -> tuple[Advisor | None, SelectionReason | None]:
    if not eligible:
        return None, None
    for advisor_id, reason in (
        (case.coordinator_choice_id, SelectionReason.COORDINATOR_CHOICE),
        (case.preferred_advisor_id, SelectionReason.PREFERRED),
        (case.current_advisor_id, SelectionReason.CURRENT),
    ):
        if advisor_id is not None:
            for advisor in eligible:
                if advisor.advisor_id == advisor_id:
                    return advisor, reason
    if case.location is not None:
        nearby = [advisor for advisor in eligible if case.location in advisor.locations]
        if nearby:
            return _least_loaded(nearby, case.case_id, settings), SelectionReason.SAME_LOCATION
    return _least_loaded(eligible, case.case_id, settings), SelectionReason.LOWEST_LOAD


def advisor_load(advisor: Advisor, settings: PolicySettings = DEFAULT) -> float:
    """Open cases per allocated weekly hour."""
    return advisor.open_cases / max(advisor.weekly_hours, settings.load_hours_floor)


def _least_loaded(advisors: list[Advisor], case_id: str, settings: PolicySettings) -> Advisor:
    loads = [advisor_load(advisor, settings) for advisor in advisors]
    lowest = min(loads)
    tied = [advisor for advisor, load in zip(advisors, loads, strict=True) if load == lowest]
    if len(tied) == 1:
        return tied[0]
    # A keyed hash per (case, advisor): deterministic, yet equal loads do not always favour one person.
    return min(
        tied, key=lambda advisor: (tie_break_rank(case_id, advisor.advisor_id, settings), advisor.advisor_id)
    )


def tie_break_rank(case_id: str, advisor_id: str, settings: PolicySettings = DEFAULT) -> bytes:
    message = f"{case_id}\x1f{advisor_id}".encode()
    return hashlib.blake2b(message, key=settings.tie_break_key, digest_size=8).digest()
