"""What scheduling's HTTP routes mean, for its OpenAPI document (shared/openapi.py builds it from
the route table; docs/openapi/scheduling.json, GET /openapi.json). `caseflow contracts generate`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.openapi import Answer, Operation, Parameter, ServiceApi


class CalendarRefusal(BaseModel):
    """`for_must_be_advisor_or_client` (400) or `meeting_unknown` (404): nothing more."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    error: str


ICS = "text/calendar; charset=utf-8"
SCHEDULING_API = ServiceApi(
    "scheduling",
    "caseflow scheduling: the meetings' calendar invitations",
    "The neutral iCalendar invitation of a planned meeting: title, description, location and file "
    "name say nothing about why two people meet. The meeting id is a random UUID only the advisor "
    "and the client are given; a cancelled meeting serves its cancellation.",
    (
        Operation(
            "GET",
            "/v1/meetings/{meeting_id}.ics",
            "The meeting's neutral iCalendar invitation (or its cancellation)",
            {
                200: Answer(
                    "The invitation, as an attachment afspraak.ics.",
                    media_type=ICS,
                    schema={"type": "string"},
                    headers=(
                        Parameter(
                            "Content-Disposition", 'attachment; filename="afspraak.ics"', where="header"
                        ),
                    ),
                ),
                400: Answer("`for` is neither advisor nor client.", CalendarRefusal),
                404: Answer("No such meeting.", CalendarRefusal),
            },
            operation_id="meetingInvitation",
            parameters=(
                Parameter(
                    "meeting_id",
                    "The meeting's random id.",
                    {"type": "string", "format": "uuid"},
                    where="path",
                ),
                Parameter(
                    "for",
                    "Whose invitation.",
                    {"type": "string", "enum": ["advisor", "client"]},
                    required=True,
                ),
            ),
            tags=("meetings",),
        ),
    ),
)
