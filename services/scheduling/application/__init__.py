"""Scheduling's use cases: schedule, cancel, reschedule and move meetings, book quiet rooms, and who may ask for it."""
