"""Who may see what (pure): views by role, and the documents they get. The roles, views and refusals
themselves are domain/roles.py.

The caller's role and subject come only from a verified credential (a JWT signed by the identity
provider, credentials.py); no request header names a role (docs/reporting.md, "Roles and views").

| role        | subject           | may see                                                          |
| ----------- | ----------------- | ---------------------------------------------------------------- |
| management  | organisation id   | the annual report; its organisation's units view (aggregates)    |
| hr          | organisation id   | the same as management                                           |
| coordinator | organisation id   | hours and training of the advisors of that organisation          |
| advisor     | advisor id        | their own hours and training                                     |

The annual report is a publication (it may be requested under the Woo): anyone may fetch it, with
or without a role. Management and HR never get a per-advisor figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.reporting.adapters.queries import AdvisorYear
from services.reporting.adapters.rendering.annual_report_formats import SUPPRESSED_MARK
from services.reporting.application.report_use_cases import UnitsTable
from services.reporting.domain.annual_report_data import TrainingBaseline
from services.reporting.domain.roles import Refusal, Role, View
from shared.codes import TimeActivity


def may_see_management_view(role: Role, subject: str, organisation_id: str) -> Refusal | None:
    if role not in (Role.MANAGEMENT, Role.HR):
        return Refusal(403, "management_view_is_for_management_and_hr")
    if subject != organisation_id:
        return Refusal(403, "not_your_organisation")
    return None


def may_see_advisors(
    view: View, role: Role, subject: str, advisors: Sequence[str], homes: Mapping[str, str | None]
) -> Refusal | None:
    """Coordinator view: only advisors whose home organisation is the coordinator's organisation
    (refused when none of those asked is; the others are withheld, `advisors_of_organisation`).
    Advisor view: only the advisor's own figures. Management and HR: never per-advisor figures."""
    if role in (Role.MANAGEMENT, Role.HR):
        return Refusal(403, "no_per_advisor_figures_for_management")
    if role.value != view.value:
        return Refusal(403, f"the_{view.value}_view_is_for_role_{view.value}")
    if not advisors:
        return Refusal(400, "advisors_required")
    if role is Role.ADVISOR:
        return None if list(advisors) == [subject] else Refusal(403, "advisors_see_only_their_own_figures")
    if not advisors_of_organisation(subject, advisors, homes):
        # The same answer whether the advisors are unknown or belong elsewhere.
        return Refusal(403, "not_an_advisor_of_your_organisation")
    return None


def advisors_of_organisation(
    organisation_id: str, advisors: Sequence[str], homes: Mapping[str, str | None]
) -> list[str]:
    """Those of `advisors` whose home organisation is known to be `organisation_id`, sorted, once
    each. The coordinator view answers for these and withholds the rest alike: an advisor reporting
    does not know and an advisor of another organisation look the same to the caller."""
    return sorted({advisor for advisor in advisors if homes.get(advisor) == organisation_id})


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def advisor_document(
    figures: AdvisorYear, year: int, baseline: TrainingBaseline, by_quarter: bool
) -> dict[str, Any]:
    activities = [a.value for a in TimeActivity]
    totals = {a: 0 for a in activities}
    for (_, activity), minutes in figures.minutes_by_quarter_and_activity.items():
        totals[activity] = totals.get(activity, 0) + minutes
    training_hours = figures.training_centihours / 100
    document: dict[str, Any] = {
        "advisor_id": figures.advisor_id,
        "year": year,
        "hours_by_activity": {a: _hours(totals[a]) for a in activities},
        "hours_total": _hours(sum(totals.values())),
        "training_hours": training_hours,
        "supervision_hours": figures.supervision_centihours / 100,
        "supervision_sessions": figures.supervision_sessions,
        "meets_baseline": training_hours >= baseline.training_hours
        and figures.supervision_sessions >= baseline.supervision_sessions,
    }
    if by_quarter:
        document["hours_by_quarter"] = {
            f"{quarter}|{activity}": _hours(minutes)
            for (quarter, activity), minutes in sorted(figures.minutes_by_quarter_and_activity.items())
        }
    return document


def advisors_view_document(
    view: View,
    figures: Sequence[AdvisorYear],
    year: int,
    baseline: TrainingBaseline,
    withheld: Sequence[str] = (),
) -> dict[str, Any]:
    """The advisor view (the advisor's own figures, by quarter too) or the coordinator view (a list,
    and `withheld`: the advisors asked for that it does not answer for, without saying why)."""
    documents = [advisor_document(f, year, baseline, by_quarter=view is View.ADVISOR) for f in figures]
    body: dict[str, Any] = {"year": year, "baseline": baseline_document(baseline)}
    if view is View.ADVISOR:
        body.update(documents[0])
    else:
        body["advisors"] = documents
        body["withheld"] = sorted(withheld)
    return body


def baseline_document(baseline: TrainingBaseline) -> dict[str, int]:
    return {"training_hours": baseline.training_hours, "supervision_sessions": baseline.supervision_sessions}


def units_document(units: UnitsTable) -> dict[str, Any]:
    """The management view: protected counts only; `null` marks a suppressed value."""
    table = units.table
    return {
        "organisation": {"id": units.organisation.id, "name": units.organisation.name},
        "year": units.year,
        "min_unit_size": units.min_unit_size,
        "k": table.k,
        "suppressed_mark": SUPPRESSED_MARK,
        "quarters": list(table.col_keys),
        "units": [
            {"unit_id": unit, "name": units.unit_names[unit], "by_quarter": list(cells), "total": total}
            for unit, cells, total in zip(table.row_keys, table.cells, table.row_totals, strict=True)
        ],
        "totals_by_quarter": list(table.col_totals),
        "total": table.grand_total,
    }
