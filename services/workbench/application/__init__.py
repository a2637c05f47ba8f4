"""See services/workbench/__init__.py."""
