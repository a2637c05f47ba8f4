"""Advisors' and command signers' public keys for token verification (AdvisorKeyRegistered,
CommandSignerRegistered, on directory.advisors.v1), the profiles advisors agreed to show on the web
form (AdvisorUpserted.profile, AdvisorStatusChanged), and the organisations and units submissions must name (OrgUnitUpserted, on directory.units.v1;
services/intake/adapters/directory.py).

Intake reads only these narrow copies of directory.v1: persons and their pseudonyms never reach it,
and whatever else the copies carry (advisors' availability, their hours and served units) is skipped
unread or not kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.directory import (
    DirectoryLoaded,
    record_advisor_change,
    record_unit,
)
from services.intake.application.advisor_commands import GATE
from services.intake.entrypoints.decoding import selective_envelope_decoder
from shared.auth import public_key_from_b64
from shared.contracts.directory import (
    AdvisorKeyRegistered,
    AdvisorStatusChanged,
    AdvisorUpserted,
    CommandSignerRegistered,
    OrgUnitUpserted,
)
from shared.outbox import Outgoing
from shared.pipeline import Decoded, Inbound, PoisonMessage, Route


async def apply_directory_event(
    conn: AsyncConnection, message: Decoded, now: datetime, loaded: DirectoryLoaded | None = None
) -> Sequence[Outgoing]:
    if message.body is None:
        return []
    event = message.body.payload
    if isinstance(event, AdvisorKeyRegistered):
        await GATE.record_key(conn, event)
    elif isinstance(event, CommandSignerRegistered):
        await GATE.record_signer(conn, event)
    elif isinstance(event, OrgUnitUpserted):
        await record_unit(conn, event)
        if loaded is not None:
            loaded.known = True
    elif isinstance(event, AdvisorUpserted | AdvisorStatusChanged):
        await record_advisor_change(conn, event)
    return []


_decode_envelope = selective_envelope_decoder(
    (
        "AdvisorKeyRegistered",
        "CommandSignerRegistered",
        "OrgUnitUpserted",
        "AdvisorUpserted",
        "AdvisorStatusChanged",
    )
)


def _too_long(event: object) -> str | None:
    """Which id of a directory event is longer than intake's columns hold, if any."""
    if isinstance(event, AdvisorKeyRegistered | CommandSignerRegistered):
        owner = event.advisor_id if isinstance(event, AdvisorKeyRegistered) else event.signer_id
        return "advisor_id or signer_id too long" if len(owner) > 64 else None
    if isinstance(event, OrgUnitUpserted) and max(len(event.unit_id), len(event.organisation_id)) > 64:
        return "unit_id or organisation_id too long"
    if isinstance(event, AdvisorUpserted) and len(event.organisation_id or "") > 64:
        return "organisation_id too long"
    if isinstance(event, AdvisorUpserted | AdvisorStatusChanged) and len(event.advisor_id) > 64:
        return "advisor_id too long"
    return None


def decode_directory_record(inbound: Inbound) -> Decoded:
    """A key that is not a raw Ed25519 public key is a poison message, caught before the handler."""
    decoded = _decode_envelope(inbound)
    event = decoded.body.payload if decoded.body is not None else None
    if isinstance(event, AdvisorKeyRegistered | CommandSignerRegistered):
        try:
            public_key_from_b64(event.public_key_b64)
        except ValueError:
            raise PoisonMessage("invalid_public_key", "public_key_b64 is not a 32-byte Ed25519 key") from None
    too_long = _too_long(event)
    if too_long is not None:
        raise PoisonMessage("envelope_invalid", too_long)
    return decoded


def directory_route(loaded: DirectoryLoaded | None = None) -> Route:
    async def handle(conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        return await apply_directory_event(conn, message, now, loaded)

    return Route(decode=decode_directory_record, handle=handle)
