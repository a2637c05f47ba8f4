"""Location codes: the coarse, coded location that routing and scheduling may see in clear.

The client's town is free text (`meeting.location`): it may say anything, and so it travels only
sealed under the case key (in CaseOpened's `personal` part). Routing (advisors near the client)
and scheduling (rooms and venues near the client) get a code from a configured catalogue instead:
the submitted text is matched to a catalogue entry by its code, name or an alias (case, accents,
punctuation and spacing ignored). A town not in the catalogue becomes `UNKNOWN`, never the text.

Rooms, venues and advisors' locations in the directory are configured names (e.g. "Den Haag"):
they are matched to the same codes, so a code matches exactly where the names matched before.
`location_code` is idempotent (a code maps to itself), so stored values that are already codes,
and older stored town names, both read as codes.

The catalogue is the default below, or a JSON file named by `CASEFLOW_LOCATIONS_FILE`:
`{"<code>": ["<name>", "<alias>", ...], ...}` with codes of lower-case letters, digits and `_`.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

UNKNOWN = "unknown"  # a location was given, but it is not in the catalogue
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

# The towns where the Rijksoverheid has offices with rooms for confidential advisors, by code.
DEFAULT_ENTRIES: Mapping[str, tuple[str, ...]] = {
    "den_haag": ("Den Haag", "'s-Gravenhage", "s-Gravenhage", "The Hague", "Scheveningen"),
    "utrecht": ("Utrecht",),
    "amsterdam": ("Amsterdam",),
    "rotterdam": ("Rotterdam",),
    "zwolle": ("Zwolle",),
    "groningen": ("Groningen",),
    "leeuwarden": ("Leeuwarden",),
    "assen": ("Assen",),
    "arnhem": ("Arnhem",),
    "den_bosch": ("'s-Hertogenbosch", "s-Hertogenbosch", "Den Bosch"),
    "maastricht": ("Maastricht",),
    "middelburg": ("Middelburg",),
    "haarlem": ("Haarlem",),
    "lelystad": ("Lelystad",),
    "heerlen": ("Heerlen",),
    "apeldoorn": ("Apeldoorn",),
}


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", letters.casefold())


@dataclass(frozen=True)
class LocationCatalogue:
    entries: Mapping[str, tuple[str, ...]]
    _index: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for code, names in self.entries.items():
            if not _CODE.match(code) or code == UNKNOWN:
                raise ValueError(f"location code {code!r}: lower-case letters, digits and _ only")
            for name in (code, *names):
                key = _normalise(name)
                if index.get(key, code) != code:
                    raise ValueError(f"location name {name!r} belongs to two codes")
                index[key] = code
        object.__setattr__(self, "_index", index)

    def code_of(self, text: str | None) -> str | None:
        """The code of a submitted or configured location; None when none was given."""
        if text is None or not text.strip():
            return None
        if text == UNKNOWN:
            return UNKNOWN
        return self._index.get(_normalise(text), UNKNOWN)

    def codes_of(self, texts: Iterable[str]) -> frozenset[str]:
        return frozenset(c for c in (self.code_of(t) for t in texts) if c is not None and c != UNKNOWN)

    @classmethod
    def from_file(cls, path: Path) -> LocationCatalogue:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise TypeError(f"{path}: a JSON object of code -> list of names expected")
        return cls({str(code): tuple(str(n) for n in names) for code, names in doc.items()})


DEFAULT_CATALOGUE = LocationCatalogue(DEFAULT_ENTRIES)


@cache
def configured_catalogue() -> LocationCatalogue:
    path = os.environ.get("CASEFLOW_LOCATIONS_FILE")
    return LocationCatalogue.from_file(Path(path)) if path else DEFAULT_CATALOGUE


def location_code(text: str | None) -> str | None:
    """`text` as a code of the configured catalogue (`UNKNOWN` if not in it; None if not given)."""
    return configured_catalogue().code_of(text)


def is_known(code: str | None) -> bool:
    return code is not None and code != UNKNOWN


def location_codes(texts: Iterable[str]) -> frozenset[str]:
    """The known codes of several configured locations (an advisor's towns); unknown ones dropped."""
    return configured_catalogue().codes_of(texts)
