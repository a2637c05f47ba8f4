"""Reporting's entry points: the Kafka batch handler and its decoder, the HTTP routes, the replay from offset 0."""
