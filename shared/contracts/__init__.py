"""Event contracts, one module per owning producer. Importing this package registers them all."""

from shared.contracts import intake  # noqa: F401
