"""`caseflow up | down | status | demo`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT_HOME = Path("var/stack")


def _up(args: argparse.Namespace) -> int:
    from caseflow import stack, supervisor

    try:
        state = stack.up(
            Path(args.home),
            kafka_bootstrap=args.kafka,
            topic_prefix=args.topic_prefix or "",
            workbench=args.workbench,
        )
    except stack.StackRunning:  # part of it, or all: supervise it and start what is missing
        stack.resume(Path(args.home))
        return 0
    supervisor.start_in_background(state)
    print(
        f"stack running under {state.home}, supervised (a service that stops is restarted); "
        f"stop it with `caseflow down --home {args.home}`"
    )
    return 0


def _supervise(args: argparse.Namespace) -> int:
    from caseflow.supervisor import Supervisor

    Supervisor(Path(args.home).resolve()).run()
    return 0


def _down(args: argparse.Namespace) -> int:
    from caseflow import stack

    return stack.down(Path(args.home))


def _status(args: argparse.Namespace) -> int:
    from caseflow import stack

    rows = stack.status(Path(args.home))
    if not rows:
        print(f"no stack under {args.home}")
        return 1
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            health = (
                ""
                if r["name"] in ("kafka", "keycloak", "supervisor") or not r["running"]
                else ("healthy" if r.get("healthy") else f"UNHEALTHY {r.get('detail')}")
            )
            restarts = ""
            if r["restarts"] or r["last_exit"]:
                restarts = f"  restarts {r['restarts']}, last exit: {r['last_exit'] or '-'}"
                if r["crash_loop"]:
                    restarts += "  CRASH LOOP"
            print(
                f"{r['name']:<11} pid {r['pid']:<7} {'running' if r['running'] else 'STOPPED':<8} "
                f"port {r['port']}  {health}{restarts}"
            )
    return 0 if all(r["running"] and r.get("healthy", True) for r in rows) else 1


def _demo(args: argparse.Namespace) -> int:
    from tools.demo.demo import run_demo
    from tools.demo.seeded import parse_seed

    return run_demo(
        args.duration,
        args.rate,
        Path(args.home),
        Path(args.out),
        keep_running=args.keep_running,
        seed=parse_seed(args.seed),
        cases=args.cases,
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    home_help = "folder for the broker's data, databases, logs and stack.json (default: %(default)s)"
    p = sub.add_parser(
        "up",
        help="start Kafka and the four services locally",
        description="Start a single-node Kafka broker and the four services as separate processes "
        "on SQLite, and wait until all are ready.",
    )
    p.add_argument("--home", default=str(DEFAULT_HOME), help=home_help)
    p.add_argument("--kafka", metavar="HOST:PORT", help="use this broker instead of starting one")
    p.add_argument("--topic-prefix", default=None, help="prefix the stack's topics (default: none)")
    p.add_argument(
        "--workbench",
        action="store_true",
        help="also start Keycloak (dev mode, the sample realm) and the advisors' workbench",
    )
    p.set_defaults(func=_up)
    # Started by `up`, detached; not for people to run (hence no help line).
    p = sub.add_parser("supervise")
    p.add_argument("--home", default=str(DEFAULT_HOME), help=home_help)
    p.set_defaults(func=_supervise)
    p = sub.add_parser("down", help="stop what `caseflow up` started")
    p.add_argument("--home", default=str(DEFAULT_HOME), help=home_help)
    p.set_defaults(func=_down)
    p = sub.add_parser(
        "status",
        help="processes, health and consumer lag of the local stack",
        description="Show each process of the local stack, its /health verdict (a stuck consumer "
        "is unhealthy, not only a broker that does not answer) and consumer lag.",
    )
    p.add_argument("--home", default=str(DEFAULT_HOME), help=home_help)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_status)
    p = sub.add_parser(
        "demo",
        help="run the whole case flow on a fresh machine and write the annual report",
        description="Start everything, play frontends, clients and advisors with the mix of the "
        "founding study, show live progress, write the anonymised annual report "
        "(HTML, CSV, JSON) and stop everything.",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=60,
        help="seconds of simulated contacts: duration x rate contacts (default: %(default)s)",
    )
    p.add_argument(
        "--rate", type=float, default=3, help="contacts per second, at most (default: %(default)s)"
    )
    p.add_argument("--cases", type=int, help="this many contacts, instead of duration x rate")
    p.add_argument(
        "--seed",
        default="2019",
        help="the load's seed: the same seed plays the same contacts, ids and advisors' actions; "
        "'random' for a fresh one (default: %(default)s)",
    )
    p.add_argument("--home", default="var/demo", help=home_help)
    p.add_argument("--out", default="out", help="where the annual report goes (default: %(default)s)")
    p.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the stack running afterwards, with Keycloak and the advisors' workbench to sign in to",
    )
    p.set_defaults(func=_demo)
