"""Decoding builds each payload type's envelope model once per process (shared/envelope.py).

Pydantic holds a parametrised generic such as Envelope[AdvisorAssigned] only weakly; a garbage
collection between two decodes made the next decode build the model and its validator again
(83 builds in one run of bench/profile_scheduling_handlers.py, about 8 % of its CPU)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from pydantic._internal import _generics

from shared.envelope import decode_envelope
from tests.support.scheduling_events import assigned, envelope_bytes


def test_a_garbage_collection_between_decodes_does_not_rebuild_the_envelope_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real = _generics.create_generic_submodel

    def counting(model_name: str, *args: Any) -> Any:
        built.append(model_name)
        return real(model_name, *args)

    monkeypatch.setattr(_generics, "create_generic_submodel", counting)
    _id, _key, raw = envelope_bytes(assigned("case-1", "adv-1"))
    for n in range(300):
        assert decode_envelope(raw).payload.case_id == "case-1"
        if n % 50 == 0:
            gc.collect()
    assert built.count("Envelope[AdvisorAssigned]") <= 1, built
