"""Why open cases are routed again after directory changes: the reason each decision records (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Changes that cannot make any assignment a conflict nor any escalated case assignable.
NO_REROUTE = frozenset({"CoordinatorAppointed"})


def reroute_reason(change_type: str, body: dict[str, Any]) -> str | None:
    """The reason one directory change (its type and payload as JSON) gives a re-route; None if none."""
    if change_type in NO_REROUTE:
        return None
    if change_type == "AdvisorStatusChanged":
        return {"on_leave": "advisor_on_leave", "departed": "advisor_departed"}.get(
            body.get("status", ""), "advisor_status"
        )
    if change_type == "AdvisorUpserted":
        return "advisor_changed"
    if change_type == "AcquaintanceDeclared":
        return "acquaintance_declared"
    return "org_change"


def batch_reason(reasons: Sequence[str]) -> str:
    """The reason of one re-check for a batch of changes: theirs if they all agree, else an org change."""
    return reasons[0] if len(set(reasons)) == 1 else "org_change"
