"""Waiting for new messages in the dialogue (long-poll), for chat widgets that show them live.

`wait_for_messages` reads the thread the receipt code opens and answers with the messages after
`after` as soon as there are any, or with none once `wait` seconds have passed. Between reads it
holds no transaction and spends no CPU: it waits on the case's ticket of the in-process bell
(adapters/message_bell.py), woken by a commit of a message in this process, and at most `recheck`
seconds, so a message another intake instance stored is seen within that interval. Every read goes
through the receipt-code access and its guess limits, like any other read of the dialogue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from services.intake.adapters.message_bell import MessageBell
from services.intake.application.follow_up import WrongCode

MAX_WAIT_SECONDS = 30
RECHECK_SECONDS = 5.0
Read = Callable[[], Awaitable[dict[str, Any] | WrongCode]]


def messages_after(view: dict[str, Any], after: str | None) -> dict[str, Any]:
    """The thread view with only the messages that follow message `after` (all of them when
    `after` is None or not a message of this thread: the widget starts over)."""
    ids = [m["message_id"] for m in view["messages"]]
    if after is None or after not in ids:
        return view
    return view | {"messages": view["messages"][ids.index(after) + 1 :]}


async def wait_for_messages(
    read: Read, bell: MessageBell, after: str | None, wait: float, recheck: float = RECHECK_SECONDS
) -> dict[str, Any] | WrongCode:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
    ticket: asyncio.Event | None = None
    while True:
        view = await read()
        if isinstance(view, WrongCode):
            return view
        fresh = messages_after(view, after)
        remaining = deadline - loop.time()
        if fresh["messages"] or remaining <= 0:
            return fresh
        if ticket is None:  # read once more with a ticket: a message committed just now is not missed
            ticket = bell.ticket(view["case_ref"])
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ticket.wait(), timeout=min(remaining, recheck))
        ticket = bell.ticket(view["case_ref"])
