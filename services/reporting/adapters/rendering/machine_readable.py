"""The annual report for machines: one long-format CSV and one JSON document.

A hidden value is empty (CSV) or null (JSON), with its status ("published", "suppressed" or
"withheld") beside it. Output is deterministic (fixed ordering), so a rebuild from the same events
gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json

from services.reporting.domain.annual_report_data import AnnualReport, FigureUnit, NoteId
from services.reporting.domain.disclosure import TOTAL, ProtectedTable

# Status of a value in the CSV and JSON.
PUBLISHED, SUPPRESSED, WITHHELD = "published", "suppressed", "withheld"


def _status(value: int | None, hidden: str = SUPPRESSED) -> str:
    return hidden if value is None else PUBLISHED


def _csv_cells(value: int | None, hidden: str = SUPPRESSED) -> tuple[str, str]:
    return ("" if value is None else str(value)), _status(value, hidden)


def _table_rows(section_id: str, table: ProtectedTable) -> list[tuple[str, ...]]:
    if table.is_one_way:
        dimension = table.dimensions[0]
        rows: list[tuple[str, ...]] = [
            (section_id, dimension, key, *_csv_cells(value)) for key, value in table.items()
        ]
        return [*rows, (section_id, dimension, TOTAL, *_csv_cells(table.grand_total))]
    dimension = "|".join(table.dimensions)
    rows = []
    for row_key, cells, row_total in zip(table.row_keys, table.cells, table.row_totals, strict=True):
        rows += [
            (section_id, dimension, f"{row_key}|{col_key}", *_csv_cells(value))
            for col_key, value in zip(table.col_keys, cells, strict=True)
        ]
        rows.append((section_id, dimension, f"{row_key}|{TOTAL}", *_csv_cells(row_total)))
    rows += [
        (section_id, dimension, f"{TOTAL}|{col_key}", *_csv_cells(value))
        for col_key, value in zip(table.col_keys, table.col_totals, strict=True)
    ]
    rows.append((section_id, dimension, f"{TOTAL}|{TOTAL}", *_csv_cells(table.grand_total)))
    return rows


def render_csv(report: AnnualReport) -> str:
    """One long-format CSV: section, dimension, key, value, status.

    `value` is empty and `status` is "suppressed" (disclosure control) or "withheld" (too few
    advisors) for a hidden value, "published" otherwise. Rows of section "_meta" describe the report
    (their status is empty); figure rows have the unit as dimension ("hours", "sessions"); all other
    rows are protected counts.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("section", "dimension", "key", "value", "status"))
    policy, publication = report.policy, report.publication
    meta = [
        ("report", "organisation_id", report.organisation.id),
        ("report", "organisation_name", report.organisation.name),
        ("report", "year", str(report.year)),
        ("report", "quarters", " ".join(report.quarters)),
        ("report", "event_count", str(report.generated_from.event_count)),
        *(
            (("report", "fingerprint", report.generated_from.fingerprint),)
            if report.generated_from.fingerprint
            else ()
        ),
        *(("last_offset", stream, str(offset)) for stream, offset in report.generated_from.last_offsets),
        (
            "publication",
            "released_on",
            "" if publication.released_on is None else publication.released_on.isoformat(),
        ),
        ("publication", "release_id", publication.release_id),
        ("publication", "responsible_body_nl", publication.responsible_body[0]),
        ("publication", "responsible_body_en", publication.responsible_body[1]),
        ("publication", "contact", publication.contact),
        ("policy", "k", str(policy.k)),
        ("policy", "round_to", "" if policy.round_to is None else str(policy.round_to)),
        ("policy", "min_contributors", str(policy.min_contributors)),
    ]
    writer.writerows(("_meta", *row, "") for row in meta)
    for section in report.sections:
        sid = section.section_id.value
        if section.table is not None:
            writer.writerows(_table_rows(sid, section.table))
        writer.writerows(
            (sid, FigureUnit(figure.unit).value, figure.key, *_csv_cells(figure.value, WITHHELD))
            for figure in section.figures
        )
    return buffer.getvalue()


def _table_json(table: ProtectedTable) -> dict[str, object]:
    return {
        "dimensions": list(table.dimensions),
        "row_keys": list(table.row_keys),
        "col_keys": list(table.col_keys),
        "cells": [list(row) for row in table.cells],
        "row_totals": list(table.row_totals),
        "col_totals": list(table.col_totals),
        "grand_total": table.grand_total,
        "status": {
            "cells": [[_status(value) for value in row] for row in table.cells],
            "row_totals": [_status(value) for value in table.row_totals],
            "col_totals": [_status(value) for value in table.col_totals],
            "grand_total": _status(table.grand_total),
        },
    }


def render_json(report: AnnualReport) -> str:
    """The report as JSON with sorted keys; `null` = hidden, with "suppressed"/"withheld" as status."""
    publication = report.publication
    document = {
        "format": "caseflow.annual_report.v1",
        "organisation": {"id": report.organisation.id, "name": report.organisation.name},
        "year": report.year,
        "quarters": list(report.quarters),
        "publication": {
            "released_on": None if publication.released_on is None else publication.released_on.isoformat(),
            "release_id": publication.release_id or None,
            "responsible_body": {
                "nl": publication.responsible_body[0],
                "en": publication.responsible_body[1],
            },
            "contact": publication.contact,
        },
        "generated_from": {
            "event_count": report.generated_from.event_count,
            "last_offsets": dict(report.generated_from.last_offsets),
            "fingerprint": report.generated_from.fingerprint or None,
        },
        "disclosure": {
            "k": report.policy.k,
            "round_to": report.policy.round_to,
            "min_contributors": report.policy.min_contributors,
            "suppressed_value": None,
            "statuses": [PUBLISHED, SUPPRESSED, WITHHELD],
        },
        "sections": [
            {
                "id": section.section_id.value,
                "table": None if section.table is None else _table_json(section.table),
                "figures": [
                    {
                        "key": figure.key,
                        "value": figure.value,
                        "unit": FigureUnit(figure.unit).value,
                        "status": _status(figure.value, WITHHELD),
                    }
                    for figure in section.figures
                ],
                "notes": [NoteId(note).value for note in section.notes],
            }
            for section in report.sections
        ],
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
