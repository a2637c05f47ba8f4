"""Who is told that there is something new, and what they are told (pure).

An advisor is told of a new assignment, a client's message on a case they hold, a legal deadline
of such a case coming due, and a meeting of theirs that moved. What they are told is the same for
every reason: "there is something new for you in caseflow", and where to sign in. No case id, no
category, no reason, no time of the event: an e-mail passes through mail servers and inboxes the
case must never reach, and even "a client wrote to you" says more than it needs to.

Each notice has a stable id derived from the event that caused it, so a redelivered event or a
second run of the sender never makes a second e-mail; an event older than a day makes none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

NAMESPACE = uuid.UUID("2f4c7f0e-8a1e-4b8e-9a55-6d0f5b1c9e21")
# What happened longer ago than this is no news: a workbench that reads the topics from their
# beginning (a new database, a replay) must not e-mail every advisor about every past assignment.
NEWS_HORIZON = timedelta(hours=24)


def is_news(happened_at: datetime, now: datetime) -> bool:
    return now - happened_at <= NEWS_HORIZON


class Reason(StrEnum):
    NEW_ASSIGNMENT = "new_assignment"
    CLIENT_MESSAGE = "client_message"
    DEADLINE_DUE = "deadline_due"
    MEETING_MOVED = "meeting_moved"


@dataclass(frozen=True, slots=True)
class Notice:
    notice_id: str
    advisor_id: str
    reason: Reason  # kept for the operators' counts; never in the e-mail


def notice(cause_id: str, advisor_id: str, reason: Reason) -> Notice:
    """The notice `cause_id` (the consumed event's id) gives `advisor_id`; the same every time."""
    return Notice(str(uuid.uuid5(NAMESPACE, f"{cause_id}:{reason.value}:{advisor_id}")), advisor_id, reason)


@dataclass(frozen=True, slots=True)
class NeutralMail:
    subject: str
    body: str


def neutral_mail(lang: str, workbench_url: str) -> NeutralMail:
    if lang == "en":
        return NeutralMail(
            "There is something new for you in caseflow",
            "Hello,\n\nThere is something new for you in caseflow. Sign in to the workbench to see it:\n"
            f"{workbench_url}\n\nThis message says nothing more on purpose. You can switch these "
            "e-mails off in the workbench, under Notifications.\n",
        )
    return NeutralMail(
        "Er is iets nieuws voor u in caseflow",
        "Beste vertrouwenspersoon,\n\nEr is iets nieuws voor u in caseflow. Log in op de werkplek om "
        f"het te zien:\n{workbench_url}\n\nDit bericht zegt bewust niet meer. U kunt deze e-mails "
        "uitzetten op de werkplek, onder E-mailberichten.\n",
    )
