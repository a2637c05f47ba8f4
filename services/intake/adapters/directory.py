"""Which organisations and units exist: a small projection of directory.units.v1
(OrgUnitUpserted), and the referential rule a submission must pass before a case is opened for it;
beside it the advisors' public profiles from directory.advisors.v1 (AdvisorUpserted.profile, shown
on the web form only when the advisor agreed: services/intake/adapters/form_catalogue.py).

Only ids and names are kept, never people. The rule, with its reason codes (docs/topics.md, D21):
- `directory_not_loaded`: intake knows no organisation at all yet (a fresh stack before the HR
  feed arrived). Retryable: nothing is stored for the submission, so sending it again with the
  same submission id, over HTTP or Kafka, is judged afresh; HTTP answers 503 with Retry-After.
  Refusing is preferred over accepting ids nobody can check (decisions.md, D21).
- `organisation_unknown`: the organisation id is not in the directory.
- `unit_unknown_in_organisation`: the unit id is not a unit of that organisation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.intake.adapters.tables import advisor_profiles, directory_unit_parents, directory_units
from shared.codes import AdvisorStatus
from shared.contracts.directory import AdvisorStatusChanged, AdvisorUpserted, OrgUnitUpserted
from shared.db import insert_ignoring_duplicates
from shared.runtime import ServiceContext

DIRECTORY_NOT_LOADED = "directory_not_loaded"
ORGANISATION_UNKNOWN = "organisation_unknown"
UNIT_UNKNOWN_IN_ORGANISATION = "unit_unknown_in_organisation"
# Reasons after which the same submission may be sent again and be judged afresh.
RETRYABLE_REASONS = frozenset({DIRECTORY_NOT_LOADED})


@dataclass
class DirectoryLoaded:
    """Whether intake knows any unit yet. Until it does, a submission from the topic is remembered
    in the inbox by its position, not by its submission id (services/intake/entrypoints/submission_consumer.py), so that
    the frontend's re-publication after `directory_not_loaded` is judged afresh. Units are never
    removed: once known, it stays so."""

    known: bool = False

    async def read(self, engine: AsyncEngine) -> DirectoryLoaded:
        async with engine.connect() as conn:
            self.known = bool((await conn.execute(select(exists().select_from(directory_units)))).scalar())
        return self


async def _upsert(
    conn: AsyncConnection, table: Table, key: str, key_value: str, values: dict[str, Any]
) -> None:
    inserted = await conn.execute(
        insert_ignoring_duplicates(conn, table, [key]).values({key: key_value, **values})
    )
    if not inserted.rowcount:
        await conn.execute(table.update().where(table.c[key] == key_value).values(**values))


async def record_unit(conn: AsyncConnection, unit: OrgUnitUpserted) -> None:
    values = {"organisation_id": unit.organisation_id, "name": unit.name[:200]}
    await _upsert(conn, directory_units, "unit_id", unit.unit_id, values)
    await _upsert(conn, directory_unit_parents, "unit_id", unit.unit_id, {"parent_id": unit.parent_id})


async def record_advisor_change(conn: AsyncConnection, event: AdvisorUpserted | AdvisorStatusChanged) -> None:
    if isinstance(event, AdvisorUpserted):
        await record_advisor_profile(conn, event)
    else:
        await record_advisor_status(conn, event)


async def record_advisor_profile(conn: AsyncConnection, advisor: AdvisorUpserted) -> None:
    """Keep the profile an advisor agreed to show (`show` true); forget it when they withdraw."""
    profile = advisor.profile
    if profile is None or not profile.show:
        await conn.execute(
            advisor_profiles.delete().where(advisor_profiles.c.advisor_id == advisor.advisor_id)
        )
        return
    values = {
        "kind": advisor.kind.value,
        "scope": advisor.scope.value,
        "organisation_id": advisor.organisation_id,
        "served_unit_ids": ",".join(advisor.served_unit_ids),
        "active": advisor.status == AdvisorStatus.ACTIVE,
        "display_name": profile.display_name,
        "languages": ",".join(profile.languages),
        "location": profile.location,
        "text_nl": profile.text_nl,
        "text_en": profile.text_en,
        "photo_ref": profile.photo_ref,
    }
    await _upsert(conn, advisor_profiles, "advisor_id", advisor.advisor_id, values)


async def record_advisor_status(conn: AsyncConnection, change: AdvisorStatusChanged) -> None:
    """Only an active advisor is offered on the form."""
    active = change.status == AdvisorStatus.ACTIVE
    await conn.execute(
        advisor_profiles.update()
        .where(advisor_profiles.c.advisor_id == change.advisor_id)
        .values(active=active)
    )


class KnownPlaces:
    """The units of the organisations a batch of submissions names, read in one statement."""

    def __init__(self, loaded: bool, units: set[tuple[str, str]], organisations: set[str]) -> None:
        self.loaded = loaded
        self._units = units
        self._organisations = organisations

    @classmethod
    async def read(cls, conn: AsyncConnection, organisation_ids: Iterable[str]) -> KnownPlaces:
        wanted = sorted(set(organisation_ids))
        units: set[tuple[str, str]] = set()
        if wanted:
            query = select(directory_units.c.organisation_id, directory_units.c.unit_id).where(
                directory_units.c.organisation_id.in_(wanted)
            )
            units = {(r.organisation_id, r.unit_id) for r in await conn.execute(query)}
        loaded = bool(units) or bool(
            (await conn.execute(select(exists().select_from(directory_units)))).scalar()
        )
        return cls(loaded, units, {org for org, _ in units})

    def problem(self, organisation_id: str, unit_id: str) -> tuple[str, str | None] | None:
        """(reason code, field path) when the pair is not in the directory; None when it is."""
        if not self.loaded:
            return DIRECTORY_NOT_LOADED, None
        if organisation_id not in self._organisations:
            return ORGANISATION_UNKNOWN, "organisation_id"
        if (organisation_id, unit_id) not in self._units:
            return UNIT_UNKNOWN_IN_ORGANISATION, "unit_id"
        return None


def directory_routes(context: Callable[[], ServiceContext]) -> list[BaseRoute]:
    """GET /v1/directory: how many organisations and units intake knows (counts only), so that a
    stack, a demo or a test can wait until the directory feed has arrived instead of racing it."""

    async def status(_request: Request) -> JSONResponse:
        units = directory_units
        query = select(func.count(), func.count(distinct(units.c.organisation_id))).select_from(units)
        async with context().engine.connect() as conn:
            unit_count, organisation_count = (await conn.execute(query)).one()
        return JSONResponse(
            {"loaded": unit_count > 0, "organisations": organisation_count, "units": unit_count},
            headers={"Cache-Control": "no-store"},
        )

    return [Route("/v1/directory", status, methods=["GET"])]
