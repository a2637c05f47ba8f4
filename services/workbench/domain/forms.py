"""A page's form that does not parse (pure): one exception for every form of the workbench."""

from __future__ import annotations


class FormRefused(Exception):
    """A form that does not parse; `reason` is a code naming what to fix. Nothing was sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
