"""Wakes the clients waiting on a case's dialogue when a message of that case has been committed.

In-process only: the unit of work rings it after a commit (`ring_for`, given the stored envelopes),
for a client's message (ClientMessagePosted) and an advisor's (AdvisorMessagePosted) alike. A
waiter takes a `ticket` before it reads, so a message committed between its read and its wait is
not missed. Messages stored by another intake instance ring nothing here: waiters re-read at a
bounded interval (application/dialogue_wait.py), so they see those too, a few seconds later.

A ticket is an `asyncio.Event`; the bell holds it weakly, so a case nobody waits on costs nothing.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable
from typing import Any

MESSAGE_EVENTS = frozenset({"ClientMessagePosted", "AdvisorMessagePosted"})


class MessageBell:
    def __init__(self) -> None:
        self._waiting: weakref.WeakValueDictionary[str, asyncio.Event] = weakref.WeakValueDictionary()

    def ticket(self, case_id: str) -> asyncio.Event:
        """The event the next message of `case_id` sets; take it before reading the thread."""
        event = self._waiting.get(case_id)
        if event is None:
            event = self._waiting[case_id] = asyncio.Event()
        return event

    def ring(self, case_id: str) -> None:
        event = self._waiting.pop(case_id, None)
        if event is not None:
            event.set()

    def ring_for(self, stored: Iterable[Any]) -> None:
        """Ring for every dialogue message among committed envelopes (an `on_committed` hook)."""
        for envelope in stored:
            if envelope.event_type in MESSAGE_EVENTS:
                self.ring(envelope.stream_id)
