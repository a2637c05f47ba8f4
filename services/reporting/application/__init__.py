"""Reporting's use cases: counting a year, releases, the reports and views by role with their access rules, the export."""
