"""What a command that opens a service's database needs: the database itself (a missing one is
never created empty) and, for case data, the master key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from caseflow.errors import BadInput


def require_database_url(url: str, setting: str) -> URL:
    """Refuse a URL that is no database URL, never echoing a password in it."""
    try:
        return make_url(url)
    except ArgumentError:
        raise BadInput(f"{setting}: not a database URL ({url.split('@')[-1]!r})") from None


def missing_sqlite_file(url: str | URL) -> str | None:
    """The path of a SQLite database file that does not exist (SQLite would create it empty), or
    None: the file is there, or the URL is a server database (found by connecting) or in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if Path(parsed.database or "").is_file() else parsed.database


def require_database(url: str, setting: str) -> None:
    """Refuse, before any engine opens it, a SQLite file that does not exist and a URL that is no
    database URL."""
    missing = missing_sqlite_file(require_database_url(url, setting))
    if missing is not None:
        raise BadInput(f"no database at {missing}: set {setting} to the service's database")


def require_master_key(text: str, setting: str) -> bytes:
    """The master key as bytes; its absence or a malformed value is a one-line error that never echoes it."""
    from shared.crypto import parse_master_key

    if not text:
        raise BadInput(f"{setting} is not set: opening or deleting case keys needs the master key")
    try:
        return parse_master_key(text)
    except ValueError:  # binascii.Error is a ValueError too
        raise BadInput(f"{setting} is not the base64 of 32 bytes") from None


def require_master_keys(current: str, previous: str, prefix: str, *, need_previous: bool = False) -> Any:
    """The service's master keys (shared.key_wrapping.MasterKeys): `{prefix}MASTER_KEY`, current,
    and during a rotation `{prefix}PREVIOUS_MASTER_KEYS`; every mistake a one-line BadInput that
    never echoes a key."""
    from shared.crypto import parse_previous_master_keys
    from shared.key_wrapping import MasterKeys

    new = require_master_key(current, f"{prefix}MASTER_KEY")
    setting = f"{prefix}PREVIOUS_MASTER_KEYS"
    if need_previous and not previous.strip():
        raise BadInput(f"{setting} is not set: rotating needs the old master key beside the new one")
    try:
        old = parse_previous_master_keys(previous)
    except ValueError:
        raise BadInput(f"{setting} is not a comma-separated list of base64 32-byte keys") from None
    try:
        return MasterKeys.local(new, old)
    except ValueError:
        raise BadInput(
            f"{setting} holds {prefix}MASTER_KEY itself (or a key twice): "
            "the new key must differ from the old one"
        ) from None
