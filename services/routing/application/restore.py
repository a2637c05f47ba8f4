"""Routing after a restore (D55): its published decisions are adopted, not taken again.

`caseflow restore` appends routing's events published after the backup to the restored `events`
table (shared/restore_fold.py). Nothing more is written here, and no input is skipped: a
CaseOpened consumed again must still make the case's row (the facts an assignment does not
carry), and a declared conflict or added facts must still change it. When such an input is
decided again, `Router.route` finds the decision already published for that cause
(router.published_decisions: the event ids derive from the cause, the case and the reason) and
takes it over as it was, with the advisor, status and load it gave, instead of counting loads
that the consumption order after a restore would make different.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.restore_fold import Cause, PublishedEvent


async def adopt_when_decided(
    conn: AsyncConnection, events: Sequence[PublishedEvent], now: datetime
) -> Sequence[Cause]:
    return ()
