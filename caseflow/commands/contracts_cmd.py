from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from caseflow import contracts_doc

    if args.action == "check":
        problems = contracts_doc.drift()
        for p in problems:
            print(p)
        print("contracts match the code" if not problems else "run `caseflow contracts generate` and commit")
        return 1 if problems else 0
    for path in contracts_doc.write():
        print(f"wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "contracts",
        help="generate or check the AsyncAPI document, JSON Schemas and OpenAPI documents in docs/",
        description="The contracts for frontend and platform teams: docs/asyncapi.yaml "
        "(AsyncAPI 3.0, from the four FastStream apps), docs/schemas/*.json and "
        "docs/openapi/<service>.json (OpenAPI 3.1, from each service's route table).",
    )
    p.add_argument("action", choices=["generate", "check"])
    p.set_defaults(func=_run)
