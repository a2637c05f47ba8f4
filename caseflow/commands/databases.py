"""What a command that opens a service's database needs: the database itself (a missing one is
never created empty) and, for case data, the master key."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from caseflow.errors import BadInput


def require_database_url(url: str, setting: str) -> URL:
    """Refuse a URL that is no database URL, never echoing a password in it."""
    try:
        return make_url(url)
    except ArgumentError:
        raise BadInput(f"{setting}: not a database URL ({url.split('@')[-1]!r})") from None


def require_database(url: str, setting: str) -> None:
    """Refuse, before any engine opens it, a SQLite file that does not exist (SQLite would create
    it empty) and a URL that is no database URL. A server database is found by connecting."""
    parsed = require_database_url(url, setting)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not Path(parsed.database).is_file():
        raise BadInput(f"no database at {parsed.database}: set {setting} to the service's database")


def require_master_key(text: str, setting: str) -> bytes:
    """The master key as bytes; its absence or a malformed value is a one-line error that never echoes it."""
    from shared.crypto import parse_master_key

    if not text:
        raise BadInput(f"{setting} is not set: opening or deleting case keys needs the master key")
    try:
        return parse_master_key(text)
    except ValueError:  # binascii.Error is a ValueError too
        raise BadInput(f"{setting} is not the base64 of 32 bytes") from None
