"""Event contracts, one module per owning producer. Importing this package registers them all."""

from shared.contracts import advisor_actions, advisor_commands, directory, intake, routing, scheduling  # noqa: F401
