"""The release ledger: every figure that ever left the reporting service, and to whom.

It lives in its own database (REPORTING_LEDGER_URL), apart from the projection: `caseflow replay`
rebuilds the projection into a fresh database and keeps the ledger, so a release already made is
rendered from the ledger byte for byte, whatever the projection says now.

- `rp_ledger_secret`: the key of the pseudo-random priority that picks secondary suppressions
  (release_problem.priority). Made once, never leaves the service.
- `rp_release`: one row per release (a year through a closed quarter) with what it was built from.
- `rp_release_figure`: every figure of the release: its definition (atoms), its value or NULL for
  suppressed, and whether it was a primary suppression. Later releases are audited against these.
- `rp_frozen_atom`: the exact atom values a release used for its quarters. A released quarter is
  never recounted: late events for it are counted in the next quarter released (release.py).
- `rp_disclosure`: each time an artefact of a release left the service: what, when, for which role.

Losing the ledger loses the memory of what was published: the service would then have to treat
every released period as released with everything suppressed, i.e. publish nothing more for those
periods. Back it up with the projection database (docs/operations.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.domain.release_problem import FigureKind, FigureSpec

ledger_metadata = MetaData()

rp_ledger_secret = Table(
    "rp_ledger_secret",
    ledger_metadata,
    Column("id", Integer, primary_key=True),
    Column("secret", LargeBinary, nullable=False),
)
rp_release = Table(
    "rp_release",
    ledger_metadata,
    Column("release_id", String(32), primary_key=True),
    Column("year", Integer, nullable=False, index=True),
    Column("through", Integer, nullable=False),
    Column("released_at", String(40), nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("fingerprint", String(80), nullable=False),
    Column("layout", Text, nullable=False),  # JSON: organisations, unit groups
)
rp_release_figure = Table(
    "rp_release_figure",
    ledger_metadata,
    Column("release_id", String(32), primary_key=True),
    Column("figure_key", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("atoms", Text, nullable=False),  # JSON list
    Column("value", Integer, nullable=True),  # NULL: suppressed
    Column("is_primary", Boolean, nullable=False),
)
rp_frozen_atom = Table(
    "rp_frozen_atom",
    ledger_metadata,
    Column("year", Integer, primary_key=True),
    Column("atom", String(200), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("release_id", String(32), nullable=False),
)
rp_disclosure = Table(
    "rp_disclosure",
    ledger_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("release_id", String(32), nullable=False, index=True),
    Column("artefact", String(200), nullable=False),  # annual:<org>:<format>:<lang> | management:<org>
    Column("audience", String(40), nullable=False),  # public | management | hr | coordinator | advisor
)


@dataclass(frozen=True)
class Layout:
    organisations: tuple[str, ...]
    unit_groups: dict[str, dict[str, tuple[str, ...]]]

    def dumps(self) -> str:
        return json.dumps(
            {"organisations": list(self.organisations), "unit_groups": self.unit_groups}, sort_keys=True
        )

    @staticmethod
    def loads(text: str) -> Layout:
        doc = json.loads(text)
        groups = {
            org: {group: tuple(units) for group, units in per.items()}
            for org, per in doc["unit_groups"].items()
        }
        return Layout(tuple(doc["organisations"]), groups)


@dataclass(frozen=True)
class Release:
    release_id: str
    year: int
    through: int
    released_at: str
    event_count: int
    fingerprint: str
    layout: Layout
    values: dict[str, int | None]


@dataclass(frozen=True)
class ReleasedFigure:
    spec: FigureSpec
    value: int | None
    primary: bool


async def secret(conn: AsyncConnection, make: bytes) -> bytes:
    """The ledger's priority key; `make` is stored when there is none yet."""
    row = (await conn.execute(select(rp_ledger_secret.c.secret).where(rp_ledger_secret.c.id == 1))).first()
    if row is not None:
        return bytes(row[0])
    await conn.execute(rp_ledger_secret.insert().values(id=1, secret=make))
    return make


async def latest_release(
    conn: AsyncConnection, year: int, cached: Mapping[str, Release] | None = None
) -> Release | None:
    """The year's newest release; its figures are read only when `cached` does not hold it (a
    release never changes once made)."""
    row = (
        await conn.execute(
            select(rp_release).where(rp_release.c.year == year).order_by(rp_release.c.through.desc()).limit(1)
        )
    ).first()
    if row is None:
        return None
    if cached is not None and row.release_id in cached:
        return cached[row.release_id]
    figures = await conn.execute(
        select(rp_release_figure.c.figure_key, rp_release_figure.c.value)
        .where(rp_release_figure.c.release_id == row.release_id)
        .order_by(rp_release_figure.c.figure_key)
    )
    return Release(
        row.release_id, row.year, row.through, row.released_at, row.event_count, row.fingerprint,
        Layout.loads(row.layout), {key: value for key, value in figures},
    )  # fmt: skip


async def released_figures(conn: AsyncConnection, year: int) -> dict[str, ReleasedFigure]:
    """Every figure released for `year` so far, across releases (the same key is the same figure)."""
    rows = await conn.execute(
        select(rp_release_figure)
        .join(rp_release, rp_release.c.release_id == rp_release_figure.c.release_id)
        .where(rp_release.c.year == year)
        .order_by(rp_release_figure.c.release_id, rp_release_figure.c.figure_key)
    )
    figures: dict[str, ReleasedFigure] = {}
    for r in rows:
        spec = FigureSpec(r.figure_key, tuple(json.loads(r.atoms)), FigureKind(r.kind), r.rank)
        figures[r.figure_key] = ReleasedFigure(spec, r.value, bool(r.is_primary))
    return figures


async def frozen_atoms(conn: AsyncConnection, year: int) -> dict[str, int]:
    rows = await conn.execute(
        select(rp_frozen_atom.c.atom, rp_frozen_atom.c.value).where(rp_frozen_atom.c.year == year)
    )
    return {atom: value for atom, value in rows}


async def record_release(
    conn: AsyncConnection,
    release: Release,
    specs: Mapping[str, FigureSpec],
    primary: set[str],
    new_atoms: Mapping[str, int],
) -> None:
    await conn.execute(
        rp_release.insert().values(
            release_id=release.release_id, year=release.year, through=release.through,
            released_at=release.released_at, event_count=release.event_count,
            fingerprint=release.fingerprint, layout=release.layout.dumps(),
        )
    )  # fmt: skip
    rows = [
        {
            "release_id": release.release_id,
            "figure_key": key,
            "kind": specs[key].kind.value,
            "rank": specs[key].rank,
            "atoms": json.dumps(list(specs[key].atoms)),
            "value": value,
            "is_primary": key in primary,
        }
        for key, value in sorted(release.values.items())
    ]
    if rows:
        await conn.execute(rp_release_figure.insert(), rows)
    atoms = [
        {"year": release.year, "atom": atom, "value": value, "release_id": release.release_id}
        for atom, value in sorted(new_atoms.items())
    ]
    if atoms:
        await conn.execute(rp_frozen_atom.insert(), atoms)


async def record_disclosure(
    conn: AsyncConnection, release_id: str, artefact: str, audience: str, at: datetime
) -> None:
    await conn.execute(
        rp_disclosure.insert().values(
            at=at.isoformat(), release_id=release_id, artefact=artefact, audience=audience
        )
    )


async def disclosures(conn: AsyncConnection) -> Sequence[tuple[str, str, str, str]]:
    rows = await conn.execute(
        select(rp_disclosure.c.at, rp_disclosure.c.release_id, rp_disclosure.c.artefact, rp_disclosure.c.audience)
        .order_by(rp_disclosure.c.id)
    )  # fmt: skip
    return [(r[0], r[1], r[2], r[3]) for r in rows]
