"""What a validation error may say outside the service: schema paths and reason codes, never input.

A pydantic error names where it failed (`loc`) and why (`type`). `loc` holds the caller's bytes
whenever the caller chose a name: an unexpected field (`payload.<name>:extra_forbidden`), a key
of a mapping. ARCHITECTURE.md, "Personal data": no caller-supplied name leaves an entry point in
clear. So every path that leaves (a rejection's `field`, an HTTP body, a log line, a dead-letter
`error`) is built here, by walking the model the input was validated against: a name the schema
declares is kept, a list index is kept, anything else becomes a placeholder.

`describe_validation_error` is the one function entry points call; `safe_errors` gives the parts.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, BaseModel, ValidationError

UNKNOWN_FIELD = "<unknown field>"
UNKNOWN_KEY = "<key>"
ROOT = "<root>"
MAX_ERRORS = 10
# A code our own validators raise (`raise ValueError("invalid_language")`); any other text may quote input.
_REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SEQUENCES = (list, tuple, set, frozenset, Sequence)
_MAPPINGS = (dict, Mapping)


@dataclass(frozen=True, slots=True)
class SafeError:
    path: str | None  # dotted schema path, None at the root
    kind: str  # pydantic's error type (`missing`, `extra_forbidden`, ...): schema vocabulary
    code: str | None  # our own reason code, for errors raised by our validators

    def describe(self) -> str:
        return f"{self.path or ROOT}:{self.kind}"


def safe_errors(exc: ValidationError, model: type[BaseModel] | None) -> list[SafeError]:
    """The errors of `exc` (raised validating `model`), with every path part the schema does not declare replaced."""
    result = []
    for err in exc.errors(include_input=False, include_url=False)[:MAX_ERRORS]:
        parts = schema_path(err.get("loc", ()), model)
        kind = str(err.get("type", ""))
        if kind == "extra_forbidden" and parts:
            # The last part is the caller's own name, even when it happens to spell a schema word
            # ("[key]", a model's class name): never printed.
            parts[-1] = UNKNOWN_FIELD
        code = None
        if kind == "value_error":
            message = str(err.get("ctx", {}).get("error", ""))
            code = message if _REASON_CODE.fullmatch(message) else None
        result.append(
            SafeError(".".join(parts) or None, kind if _REASON_CODE.fullmatch(kind) else "invalid", code)
        )
    return result


def describe_validation_error(exc: ValidationError, model: type[BaseModel] | None) -> str:
    """`path:type; ...` for logs and dead-letter records: field locations and error kinds only."""
    return "; ".join(e.describe() for e in safe_errors(exc, model))


def schema_path(loc: Iterable[int | str], model: type[BaseModel] | None) -> list[str]:
    """`loc` with list indices and declared names kept; every other part (unknown field, mapping key) replaced.

    Without a model nothing is known to be declared: every name is replaced.
    """
    candidates: list[Any] = [model] if model is not None else []
    out: list[str] = []
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(str(part))
            candidates = [t for c in _expand(candidates) for t in _items_of(c)]
            continue
        name = str(part)
        step = _step(candidates, name)
        if step is None:
            out.append(UNKNOWN_FIELD)
            candidates = []
        else:
            out.append(step[0])
            candidates = step[1]
    return out


def _step(candidates: list[Any], name: str) -> tuple[str, list[Any]] | None:
    """(what to print, the types below) when `name` is something the schema declares here."""
    expanded = _expand(candidates)
    fields = [f for c in expanded if _is_model(c) for f in _fields_named(c, name)]
    if fields:
        return name, fields
    members = [c for c in expanded if isinstance(c, type) and c.__name__ == name]
    if members:  # pydantic names the member of a union it tried
        return name, members
    mappings = [c for c in expanded if _origin(c) in _MAPPINGS]
    if mappings:  # the caller's key (even one spelled "[key]"): never printed
        return UNKNOWN_KEY, [a for m in mappings for a in typing.get_args(m)[1:2]]
    if name == "[key]":  # pydantic's marker for "the key itself failed", after the key
        return name, []
    return None


def _fields_named(model: type[BaseModel], name: str) -> list[Any]:
    for field_name, info in model.model_fields.items():
        aliases = {field_name, info.alias}
        if isinstance(info.validation_alias, str):
            aliases.add(info.validation_alias)
        elif isinstance(info.validation_alias, AliasChoices):
            aliases.update(c for c in info.validation_alias.choices if isinstance(c, str))
        if name in aliases:
            return [info.annotation]
    return []


def _expand(candidates: Iterable[Any]) -> list[Any]:
    """Unions and Annotated unwrapped into the types they allow."""
    out: list[Any] = []
    stack = list(candidates)
    while stack:
        tp = stack.pop()
        origin = _origin(tp)
        if origin is typing.Annotated:
            stack.append(typing.get_args(tp)[0])
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(tp))
        elif tp is not None and tp is not type(None):
            out.append(tp)
    return out


def _items_of(tp: Any) -> list[Any]:
    origin = _origin(tp)
    if origin in _SEQUENCES:
        return [a for a in typing.get_args(tp) if a is not Ellipsis]
    return []


def _origin(tp: Any) -> Any:
    return typing.get_origin(tp)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)
