"""Intake's entry points: Kafka consumers (submissions, advisor actions, directory, assignments), HTTP routes, the web form."""
