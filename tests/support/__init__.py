"""Helpers shared by integration and e2e tests: sample data, Kafka I/O, services in process."""
