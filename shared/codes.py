"""The coded vocabulary shared by intake, routing, scheduling and reporting (DOMAIN.md, "Coded fields").

Coded fields are what routing and statistics may use in clear. The string values are a contract:
they travel in events and land in reports, so never rename one; add new codes instead.
Labels are Dutch by default with English alongside (used by reports and the intake page).
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    SEXUAL_HARASSMENT = "unwanted_behaviour.sexual_harassment"
    AGGRESSION_VIOLENCE = "unwanted_behaviour.aggression_violence"
    BULLYING = "unwanted_behaviour.bullying"
    DISCRIMINATION = "unwanted_behaviour.discrimination"
    INTIMIDATION_OTHER = "unwanted_behaviour.intimidation_other"
    CORRUPTION = "integrity.corruption"
    FRAUD_THEFT = "integrity.fraud_theft"
    ABUSE_OF_POWER = "integrity.abuse_of_power"
    CONFLICT_OF_INTEREST = "integrity.conflict_of_interest"
    MISUSE_OF_INFORMATION = "integrity.misuse_of_information"
    GIFTS = "integrity.gifts"
    MISCONDUCT_PRIVATE_TIME = "integrity.misconduct_private_time"
    WASTE_POOR_PERFORMANCE = "integrity.waste_poor_performance"
    LABOUR_CONFLICT_WITH_MANAGER = "labour.conflict_with_manager"
    LABOUR_LEGAL_POSITION = "labour.legal_position"
    WORKLOAD = "workload"
    OTHER = "other"

    @property
    def family(self) -> str:
        """`unwanted_behaviour`, `integrity`, `labour` or `general` (workload, other)."""
        head = self.value.split(".", 1)[0]
        return head if head in ("unwanted_behaviour", "integrity", "labour") else "general"


class Channel(StrEnum):
    WEB = "web"
    CHAT = "chat"
    PHONE = "phone"
    WALK_IN = "walk_in"
    EMAIL = "email"
    VIA_MANAGER = "via_manager"


class ClientRole(StrEnum):
    EMPLOYEE = "employee"
    MANAGER = "manager"
    FORMER_EMPLOYEE = "former_employee"
    EXTERNAL_WORKER = "external_worker"


class AdvisorKind(StrEnum):
    VPI = "VPI"  # integrity
    VPO = "VPO"  # undesirable behaviour (ongewenste omgangsvormen)
    VPIO = "VPIO"  # both


class AdvisorScope(StrEnum):
    INTERNAL = "internal"
    CROSS_UNIT = "cross_unit"
    EXTERNAL = "external"


class AdvisorStatus(StrEnum):
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    DEPARTED = "departed"


class MeetingMode(StrEnum):
    ON_SITE_DISCREET_ROOM = "on_site_discreet_room"
    OFF_SITE_VENUE = "off_site_venue"
    PHONE = "phone"
    VIDEO = "video"


class Outcome(StrEnum):
    ADVICE_GIVEN = "advice_given"
    REFERRED_LABOUR_LAW_DESK = "referred.labour_law_desk"
    REFERRED_SOCIAL_WORKER = "referred.social_worker"
    REFERRED_COMPANY_DOCTOR = "referred.company_doctor"
    REFERRED_INTEGRITY_OFFICE = "referred.integrity_office"
    REFERRED_EXTERNAL_BODY = "referred.external_body"
    FORMAL_COMPLAINT = "formal_complaint"
    WHISTLEBLOWER_REPORT = "whistleblower_report"
    MEDIATION = "mediation"
    NO_FOLLOW_UP = "no_follow_up"


class InvolvedRole(StrEnum):
    """How a person involved relates to the client; used when no pseudonymous id is given."""

    DIRECT_MANAGER = "direct_manager"
    HIGHER_MANAGER = "higher_manager"
    COLLEAGUE = "colleague"
    SUBORDINATE = "subordinate"
    ADVISOR = "advisor"
    TOP_MANAGEMENT = "top_management"
    HR = "hr"
    OTHER = "other"


class TimeActivity(StrEnum):
    CONVERSATION = "conversation"
    ADMINISTRATION = "administration"
    PUBLICITY = "publicity"
    TRAINING = "training"


class ConflictReason(StrEnum):
    """Why an advisor declares a conflict of interest on a case (DeclareConflict). Coded, never free
    text: the command travels in clear on advisor.actions.v1."""

    KNOWS_PERSON = "knows_person"
    OWN_MANAGER_INVOLVED = "own_manager_involved"
    PRESSURE_FROM_MANAGEMENT = "pressure_from_management"
    OTHER = "other"


class TrainingKind(StrEnum):
    """What training an advisor registers (RegisterTraining)."""

    BASIC_COURSE = "basic_course"
    REFRESHER = "refresher"
    SPECIALIST = "specialist"


CATEGORY_LABELS: dict[Category, tuple[str, str]] = {
    Category.SEXUAL_HARASSMENT: ("Seksuele intimidatie", "Sexual harassment"),
    Category.AGGRESSION_VIOLENCE: ("Agressie en geweld", "Aggression and violence"),
    Category.BULLYING: ("Pesten", "Bullying"),
    Category.DISCRIMINATION: ("Discriminatie", "Discrimination"),
    Category.INTIMIDATION_OTHER: ("Overige intimidatie", "Other intimidation"),
    Category.CORRUPTION: ("Corruptie", "Corruption"),
    Category.FRAUD_THEFT: ("Fraude en diefstal", "Fraud and theft"),
    Category.ABUSE_OF_POWER: ("Misbruik van bevoegdheden", "Abuse of power"),
    Category.CONFLICT_OF_INTEREST: ("Belangenverstrengeling", "Conflict of interest"),
    Category.MISUSE_OF_INFORMATION: ("Misbruik van informatie", "Misuse of information"),
    Category.GIFTS: ("Geschenken en uitnodigingen", "Gifts and invitations"),
    Category.MISCONDUCT_PRIVATE_TIME: ("Misdragingen in privétijd", "Misconduct in private time"),
    Category.WASTE_POOR_PERFORMANCE: ("Verspilling en slecht functioneren", "Waste and poor performance"),
    Category.LABOUR_CONFLICT_WITH_MANAGER: (
        "Arbeidsconflict met leidinggevende",
        "Labour conflict with manager",
    ),
    Category.LABOUR_LEGAL_POSITION: ("Rechtspositionele vraag", "Legal position question"),
    Category.WORKLOAD: ("Werkdruk", "Workload"),
    Category.OTHER: ("Overig", "Other"),
}
