"""Intake's domain: the case lifecycle rules, the submission and its validation, the register consistency check (pure, no I/O)."""
