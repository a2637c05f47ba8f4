"""Intake's web form lists what the directory feed's narrow copies bring: the sample organisation's
units by name, and the advisors who agreed to show a profile, each under a handle, never an id."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from services.intake.adapters import tables as intake_tables
from services.intake.adapters.form_catalogue import advisor_handle, handle_key, read_catalogue
from services.intake.entrypoints.directory_feed import apply_directory_event, decode_directory_record
from shared.codes import AdvisorStatus
from shared.contracts.directory import AdvisorStatusChanged
from shared.directory_copies import directory_records
from shared.envelope import new_envelope
from shared.pipeline import Inbound
from tools.demo.sample_org import directory_events

pytestmark = pytest.mark.handlers
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KEY = handle_key(b"test master key")


def copies() -> list[Inbound]:
    """The sample directory as intake receives it: only the narrow copies, in order."""
    records = [r for e in directory_events() for r in directory_records(e) if r[0] != "directory.v1"]
    return [
        Inbound(topic=topic, partition=0, offset=i, key=key, value=value)
        for i, (topic, key, value) in enumerate(records)
    ]


async def test_the_form_lists_the_sample_units_by_name_and_the_advisors_who_agreed(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/intake.db")
    async with engine.begin() as conn:
        await conn.run_sync(intake_tables.metadata.create_all)
        for inbound in copies():
            await apply_directory_event(conn, decode_directory_record(inbound), NOW)
    catalogue = await read_catalogue(engine, KEY)

    assert [(o.organisation_id, o.name) for o in catalogue.organisations] == [
        ("min-bzk", "Binnenlandse Zaken"),
        ("min-fin", "Financiën"),
    ]
    assert [u.label for u in catalogue.organisations[0].units] == [
        "Binnenlandse Zaken",
        "DG Overheidsorganisatie",
        "DG Overheidsorganisatie › HR",
        "DG Overheidsorganisatie › ICT",
        "Secretariaat-generaal",
    ]
    # Bram gave no consent: no profile. Internal first, then cross-unit, then the external ones.
    assert [(a.display_name, a.scope, a.organisation_name) for a in catalogue.advisors] == [
        ("Anna de Vries", "internal", "Binnenlandse Zaken"),
        ("Carla Bakker", "cross_unit", "Financiën"),
        ("Dirk Jansen", "external", None),
        ("Eva Mulder", "external", None),
    ]
    assert catalogue.advisors[1].serves == ("Binnenlandse Zaken",)  # Carla serves the BZK units
    anna = catalogue.advisors[0]
    assert anna.handle == advisor_handle(KEY, "adv-anna") and "adv-anna" not in anna.handle
    assert catalogue.advisor_id(anna.handle) == "adv-anna" and catalogue.advisor_id("adv-anna") is None
    assert "adv-" not in repr(catalogue.advisors)

    # An advisor on leave is not offered; one who comes back is.
    leave = AdvisorStatusChanged(advisor_id="adv-anna", status=AdvisorStatus.ON_LEAVE)
    env = new_envelope(leave, stream_id="adv-anna", producer="hr-feed", occurred_at=NOW, causation_id=None)
    inbound = Inbound(
        topic="directory.advisors.v1", partition=0, offset=99, key=b"adv-anna", value=env.to_bytes()
    )
    async with engine.begin() as conn:
        await apply_directory_event(conn, decode_directory_record(inbound), NOW)
    assert "Anna de Vries" not in [a.display_name for a in (await read_catalogue(engine, KEY)).advisors]
    await engine.dispose()


async def test_a_withdrawn_consent_removes_the_profile(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/intake.db")
    withdrawn = next(
        e
        for e in directory_events()
        if e.event_type == "AdvisorUpserted" and e.payload.advisor_id == "adv-eva"
    )
    hidden = withdrawn.payload.model_copy(
        update={"profile": withdrawn.payload.profile.model_copy(update={"show": False})}
    )
    async with engine.begin() as conn:
        await conn.run_sync(intake_tables.metadata.create_all)
        for inbound in copies():
            await apply_directory_event(conn, decode_directory_record(inbound), NOW)
        env = new_envelope(
            hidden, stream_id="adv-eva", producer="hr-feed", occurred_at=NOW, causation_id=None
        )
        record = Inbound(
            topic="directory.advisors.v1", partition=0, offset=99, key=b"adv-eva", value=env.to_bytes()
        )
        await apply_directory_event(conn, decode_directory_record(record), NOW)
    names = [a.display_name for a in (await read_catalogue(engine, KEY)).advisors]
    assert "Eva Mulder" not in names and "Dirk Jansen" in names
    await engine.dispose()


async def test_during_a_master_key_rotation_a_form_loaded_before_it_still_names_its_advisors(
    tmp_path: Path,
) -> None:
    """Handles are keyed with the master key: a form shown before the rotation sends handles under
    the previous key, which must still name the same advisor (an avoided advisor above all)."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/intake.db")
    async with engine.begin() as conn:
        await conn.run_sync(intake_tables.metadata.create_all)
        for inbound in copies():
            await apply_directory_event(conn, decode_directory_record(inbound), NOW)
    new_key = handle_key(b"the new master key")
    during = await read_catalogue(engine, new_key, previous_keys=[KEY])
    assert during.advisors[0].handle == advisor_handle(new_key, "adv-anna")  # shown: the new handle
    assert during.advisor_id(advisor_handle(KEY, "adv-anna")) == "adv-anna"  # accepted: the old one
    after = await read_catalogue(engine, new_key)  # the old key retired
    assert after.advisor_id(advisor_handle(KEY, "adv-anna")) is None
    await engine.dispose()
