"""Routing's domain: the conflict-of-interest policy, the directory it decides against, the consistency check (pure, no I/O)."""
