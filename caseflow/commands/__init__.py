"""Subcommands of `caseflow`. Each module has `register(subparsers)`; cli.py lists the modules."""
