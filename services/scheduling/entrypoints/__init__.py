"""Scheduling's entry points: Kafka handlers per event type and the HTTP invitation download."""
