"""What a message in a case's dialogue may hold, from the client or from the advisor (pure)."""

from __future__ import annotations

from typing import TypeGuard

MAX_MESSAGE_CHARS = 5000


def is_message_text(text: object) -> TypeGuard[str]:
    return isinstance(text, str) and 0 < len(text) <= MAX_MESSAGE_CHARS
