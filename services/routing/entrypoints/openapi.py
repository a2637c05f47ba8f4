"""Routing's OpenAPI document: only the runtime's routes (shared/openapi.py); routing answers
nothing else over HTTP. docs/openapi/routing.json, GET /openapi.json; `caseflow contracts generate`."""

from __future__ import annotations

from shared.openapi import ServiceApi

ROUTING_API = ServiceApi(
    "routing",
    "caseflow routing: health, readiness and metrics",
    "Routing works on Kafka alone (docs/asyncapi.yaml); over HTTP it answers only for operations.",
    (),
)
