"""Routing's entry points: Kafka handlers (directory, cases, advisor commands) and the periodic jobs."""
