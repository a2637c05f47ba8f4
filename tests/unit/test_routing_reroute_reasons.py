"""Why open cases are routed again after directory changes: the reason each decision records."""

from __future__ import annotations

import pytest

from services.routing.domain.reroute import batch_reason, reroute_reason

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("change_type", "body", "reason"),
    [
        ("AdvisorStatusChanged", {"status": "on_leave"}, "advisor_on_leave"),
        ("AdvisorStatusChanged", {"status": "departed"}, "advisor_departed"),
        ("AdvisorStatusChanged", {"status": "active"}, "advisor_status"),
        ("AdvisorUpserted", {}, "advisor_changed"),
        ("AcquaintanceDeclared", {}, "acquaintance_declared"),
        ("OrgUnitUpserted", {}, "org_change"),
        ("PersonUpserted", {}, "org_change"),
    ],
)
def test_each_directory_change_names_its_reason(change_type: str, body: dict[str, str], reason: str) -> None:
    assert reroute_reason(change_type, body) == reason


def test_a_batch_of_one_kind_of_change_keeps_its_reason() -> None:
    assert batch_reason(["advisor_on_leave", "advisor_on_leave"]) == "advisor_on_leave"


def test_a_batch_of_mixed_changes_is_an_org_change() -> None:
    assert batch_reason(["advisor_on_leave", "acquaintance_declared"]) == "org_change"
