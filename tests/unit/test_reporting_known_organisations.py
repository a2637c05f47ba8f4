"""Reporting names only organisations the organisation file has (when it has one)."""

from __future__ import annotations

import pytest

from services.reporting.adapters.organisation import OrganisationModel, Unit

pytestmark = pytest.mark.unit

FILE = OrganisationModel(
    units={
        "bzk": Unit("bzk", None, "Binnenlandse Zaken", 2000, "min-bzk"),
        "bzk-ict": Unit("bzk-ict", "bzk", "ICT", 30, "min-bzk"),
    }
)


def test_an_organisation_the_file_does_not_have_gets_no_report_even_if_events_name_it() -> None:
    assert FILE.may_exist("min-bzk")
    assert not FILE.may_exist("min-atlantis")  # e.g. an id invented before intake checked ids


def test_without_a_file_every_organisation_seen_in_the_events_may_exist() -> None:
    assert OrganisationModel().may_exist("min-atlantis")
