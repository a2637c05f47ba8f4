"""What a command reports when it cannot do its work: one line, a reason, an exit code.

`cli.main` turns these (and the operational errors every command can meet: a file that cannot be
read, a broker or a database that does not answer) into ``caseflow: <command>: <reason>`` on
standard error. Exit code 2 means the input was wrong (fix the file or the arguments); 1 means the
input was fine but the work could not be done (a broker down, nothing released yet).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ValidationError

BAD_INPUT = 2
OPERATIONAL = 1


class CommandError(Exception):
    """A reason in words; `details` are printed under it, one per line (a file's rejected records)."""

    exit_code = OPERATIONAL

    def __init__(self, reason: str, details: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = tuple(details)


class BadInput(CommandError):
    """The arguments, a file or a setting are wrong: the person running the command can fix them."""

    exit_code = BAD_INPUT


def allowed(values: Sequence[str], limit: int | None = None) -> str:
    """'allowed: a, b, c', the tail every message about an unknown name ends with; with `limit`,
    the first values and how many more (a directory's thousand unit ids)."""
    shown = list(values if limit is None else values[:limit])
    more = len(values) - len(shown)
    return "allowed: " + ", ".join(shown) + (f" and {more} more" if more else "")


def validation_reason(exc: ValidationError, model: type[BaseModel]) -> str:
    """`field:kind; ...` as services report it (shared/validation_errors.py: schema paths, never
    input), and for a value outside a fixed set the values it may take: those are schema too."""
    from shared.validation_errors import safe_errors

    raw = exc.errors(include_input=False, include_url=False)
    described = []
    for safe, err in zip(safe_errors(exc, model), raw, strict=False):
        expected = (
            err.get("ctx", {}).get("expected") if err.get("type") in ("enum", "literal_error") else None
        )
        described.append(safe.describe() + (f" (allowed: {expected})" if expected else ""))
    return "; ".join(described)
