"""A stream of opened cases for routing, as intake would publish them, for crash and fault tests."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from shared.codes import Category, Channel, ClientRole
from shared.contracts.intake import CaseOpened
from shared.crypto import CaseCipher, KeyStore, parse_master_key
from shared.db import make_engine
from shared.envelope import new_envelope
from tests.support.services import TEST_MASTER_KEY

CLIENTS = ["p-ict-1", "p-ict-2", "p-hr-1", "p-hr-3", "p-tax-1", None]
INVOLVED = [
    [{"person_id": "p-ict-lead", "role": "direct_manager"}],
    [{"person_id": "p-hr-lead", "role": "direct_manager"}],
    [{"person_id": "p-dg", "role": "higher_manager"}],
    [],
    [{"person_id": None, "role": "colleague"}],
]


async def opened_cases(keys_url: str, rng: random.Random, total: int) -> list[Any]:
    """`total` CaseOpened envelopes of the sample organisation, their keys in the key store at `keys_url`."""
    engine = make_engine(keys_url)
    store = KeyStore(engine, parse_master_key(TEST_MASTER_KEY))
    await store.create_schema()
    now = datetime.now(UTC)
    case_ids = [str(uuid.uuid4()) for _ in range(total)]
    keys = await store.create_keys(case_ids, now)
    envelopes = []
    for i, case_id in enumerate(case_ids):
        client = rng.choice(CLIENTS)
        unit = {
            "p-ict-1": "bzk-dgob-ict",
            "p-ict-2": "bzk-dgob-ict",
            "p-hr-1": "bzk-dgob-hr",
            "p-hr-3": "bzk-dgob-hr",
            "p-tax-1": "fin-tax",
        }.get(client or "", "bzk-dgob")
        org = "min-fin" if unit.startswith("fin") else "min-bzk"
        facts = {
            "client_person_id": client,
            "persons_involved": rng.choice(INVOLVED),
            "preferred_advisor_id": None,
            "excluded_advisor_ids": [],
        }
        payload = CaseOpened(
            case_id=case_id,
            submission_id=f"crash-{i:05d}",
            opened_at=now,
            channel=Channel.WEB,
            organisation_id=org,
            unit_id=unit,
            client_role=ClientRole.EMPLOYEE,
            anonymous=client is None,
            categories=(
                rng.choice([Category.LABOUR_CONFLICT_WITH_MANAGER, Category.BULLYING, Category.FRAUD_THEFT]),
            ),
            personal=CaseCipher.seal_with_key(keys[case_id], case_id, "personal", {}),
            routing_facts=CaseCipher.seal_with_key(keys[case_id], case_id, "routing_facts", facts),
        )
        envelopes.append(
            new_envelope(
                payload,
                stream_id=case_id,
                producer="intake",
                occurred_at=now,
                causation_id=f"submission:crash-{i:05d}",
            )
        )
    await engine.dispose()
    return envelopes
