"""A canonical digest of a demo run's final state, so two runs of one seed can be compared.

    python -m tools.demo.state_digest var/demo [--out out] [--rows]

Reads the services' SQLite databases in the demo home (intake, routing, scheduling, reporting and
reporting's release ledger) and, with `--out`, the annual reports (JSON and CSV), and prints one
line per table and per report: its row count and a SHA-256 of its rows in canonical form. What a
run cannot reproduce by nature is removed first, and only that (docs/operations.md, "A seeded
load"):

- instants a service read from its own clock: every column or JSON key named `at` or `*_at`
  (opened_at, decided_at, processed_at, published_at, occurred_at, issued_at, expires_at, ...);
- local arrival-order numbers: an outbox's `position`, routing's `directory_log.revision` (events
  of different partitions commit in whichever order they are consumed), and which input made
  scheduling book (a booking's `request_id`, a scheduling event's causation: whichever of a case's
  inputs from two topics scheduling read last);
- values random by design: sealed values (ciphertext under a fresh nonce), receipt codes and their
  hashes, meeting and booking ids (random UUIDs, so a calendar entry cannot be traced to a case),
  scheduling's booking-clock token, signed tokens (`auth`: their iat/exp are wall-clock time);
- what derives from those: scheduling's event ids (a meeting event's id is derived from its
  meeting id) are renamed, wherever they occur, to a hash of the event's cleaned content; the
  projection fingerprints (a sum of hashes of event ids) are dropped, their event counts kept;
- what holds keys, not state: the key store, reporting's ledger secret;
- what only a restore writes (scheduling's `published_decisions`), and the topic an inbox entry
  names (a restore cannot tell an HTTP submission's entry point: D55).
Rows are sorted after that, so the order in which a service happened to store them does not count.
Everything else (ids, codes, counts, minutes, outcomes, assignments, report cells) must be equal.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

DATABASES = ("intake", "routing", "scheduling", "reporting", "reporting-ledger")
SKIPPED_TABLES = frozenset(
    {
        "reporting-ledger.rp_ledger_secret",
        # What a restore folded back for scheduling to adopt when it consumes the cause again
        # (D55): bookkeeping of the restore, which a run without one never has.
        "scheduling.published_decisions",
    }
)
# Columns compared nowhere, per table: the topic an inbox entry names. A restore records the
# submission behind a CaseOpened under the submissions topic even when it came over HTTP (the
# event does not say which entry point took it in, D55); the message id is what an inbox is for.
DROPPED_IN_TABLE = {"inbox": frozenset({"topic"})}
# `request_id`: the input that made scheduling book, which is whichever of a case's inputs (its
# opening, its assignment) scheduling happened to read last; the booking itself is compared.
ARRIVAL_ORDER = frozenset({"position", "revision", "request_id"})
RANDOM_BY_DESIGN = frozenset(
    {
        "auth",
        "receipt_hash",
        "receipt_code",
        "meeting_id",
        "booking_id",
        "token",
        "uid",  # an iCalendar entry's uid is the meeting id
        "fingerprint",  # of event ids, some derived from meeting ids
    }
)
# Events whose ids derive from a random meeting id: (database, table).
RENAMED_EVENTS = (("scheduling", "events"),)
CAUSE = frozenset({"causation_id"})
SEALED = "<sealed>"


def timing(name: str) -> bool:
    return name == "at" or name.endswith("_at")


def dropped(name: str) -> bool:
    return timing(name) or name in ARRIVAL_ORDER or name in RANDOM_BY_DESIGN


class Canon:
    """Cleans values; ids in `renamed` become their content labels."""

    def __init__(
        self,
        renamed: dict[str, str] | None = None,
        also_dropped: frozenset[str] = frozenset(),
        topic_prefix: str = "",
    ) -> None:
        self.renamed = renamed or {}
        self.also_dropped = also_dropped
        self.topic_prefix = topic_prefix

    def dropping(self, names: frozenset[str]) -> Canon:
        return Canon(self.renamed, self.also_dropped | names, self.topic_prefix)

    def __call__(self, value: Any) -> Any:
        """`value` without what a run cannot reproduce; JSON text is read and cleaned too."""
        if isinstance(value, bytes):
            return {"bytes": hashlib.sha256(value).hexdigest()}
        if isinstance(value, str):
            if value in self.renamed:
                return self.renamed[value]
            if self.topic_prefix and value.startswith(self.topic_prefix):  # two stacks on one cluster
                return value[len(self.topic_prefix) :]
            if value[:1] in "{[":
                try:
                    return self(json.loads(value))
                except ValueError:
                    return value
            return value
        if isinstance(value, dict):
            if "alg" in value and ("ct" in value or "ciphertext" in value or "kid" in value):
                return SEALED
            return {
                k: self(v) for k, v in sorted(value.items()) if not dropped(k) and k not in self.also_dropped
            }
        if isinstance(value, list):
            return [self(v) for v in value]
        return value


def content_labels(home: Path) -> dict[str, str]:
    """Event id -> a label of the event's cleaned content, for events whose id is not reproducible."""
    labels: dict[str, str] = {}
    clean = Canon()
    for database, table in RENAMED_EVENTS:
        path = home / f"{database}.db"
        if not path.exists():
            continue
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            for event_id, body in db.execute(f'SELECT event_id, body FROM "{table}"'):
                content = clean(json.loads(body))
                # The id and what it derives from: which input caused the event is arrival order
                # too (see request_id); the event's payload is what is compared.
                for name in ("event_id", *CAUSE):
                    content.pop(name, None)
                labels[event_id] = f"{database}:" + hashlib.sha256(_line(content).encode()).hexdigest()[:32]
    return labels


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)


def table_rows(path: Path, canonical: Canon, database: str = "") -> Iterator[tuple[str, list[str]]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in names:
            cursor = db.execute(f'SELECT * FROM "{table}"')  # names from sqlite_master
            columns = [c[0] for c in cursor.description]
            # A scheduling event's causation is the input that made it book (see request_id).
            canon = canonical.dropping(CAUSE) if (database, table) in RENAMED_EVENTS else canonical
            skip = DROPPED_IN_TABLE.get(table, frozenset())
            rows = [
                _line(
                    {
                        c: canon(v)
                        for c, v in zip(columns, row, strict=True)
                        if not dropped(c) and c not in skip
                    }
                )
                for row in cursor
            ]
            yield table, sorted(rows)


def postgres_table_rows(url: str, canonical: Canon) -> list[tuple[str, list[str]]]:
    """`table_rows` of a PostgreSQL database (only routing's in the chaos run: no renamed events)."""
    import asyncio

    import asyncpg

    async def read() -> list[tuple[str, list[str]]]:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            names = [
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
                )
            ]
            found = []
            for table in names:
                rows = await conn.fetch(f'SELECT * FROM "{table}"')  # names from pg_tables
                skip = DROPPED_IN_TABLE.get(table, frozenset())
                lines = [
                    _line({c: canonical(v) for c, v in row.items() if not dropped(c) and c not in skip})
                    for row in rows
                ]
                found.append((table, sorted(lines)))
            return found
        finally:
            await conn.close()

    return asyncio.run(read())


def report_rows(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return [_line({"report": Canon()(json.loads(text))})]
    rows = csv.reader(io.StringIO(text))
    return sorted(_line({"row": row}) for row in rows if not (len(row) > 2 and dropped(row[2])))


def digests(
    home: Path,
    out: Path | None = None,
    topic_prefix: str = "",
    postgres: dict[str, str] | None = None,
) -> dict[str, tuple[int, str, list[str]]]:
    """name -> (row count, SHA-256 of the canonical rows, the rows). Topic names lose
    `topic_prefix` (runs side by side on one cluster, tools/demo/chaos.py); `postgres` names the
    databases that a run kept in PostgreSQL (database -> SQLAlchemy URL) instead of in the home."""
    result: dict[str, tuple[int, str, list[str]]] = {}
    canonical = Canon(content_labels(home), topic_prefix=topic_prefix)
    for database in DATABASES:
        path = home / f"{database}.db"
        tables: Iterable[tuple[str, list[str]]]
        if database in (postgres or {}):
            tables = postgres_table_rows((postgres or {})[database], canonical)
        elif path.exists():
            tables = table_rows(path, canonical, database)
        else:
            continue
        for table, rows in tables:
            name = f"{database}.{table}"
            if name not in SKIPPED_TABLES:
                result[name] = (len(rows), _hash(rows), rows)
    if out is not None:
        for path in sorted([*out.glob("jaarverslag-*.json"), *out.glob("jaarverslag-*.csv")]):
            rows = report_rows(path)
            result[f"report.{path.name}"] = (len(rows), _hash(rows), rows)
    return result


def _hash(rows: list[str]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path, help="the demo's home folder (its SQLite databases)")
    parser.add_argument("--out", type=Path, help="the demo's report folder (JSON and CSV reports)")
    parser.add_argument("--rows", action="store_true", help="also print every canonical row")
    args = parser.parse_args(argv)
    found = digests(args.home, args.out)
    if not found:
        print(f"no databases in {args.home}", file=sys.stderr)
        return 1
    for name, (count, digest, rows) in found.items():
        print(f"{name:<48} {count:>6} {digest}")
        if args.rows:
            for row in rows:
                print(f"    {row}")
    everything = _hash([f"{name} {digest}" for name, (_count, digest, _rows) in found.items()])
    print(f"{'total':<48} {'':>6} {everything}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
