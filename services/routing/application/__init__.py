"""Routing's use cases: route a case and re-check assignments (Router), and the audit that explains and replays decisions."""
