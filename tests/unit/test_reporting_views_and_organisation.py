"""Who sees what, and what reporting keeps of the organisation file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.reporting.adapters.organisation import (
    OrganisationFileError,
    home_organisations,
    load_organisation,
)
from services.reporting.application.access_rules import (
    advisors_of_organisation,
    may_see_advisors,
    may_see_management_view,
)
from services.reporting.domain.disclosure import merge_small_units
from services.reporting.domain.roles import Refusal, Role, View

pytestmark = pytest.mark.unit

HOMES = {"adv-anna": "min-bzk", "adv-bram": "min-bzk", "adv-carla": "min-fin", "adv-dirk": None}


@pytest.mark.parametrize("role", [Role.MANAGEMENT, Role.HR])
def test_management_and_hr_see_aggregates_of_their_own_organisation_only(role: Role) -> None:
    assert may_see_management_view(role, "min-bzk", "min-bzk") is None
    assert may_see_management_view(role, "min-bzk", "min-fin") == Refusal(403, "not_your_organisation")


@pytest.mark.parametrize("role", [Role.MANAGEMENT, Role.HR])
@pytest.mark.parametrize("view", [View.COORDINATOR, View.ADVISOR])
def test_management_and_hr_never_get_per_advisor_figures(role: Role, view: View) -> None:
    refusal = may_see_advisors(view, role, "min-bzk", ["adv-anna"], HOMES)
    assert refusal == Refusal(403, "no_per_advisor_figures_for_management")


def test_coordinators_and_advisors_do_not_see_the_management_view() -> None:
    assert may_see_management_view(Role.COORDINATOR, "min-bzk", "min-bzk") is not None
    assert may_see_management_view(Role.ADVISOR, "adv-anna", "min-bzk") is not None


def test_a_coordinator_sees_the_advisors_of_their_own_organisation() -> None:
    assert (
        may_see_advisors(View.COORDINATOR, Role.COORDINATOR, "min-bzk", ["adv-anna", "adv-bram"], HOMES)
        is None
    )
    for others in (["adv-carla"], ["adv-dirk"], ["adv-unknown"], ["adv-carla", "adv-unknown"]):
        refusal = may_see_advisors(View.COORDINATOR, Role.COORDINATOR, "min-bzk", others, HOMES)
        assert refusal == Refusal(403, "not_an_advisor_of_your_organisation")
    assert may_see_advisors(View.COORDINATOR, Role.COORDINATOR, "min-bzk", [], HOMES) == Refusal(
        400, "advisors_required"
    )


def test_a_coordinator_gets_the_advisors_reporting_confirms_and_the_rest_are_withheld_alike() -> None:
    asked = ["adv-unknown", "adv-anna", "adv-carla", "adv-dirk", "adv-anna"]
    assert may_see_advisors(View.COORDINATOR, Role.COORDINATOR, "min-bzk", asked, HOMES) is None
    assert advisors_of_organisation("min-bzk", asked, HOMES) == ["adv-anna"]
    # An advisor of another organisation and one reporting has never heard of: both simply absent.
    assert advisors_of_organisation("min-fin", ["adv-carla", "adv-unknown"], HOMES) == ["adv-carla"]
    assert advisors_of_organisation("min-bzk", ["adv-dirk", "adv-unknown"], HOMES) == []


def test_an_advisor_sees_only_their_own_figures() -> None:
    assert may_see_advisors(View.ADVISOR, Role.ADVISOR, "adv-anna", ["adv-anna"], {}) is None
    assert may_see_advisors(View.ADVISOR, Role.ADVISOR, "adv-anna", ["adv-bram"], {}) == Refusal(
        403, "advisors_see_only_their_own_figures"
    )
    assert may_see_advisors(View.COORDINATOR, Role.ADVISOR, "adv-anna", ["adv-anna"], HOMES) is not None
    assert may_see_advisors(View.ADVISOR, Role.COORDINATOR, "min-bzk", ["adv-anna"], HOMES) is not None


def directory_file(tmp_path: Path) -> Path:
    doc = {
        "units": [
            {"unit_id": "bzk", "parent_id": None, "name": "Binnenlandse Zaken", "size": 2000, "organisation_id": "min-bzk"},
            {"unit_id": "bzk-dgob", "parent_id": "bzk", "name": "DG Overheidsorganisatie", "size": 400,
             "organisation_id": "min-bzk"},
            {"unit_id": "bzk-dgob-ict", "parent_id": "bzk-dgob", "name": "ICT", "size": 30, "organisation_id": "min-bzk"},
        ],
        "persons": [{"person_id": "p-SECRET-PSEUDONYM", "unit_id": "bzk-dgob-ict", "manager_id": "p-SECRET-BOSS"}],
        "advisors": [
            {"advisor_id": "adv-anna", "person_id": "p-SECRET-ANNA", "kind": "VPIO", "scope": "internal",
             "organisation_id": "min-bzk", "term_start": "2024-01-01", "term_end": None},
            {"advisor_id": "adv-dirk", "person_id": None, "kind": "VPIO", "scope": "external",
             "organisation_id": None, "term_start": "2024-01-01", "term_end": None},
        ],
        "acquaintances": [{"advisor_id": "adv-anna", "person_id": "p-SECRET-FRIEND"}],
    }  # fmt: skip
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(doc))
    return path


def test_the_organisation_file_keeps_units_and_advisors_organisations_and_drops_every_pseudonym(
    tmp_path: Path,
) -> None:
    model = load_organisation(directory_file(tmp_path))
    assert model.organisation_name("min-bzk") == "Binnenlandse Zaken"
    assert model.organisation_name("min-unknown") == "min-unknown"
    assert model.advisor_organisations == {"adv-anna": "min-bzk", "adv-dirk": None}
    assert "SECRET" not in repr(model)


def test_the_same_file_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text(
        "record_type,unit_id,parent_id,name,size,organisation_id,advisor_id,person_id\n"
        "unit,fin,,Financiën,1500,min-fin,,\n"
        "person,,,,,,,p-SECRET\n"
        "advisor,,,,,min-fin,adv-carla,p-SECRET-CARLA\n",
        encoding="utf-8",
    )
    model = load_organisation(path)
    assert model.organisation_name("min-fin") == "Financiën"
    assert model.advisor_organisations == {"adv-carla": "min-fin"}
    assert "SECRET" not in repr(model)


def test_a_unit_without_an_id_is_refused_without_quoting_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"units": [{"name": "p-SECRET", "size": 3}]}))
    with pytest.raises(OrganisationFileError) as caught:
        load_organisation(path)
    assert "units[0]" in str(caught.value) and "SECRET" not in str(caught.value)


def test_small_and_unknown_units_fold_into_their_parent_or_organisation(tmp_path: Path) -> None:
    model = load_organisation(directory_file(tmp_path))
    counts = {"bzk-dgob-ict": {"2026-Q1": 4}, "bzk-dgob": {"2026-Q1": 9}, "bzk-unlisted": {"2026-Q2": 3}}
    sizes, parent_of = model.unit_tree("min-bzk", counts)
    merged = merge_small_units(counts, sizes, parent_of, min_size=50)
    # ICT (30 people) folds into its DG; the unit nobody described folds into the organisation.
    assert merged == {"bzk-dgob": {"2026-Q1": 13}, "min-bzk": {"2026-Q2": 3}}


def test_without_a_file_every_unit_folds_into_its_organisation() -> None:
    model = load_organisation(None)
    counts = {"bzk-dgob-ict": {"2026-Q1": 40}, "bzk-dgob-hr": {"2026-Q1": 2}}
    sizes, parent_of = model.unit_tree("min-bzk", counts)
    assert merge_small_units(counts, sizes, parent_of, min_size=50) == {"min-bzk": {"2026-Q1": 42}}


def test_home_organisations_come_from_the_file_first_then_from_internal_assignments() -> None:
    derived = home_organisations(
        [
            ("adv-a", "min-bzk"),
            ("adv-a", "min-bzk"),
            ("adv-a", "min-fin"),
            ("adv-b", "min-fin"),
            ("adv-c", "x"),
        ],
        {"adv-c": "min-jenv", "adv-d": None},
    )
    assert derived == {"adv-a": "min-bzk", "adv-b": "min-fin", "adv-c": "min-jenv", "adv-d": None}


def test_the_directory_feed_decides_a_home_before_the_file_and_the_cases() -> None:
    homes = home_organisations(
        [("adv-a", "min-bzk"), ("adv-b", "min-fin")],
        {"adv-b": "min-jenv", "adv-c": "min-fin"},
        {"adv-a": "min-fin", "adv-c": None, "adv-new": "min-bzk"},
    )
    # adv-new has had no case and is in no file: only the feed knows them.
    assert homes == {"adv-a": "min-fin", "adv-b": "min-jenv", "adv-c": None, "adv-new": "min-bzk"}


def test_settings_refuse_a_rounding_base_that_would_publish_small_counts() -> None:
    from pydantic import ValidationError

    from services.reporting.settings import ReportingSettings

    assert ReportingSettings(k=5, round_to=5).policy().round_to == 5
    with pytest.raises(ValidationError):
        ReportingSettings(k=7, round_to=5)  # 7 would be published as 5
