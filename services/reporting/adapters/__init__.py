"""Reporting's adapters: its tables and bulk writes, the projection, queries, the release ledger, the organisation file, role credentials, rendering."""
