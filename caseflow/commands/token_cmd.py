"""`caseflow token keygen|signer-keygen|issue`: advisor and command-signer keys and signed tokens
(v2: compact JWS, EdDSA; shared/auth.py), for the demo and a workbench simulator.

caseflow token keygen --advisor adv-anna --key-file anna.pem
    writes the private key (mode 0600) and prints the AdvisorKeyRegistered envelope to put on
    directory.v1 and directory.advisors.v1 (its stream id is `advisor-key:<advisor>:<public key>`).
caseflow token signer-keygen --signer workbench --key-file workbench.pem [--valid-days 365] [--publish --kafka HOST:PORT]
    the same for a command signer (the workbench signs each command for the signed-in advisor):
    prints the CommandSignerRegistered envelope (stream id `command-signer:<signer>:<public key>`).
caseflow token issue --signer workbench --key-file workbench.pem --advisor adv-anna --action ...
    signs as that command signer for the advisor (`iss` workbench, `sub` adv-anna).
caseflow token issue --advisor adv-anna --key-file anna.pem --action AcceptCase --case C
    prints the command envelope, signed, ready for advisor.actions.v1 (`--fields` adds the
    command's other fields as JSON, e.g. '{"minutes": 45, "activity": "conversation"}').
caseflow token issue --advisor adv-anna --key-file anna.pem --action "GET /v1/cases/{id}" --case C
    prints a bearer token for the case file (POST /v1/cases/{id}/messages: `--fields` is the body).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

import shared.contracts  # noqa: F401  (registers the event types)
from caseflow.commands.broker_options import add_broker_options, broker_settings
from caseflow.errors import BadInput, validation_reason
from shared.auth import (
    TOKEN_POLICY,
    AuthError,
    authorize_command,
    command_digest,
    issue_token,
    private_key_from_pem,
    private_key_to_pem,
    public_key_to_b64,
)
from shared.contracts.directory import AdvisorKeyRegistered, CommandSignerRegistered
from shared.envelope import REGISTRY, UnknownEventType, new_envelope

PRODUCER = "caseflow-token"


def _new_key_file(args: argparse.Namespace) -> Ed25519PrivateKey:
    path = Path(args.key_file)
    if path.exists() and not args.force:
        raise BadInput(f"--key-file {path} exists; use --force to replace it")
    key = Ed25519PrivateKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_to_pem(key))
    return key


def keygen(args: argparse.Namespace) -> int:
    key = _new_key_file(args)
    public = public_key_to_b64(key.public_key())
    now = datetime.now(UTC)
    event = AdvisorKeyRegistered(
        advisor_id=args.advisor, public_key_b64=public, valid_from=now, valid_until=None
    )
    stream = f"advisor-key:{args.advisor}:{public}"
    print(
        new_envelope(
            event, stream_id=stream, producer=PRODUCER, occurred_at=now, causation_id=None
        ).model_dump_json()
    )
    return 0


def signer_keygen(args: argparse.Namespace) -> int:
    key = _new_key_file(args)
    public = public_key_to_b64(key.public_key())
    now = datetime.now(UTC)
    until = now + timedelta(days=args.valid_days) if args.valid_days else None
    event = CommandSignerRegistered(
        signer_id=args.signer, public_key_b64=public, valid_from=now, valid_until=until
    )
    envelope = new_envelope(
        event, stream_id=event.stream_id, producer=PRODUCER, occurred_at=now, causation_id=None
    )
    print(envelope.model_dump_json())
    if args.publish is not None:  # on directory.v1 and its narrow copy, as the HR feed publishes keys
        import asyncio

        from caseflow.commands.directory_cmd import publish
        from shared.settings import ServiceSettings

        if args.publish:  # the broker given as --publish HOST:PORT, before --kafka was its name
            args.kafka = args.kafka or args.publish
        settings = broker_settings(ServiceSettings, args)
        asyncio.run(publish([envelope], settings.kafka_bootstrap, settings.topic_prefix))
    return 0


def _fields(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"--fields: not JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise BadInput("--fields must be a JSON object")
    return doc


def _private_key(path: str) -> Ed25519PrivateKey:
    try:
        return private_key_from_pem(Path(path).read_bytes())
    except ValueError:
        raise BadInput(f"--key-file {path}: not an Ed25519 private key in PEM") from None


def issue(args: argparse.Namespace) -> int:
    ttl = timedelta(seconds=args.ttl)
    try:
        TOKEN_POLICY.check_lifetime(ttl)
    except AuthError:
        longest = int(TOKEN_POLICY.max_lifetime.total_seconds())
        raise BadInput(
            f"--ttl {args.ttl}: every service refuses a token valid for more than {longest} seconds "
            f"(or less than 1); choose 1..{longest}. A command waiting in advisor.actions.v1 needs no "
            "longer token: it is judged at the moment it was published."
        ) from None
    key = _private_key(args.key_file)
    now = datetime.now(UTC)
    fields = _fields(args.fields)
    try:
        command_class = REGISTRY.payload_class(args.action)
    except UnknownEventType:
        command_class = None
    if command_class is None or args.action.startswith(("GET ", "POST ", "DELETE ")):
        token = issue_token(
            key,
            advisor_id=args.advisor,
            action=args.action,
            case_id=args.case,
            digest=command_digest(fields),
            now=now,
            ttl=ttl,
            issuer=args.signer,
        )
        print(token)
        return 0
    doc = {"advisor_id": args.advisor, "auth": "", "issued_at": now.isoformat(), **fields}
    if "case_id" in command_class.model_fields:
        doc["case_id"] = args.case
    try:
        command_body = command_class.model_validate(doc)
    except ValidationError as exc:
        raise BadInput(f"--fields: {args.action}: {validation_reason(exc, command_class)}") from None
    command = authorize_command(key, command_body, now=now, ttl=ttl, issuer=args.signer)
    if args.output == "token":
        print(command.model_dump()["auth"])
        return 0
    stream = args.case or args.advisor
    print(
        new_envelope(
            command, stream_id=stream, producer=PRODUCER, occurred_at=now, causation_id=None
        ).model_dump_json()
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "token",
        help="advisor keys and signed tokens (demo, workbench simulator)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    k = actions.add_parser(
        "keygen", help="create an advisor key pair; print its AdvisorKeyRegistered envelope"
    )
    k.add_argument("--advisor", required=True)
    k.add_argument("--key-file", required=True)
    k.add_argument("--force", action="store_true")
    k.set_defaults(func=keygen)
    s = actions.add_parser(
        "signer-keygen",
        help="create a command signer's key pair (the workbench); print its CommandSignerRegistered envelope",
    )
    s.add_argument("--signer", required=True, help="the signer id tokens carry in iss, e.g. workbench")
    s.add_argument("--key-file", required=True)
    s.add_argument("--valid-days", type=int, default=None, help="valid_until this many days from now")
    s.add_argument("--force", action="store_true")
    s.add_argument(
        "--publish",
        nargs="?",
        const="",
        default=None,
        metavar="HOST:PORT",
        help="also publish the registration (directory.v1 and directory.advisors.v1) to the broker of "
        "--kafka; `--publish HOST:PORT`, the broker as its value, still works",
    )
    add_broker_options(s)
    s.set_defaults(func=signer_keygen)
    i = actions.add_parser("issue", help="sign a command envelope or a bearer token for one action")
    i.add_argument("--advisor", required=True)
    i.add_argument("--key-file", required=True)
    i.add_argument(
        "--signer",
        default=None,
        help="sign as this registered command signer for --advisor (the key file is the signer's)",
    )
    i.add_argument(
        "--action", required=True, help='a command type (AcceptCase, LogTime, ...) or "GET /v1/cases/{id}"'
    )
    i.add_argument("--case", default=None)
    i.add_argument(
        "--fields", default=None, help="JSON object: the command's other fields, or the request body"
    )
    longest = int(TOKEN_POLICY.max_lifetime.total_seconds())
    i.add_argument(
        "--ttl",
        type=int,
        default=int(TOKEN_POLICY.default_ttl.total_seconds()),
        help=f"seconds, 1..{longest} (the token policy of every service; shared/auth.py)",
    )
    i.add_argument(
        "--output",
        choices=("envelope", "token"),
        default="envelope",
        help="for commands: the signed envelope (default) or its token only",
    )
    i.set_defaults(func=issue)
