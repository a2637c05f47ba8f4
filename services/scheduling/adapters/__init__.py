"""Scheduling's adapters: its tables, the booking ledger, the projection of other services' facts, the places file reader."""
