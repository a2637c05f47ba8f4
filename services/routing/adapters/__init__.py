"""Routing's adapters: its tables, the directory log and cache, case facts from stored rows and sealed fields."""
