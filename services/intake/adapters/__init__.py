"""Intake's adapters: its tables, the assignment and directory copies, receipt-guess counters, the submission key ring."""
