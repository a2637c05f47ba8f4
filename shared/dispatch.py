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


# (connection, a run of messages of one payload type, now) -> events to emit, one list per message
RunHandler = Callable[[AsyncConnection, list[Decoded], datetime], Awaitable[list[Sequence[Outgoing]]]]


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

    @staticmethod
    def _is_of(message: Decoded, payload_type: type[Any]) -> bool:
        body = message.body
        return body is not IGNORED and isinstance(body, Envelope) and isinstance(body.payload, payload_type)

    async def __call__(self, conn: AsyncConnection, message: Decoded, now: datetime) -> Sequence[Outgoing]:
        handler = self.handler_of(message)
        if handler is None:
            return []
        if self.before is not None:
            await self.before(conn)
        return await handler(conn, message.body.payload, message, now)

    async def in_runs(
        self,
        conn: AsyncConnection,
        messages: Sequence[Decoded],
        now: datetime,
        payload_type: type[Any],
        run: RunHandler,
    ) -> list[Sequence[Outgoing]]:
        """The messages in order, each run of consecutive `payload_type` payloads handed to `run`
        at once (to read and write its tables in a few statements for the run), the rest one by
        one as `__call__` does. `run` returns one result per message of its run."""
        results: list[Sequence[Outgoing]] = []
        pending: list[Decoded] = []
        for message in [*messages, None]:
            if message is not None and self._is_of(message, payload_type):
                pending.append(message)
                continue
            if pending:
                results.extend(await run(conn, pending, now))
                pending = []
            if message is not None:
                results.append(await self(conn, message, now))
        return results
