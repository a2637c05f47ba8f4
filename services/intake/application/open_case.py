"""Use case: take in one submission — reject it with a reason code, or open exactly one case.

Runs inside the caller's transaction (the pipeline's for Kafka, the HTTP handler's for HTTP), so
the case row, its outbox event and the inbox entry commit together. The idempotency key is the
frontend's `submission_id`: a retry finds the case it opened before.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.directory import RETRYABLE_REASONS, KnownPlaces
from services.intake.adapters.tables import cases, rejections
from services.intake.application.emit import emitter_for
from services.intake.domain.submission import Rejection, Submission, validate_submission
from shared.contracts.intake import AvailabilityWindow, CaseOpened, SubmissionRejected
from shared.crypto import CaseCipher, KeyStore, Sealed
from shared.db import insert_ignoring_duplicates
from shared.locations import location_code
from shared.outbox import Outgoing
from shared.topics import INTAKE_REJECTIONS

CASE_ID_NAMESPACE = uuid.UUID("0b7c1c0e-5f55-4c7e-8d0e-6a2f7f5d9c31")
_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def case_id_for(submission_id: str) -> str:
    """Deterministic, so two instances racing on one submission converge on one case."""
    return str(uuid.uuid5(CASE_ID_NAMESPACE, submission_id))


def new_receipt_code() -> str:
    # 16 symbols of a 32-letter alphabet: 80 random bits (each byte's low 5 bits, unbiased).
    raw = "".join(_RECEIPT_ALPHABET[b & 31] for b in secrets.token_bytes(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def receipt_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()


@dataclass
class IntakeResult:
    kind: Literal["opened", "rejected", "duplicate_case", "duplicate_rejection"]
    case_id: str | None = None
    receipt_code: str | None = None
    rejection: Rejection | None = None
    outgoing: list[Outgoing] = field(default_factory=list)


def _split_personal(sub: Submission) -> tuple[dict[str, Any], dict[str, Any]]:
    personal = {
        "contact": sub.contact.model_dump() if sub.contact else None,
        "narrative": sub.narrative,
        "persons_involved": [p.model_dump(mode="json") for p in sub.persons_involved],
        "location": sub.meeting.location if sub.meeting else None,
    }
    routing_facts = {
        "client_person_id": sub.client_person_id,
        "persons_involved": [{"person_id": p.person_id, "role": p.role} for p in sub.persons_involved],
        "preferred_advisor_id": sub.preferred_advisor_id,
        "excluded_advisor_ids": sub.excluded_advisor_ids,
    }
    return personal, routing_facts


@dataclass(frozen=True, slots=True)
class IncomingSubmission:
    raw: bytes
    doc: Any
    source: str  # "kafka" | "http"
    causation_id: str  # the inbox key: submission:<id> or position:<...>
    position: str | None = None
    rejection: Rejection | None = None  # already refused while decoding (a sealed record that did not open)


class CaseIntake:
    def __init__(self, keystore: KeyStore) -> None:
        self._keystore = keystore

    async def existing(self, conn: AsyncConnection, submission_id: str) -> IntakeResult | None:
        return (await self._existing_many(conn, [submission_id])).get(submission_id)

    async def _existing_many(
        self, conn: AsyncConnection, submission_ids: list[str]
    ) -> dict[str, IntakeResult]:
        found: dict[str, IntakeResult] = {}
        if not submission_ids:
            return found
        for row in await conn.execute(select(cases).where(cases.c.submission_id.in_(submission_ids))):
            code = await self._open_receipt(row.case_id, row.receipt_sealed)
            found[row.submission_id] = IntakeResult("duplicate_case", case_id=row.case_id, receipt_code=code)
        for rej in await conn.execute(
            select(rejections).where(rejections.c.submission_id.in_(submission_ids))
        ):
            found[rej.submission_id] = IntakeResult(
                "duplicate_rejection", rejection=Rejection(rej.reason, rej.field, rej.submission_id)
            )
        return found

    async def _open_receipt(self, case_id: str, sealed_json: str) -> str | None:
        try:
            key = await self._keystore.get_key(case_id)
        except LookupError:  # erased: the receipt code is gone with the personal data
            return None
        code: str = CaseCipher.open_with_key(key, case_id, "receipt", Sealed.model_validate_json(sealed_json))
        return code

    async def take_in(
        self,
        conn: AsyncConnection,
        raw: bytes,
        doc: Any,
        *,
        now: datetime,
        source: str,
        causation_id: str,
        position: str | None = None,
    ) -> IntakeResult:
        return (
            await self.take_in_many(conn, [IncomingSubmission(raw, doc, source, causation_id, position)], now)
        )[0]

    async def take_in_many(
        self, conn: AsyncConnection, items: list[IncomingSubmission], now: datetime
    ) -> list[IntakeResult]:
        """Verdicts for a batch, in a handful of statements: one look-up of earlier outcomes, one key
        store transaction, one multi-row insert each for cases and rejections."""
        verdicts = [i.rejection or validate_submission(i.raw, i.doc, now=now) for i in items]
        valid_ids = [v.submission_id for v in verdicts if isinstance(v, Submission)]
        earlier = await self._existing_many(conn, valid_ids)
        verdicts = await self._in_the_directory(conn, verdicts, earlier)
        to_open = {
            v.submission_id: v
            for v in verdicts
            if isinstance(v, Submission) and v.submission_id not in earlier
        }
        keys = await self._keystore.create_keys([case_id_for(sid) for sid in to_open], now)
        results: list[IntakeResult] = []
        case_rows: list[dict[str, Any]] = []
        rejection_rows: list[dict[str, Any]] = []
        for item, verdict in zip(items, verdicts, strict=True):
            if isinstance(verdict, Rejection):
                result, row = self._reject(verdict, item, now)
                if verdict.reason not in RETRYABLE_REASONS:  # a retry is judged afresh
                    rejection_rows.append(row)
            elif verdict.submission_id in earlier:
                result = earlier[verdict.submission_id]
            else:
                result, row = self._open(verdict, keys[case_id_for(verdict.submission_id)], item, now)
                case_rows.append(row)
            results.append(result)
        if case_rows:
            await conn.execute(cases.insert(), case_rows)
        if rejection_rows:
            await conn.execute(
                insert_ignoring_duplicates(conn, rejections, ["submission_id"]), rejection_rows
            )
        return results

    @staticmethod
    async def _in_the_directory(
        conn: AsyncConnection, verdicts: list[Submission | Rejection], earlier: dict[str, IntakeResult]
    ) -> list[Submission | Rejection]:
        """New submissions must name a unit of their organisation (services/intake/adapters/directory.py)."""
        new = [v for v in verdicts if isinstance(v, Submission) and v.submission_id not in earlier]
        if not new:
            return verdicts
        known = await KnownPlaces.read(conn, (v.organisation_id for v in new))
        checked: list[Submission | Rejection] = []
        for verdict in verdicts:
            problem = None
            if isinstance(verdict, Submission) and verdict.submission_id not in earlier:
                problem = known.problem(verdict.organisation_id, verdict.unit_id)
            checked.append(verdict if problem is None else Rejection(*problem, verdict.submission_id))
        return checked

    def _reject(
        self, rejection: Rejection, item: IncomingSubmission, now: datetime
    ) -> tuple[IntakeResult, dict[str, Any]]:
        row = {
            "submission_id": rejection.submission_id,
            "source": item.source,
            "source_position": item.position,
            "reason": rejection.reason,
            "field": rejection.field,
            "rejected_at": now,
        }
        event = SubmissionRejected(
            submission_id=rejection.submission_id,
            source=item.source,
            source_position=item.position,
            reason=rejection.reason,
            field=rejection.field,
            rejected_at=now,
        )
        stream = rejection.submission_id or (item.position or item.causation_id)
        # A retryable rejection may be followed by another verdict on the same submission (same
        # causation): its time keeps the event ids of the two apart.
        retry = f"{rejection.reason}:{now.isoformat()}" if rejection.reason in RETRYABLE_REASONS else ""
        emit = emitter_for(item.causation_id, now, INTAKE_REJECTIONS.name)
        return IntakeResult("rejected", rejection=rejection, outgoing=[emit(event, stream, retry)]), row

    def _open(
        self, sub: Submission, key: bytes, item: IncomingSubmission, now: datetime
    ) -> tuple[IntakeResult, dict[str, Any]]:
        case_id = case_id_for(sub.submission_id)
        personal, routing_facts = _split_personal(sub)
        receipt = new_receipt_code()
        receipt_sealed = CaseCipher.seal_with_key(key, case_id, "receipt", receipt)
        meeting = sub.meeting
        row = {
            "case_id": case_id,
            "submission_id": sub.submission_id,
            "receipt_hash": receipt_hash(receipt),
            "receipt_sealed": receipt_sealed.model_dump_json(),
            "organisation_id": sub.organisation_id,
            "unit_id": sub.unit_id,
            "is_whistleblower_report": sub.is_whistleblower_report,
            "opened_at": now,
            "status": "open",
        }
        event = CaseOpened(
            case_id=case_id,
            submission_id=sub.submission_id,
            opened_at=now,
            channel=sub.channel,
            organisation_id=sub.organisation_id,
            unit_id=sub.unit_id,
            client_role=sub.client_role,
            anonymous=sub.anonymous,
            categories=tuple(sub.categories),
            wants_external_advisor=sub.wants_external_advisor,
            language=sub.language,
            location_code=location_code(meeting.location) if meeting else None,
            meeting_mode=meeting.mode if meeting else None,
            away_from_own_unit=meeting.away_from_own_unit if meeting else False,
            availability=tuple(AvailabilityWindow(start=w.start, end=w.end) for w in meeting.availability)
            if meeting
            else (),
            is_whistleblower_report=sub.is_whistleblower_report,
            personal=CaseCipher.seal_with_key(key, case_id, "personal", personal),
            routing_facts=CaseCipher.seal_with_key(key, case_id, "routing_facts", routing_facts),
            receipt=receipt_sealed,
        )
        opened = emitter_for(item.causation_id, now)(event, case_id)
        result = IntakeResult("opened", case_id=case_id, receipt_code=receipt, outgoing=[opened])
        return result, row
