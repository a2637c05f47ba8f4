"""One typed dispatch for consumers: a handler per payload type, and one convention for the rest.

A record whose event type this service does not know (tolerant decoding gives `IGNORED`) and a known
event this service has no handler for are both skipped the same way: no events, no error. The
pipeline still records it in the inbox, so a redelivery is a duplicate like any other. That is the
only "ignored event" convention; handlers never test an event-type string.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.envelope import Envelope
from shared.outbox import Outgoing
from shared.pipeline import IGNORED, Decoded

# (connection, the payload, the message it came in, now) -> events to emit
PayloadHandler = Callable[[AsyncConnection, Any, Decoded, datetime], Awaitable[Sequence[Outgoing]]]


@dataclass(frozen=True)
class Dispatch:
    """A `Handle` for a Route: the handler of the payload's type, or nothing."""

    handlers: Mapping[type[Any], PayloadHandler]
    # Runs once before a handled message (a cache refresh); skipped records do not pay for it.
    before: Callable[[AsyncConnection], Awaitable[None]] | None = None

    def handler_of(self, message: Decoded) -> PayloadHandler | None:
        if message.body is IGNORED or not isinstance(message.body, Envelope):
            return None
        return self.handlers.get(type(message.body.payload))

    async def __call__(self, conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        handler = self.handler_of(message)
        if handler is None:
            return []
        if self.before is not None:
            await self.before(conn)
        return await handler(conn, message.body.payload, message, now)
