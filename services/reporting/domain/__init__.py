"""Reporting's domain: disclosure control, the joint protection problem of a release, the annual report as data (pure, no I/O)."""
