"""See pages.py."""
