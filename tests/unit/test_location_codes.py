"""Location codes: a submitted town becomes a code of the catalogue, never its own text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.locations import DEFAULT_CATALOGUE, UNKNOWN, LocationCatalogue, is_known, location_codes

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Den Haag", "den_haag"),
        ("  den haag ", "den_haag"),
        ("'s-Gravenhage", "den_haag"),
        ("The Hague", "den_haag"),
        ("DEN-HAAG", "den_haag"),
        ("Den Bosch", "den_bosch"),
        ("'s-Hertogenbosch", "den_bosch"),
        ("utrecht", "utrecht"),
        ("den_haag", "den_haag"),  # a code is its own code: stored codes read back unchanged
    ],
)
def test_a_catalogued_town_is_matched_by_name_alias_or_code(typed: str, code: str) -> None:
    assert DEFAULT_CATALOGUE.code_of(typed) == code


@pytest.mark.parametrize("typed", ["Zwolle-Zuid, naast mijn manager", "Turfmarkt 147", "XQ-MARKER-TOWN-7731"])
def test_a_town_not_in_the_catalogue_is_unknown_and_its_text_is_gone(typed: str) -> None:
    assert DEFAULT_CATALOGUE.code_of(typed) == UNKNOWN and not is_known(UNKNOWN)


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_no_location_given_has_no_code(typed: str | None) -> None:
    assert DEFAULT_CATALOGUE.code_of(typed) is None


@given(st.text(max_size=100))
def test_whatever_is_typed_the_code_is_from_the_catalogue(typed: str) -> None:
    code = DEFAULT_CATALOGUE.code_of(typed)
    assert code is None or code == UNKNOWN or code in DEFAULT_CATALOGUE.entries


def test_an_advisors_towns_become_their_known_codes() -> None:
    assert location_codes(["Den Haag", "Nergenshuizen", "Utrecht"]) == {"den_haag", "utrecht"}


def test_a_configured_catalogue_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "locations.json"
    path.write_text(json.dumps({"noord": ["Groningen", "Assen"], "zuid": ["Maastricht"]}))
    catalogue = LocationCatalogue.from_file(path)
    assert (catalogue.code_of("assen"), catalogue.code_of("Den Haag")) == ("noord", UNKNOWN)


@pytest.mark.parametrize(
    "entries",
    [{"Den Haag": ("Den Haag",)}, {"aa": ("x",), "bb": ("X",)}, {UNKNOWN: ("Nowhere",)}],
)
def test_a_catalogue_with_bad_codes_or_shared_names_is_refused(entries: dict[str, tuple[str, ...]]) -> None:
    with pytest.raises(ValueError, match="location"):
        LocationCatalogue(entries)
