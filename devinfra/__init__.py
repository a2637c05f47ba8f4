"""Development infrastructure: launchers for a real Kafka, PostgreSQL, Prometheus and headless Chromium.

Used by the tests, the Makefile, .ci/run and `caseflow up`/`caseflow demo` (caseflow/stack.py imports it
lazily). Not part of the service image: the services never import it.
"""
