"""Memorable sample submissions. `marker` strings let tests prove personal data never leaks."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def submission(marker: str | None = None, *, anonymous: bool = False, **overrides: Any) -> dict[str, Any]:
    """A valid submission; every personal field carries `marker` when given."""
    m = marker or uuid.uuid4().hex[:10]
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC) + timedelta(days=1)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submission_id": f"sub-{uuid.uuid4().hex[:20]}",
        "submitted_at": datetime.now(UTC).isoformat(),
        "channel": "web",
        "organisation_id": "min-bzk",
        "unit_id": "bzk-dgob-ict",
        "client_role": "employee",
        "anonymous": anonymous,
        "categories": ["labour.conflict_with_manager"],
        "narrative": f"My manager keeps shouting at me. MARK-NARR-{m}",
        "persons_involved": [
            {"person_id": f"p-MARK-INV-{m}", "role": "direct_manager", "description": f"boss MARK-DESC-{m}"}
        ],
        "wants_external_advisor": False,
        "meeting": {
            "mode": "on_site_discreet_room",
            "location": "Den Haag",
            "availability": [{"start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()}],
        },
        "language": "nl",
        "is_whistleblower_report": False,
    }
    if not anonymous:
        doc["contact"] = {
            "name": f"Client MARK-NAME-{m}",
            "email": f"mark-{m}@example.org",
            "phone": "+31 70 1234567",
        }
        doc["client_person_id"] = f"p-MARK-CLIENT-{m}"
    doc.update(overrides)
    return doc


def markers(marker: str) -> list[str]:
    """The plain-text strings that must never appear outside the raw input topic."""
    return [
        f"MARK-NARR-{marker}",
        f"MARK-INV-{marker}",
        f"MARK-DESC-{marker}",
        f"MARK-NAME-{marker}",
        f"mark-{marker}@example.org",
        f"MARK-CLIENT-{marker}",
    ]


def to_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()
