"""Intake's use cases: open a case, erase it, legal deadlines, and the emitters that hand events to the unit of work."""
