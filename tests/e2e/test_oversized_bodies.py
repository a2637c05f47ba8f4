"""Oversized request bodies against the intake process: refused with 413 while they stream, and
the process's memory stays where it was.

Eight clients at once each try to send 100 MB (four announce it with Content-Length, four send
it chunked without a length) to the submission API, the web form and the dialogue. Read whole
before a size check, that is 800 MB or more in the process (the outside test saw 101 MB grow to
1.67 GB); limited while streaming, each request costs at most its endpoint's maximum (1 MiB).
The peak is the kernel's high-water mark of the process's resident set (VmHWM), so no sample
can miss it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.kafka_io import create_topics
from tests.support.processes import ServiceProcess
from tests.support.services import TEST_MASTER_KEY

pytestmark = pytest.mark.e2e

TOPICS = (
    "intake.submissions.v1",
    "intake.cases.v1",
    "intake.rejections.v1",
    "routing.assignments.v1",
    "directory.advisors.v1",
    "directory.units.v1",
    "advisor.actions.v1",
)
ATTEMPT = 100 * 1024 * 1024  # what each client tries to send
PIECE = b"OVERSIZE-MARKER-" * 4096  # 64 KiB, sent again and again: the client holds no 100 MB
# Eight whole 100 MB bodies would raise the peak by 800 MB; streamed, the requests need a few MB.
# 200 MB is far from both: it cannot flake on allocator noise and cannot pass a whole-body read.
BOUND = 200 * 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int


def upload(port: int, path: str, *, chunked: bool, accept: str = "application/json") -> Answer:
    """POST ATTEMPT bytes and read the answer while still sending, as a client that does not wait.

    Plain sockets, a thread sending and this one reading: the server answers and closes while the
    client is still sending, and the answer must stay readable after the send fails.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {ATTEMPT}"
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\nAccept: {accept}\r\n"
        f"{framing}\r\n\r\n".encode()
    )
    sent = 0

    def send_body() -> None:
        nonlocal sent
        frame = f"{len(PIECE):x}\r\n".encode() + PIECE + b"\r\n" if chunked else PIECE
        try:
            while sent < ATTEMPT:
                sock.sendall(frame)
                sent += len(PIECE)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server refused and closed: what we want

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    try:
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before an answer: {received!r}"
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        while len(body) < int(headers.get("content-length", "0")):
            chunk = sock.recv(65536)
            assert chunk, "connection closed inside the answer"
            body += chunk
        sender.join(120)
        assert not sender.is_alive(), "the server kept taking the body after its answer"
    finally:
        sock.close()
    return Answer(int(lines[0].split()[1]), headers, body, sent)


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


async def test_concurrent_oversized_bodies_get_413_and_leave_the_memory_peak_where_it_was(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"t-bodies-{uuid.uuid4().hex[:8]}."
    await create_topics(kafka_bootstrap, [prefix + t for t in TOPICS] + [prefix + t + ".dlq" for t in TOPICS])
    intake = ServiceProcess(
        "intake",
        {
            "INTAKE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "INTAKE_TOPIC_PREFIX": prefix,
            "INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/intake.db",
            "INTAKE_KEYSTORE_URL": f"sqlite+aiosqlite:///{tmp_path}/keys.db",
            "INTAKE_MASTER_KEY": TEST_MASTER_KEY,
        },
        tmp_path / "intake.log",
    )
    intake.start()
    try:
        assert intake.proc is not None
        pid = intake.proc.pid
        # Warm the paths once (imports, first allocations), so the baseline is a running service.
        async with httpx.AsyncClient(base_url=intake.url, timeout=30) as client:
            assert (await client.post("/v1/submissions", content=b"{}")).status_code == 422
        before = memory_kib(pid)

        uploads = [
            ("/v1/submissions", False, "application/json"),
            ("/v1/submissions", True, "application/json"),
            ("/v1/submissions", False, "application/json"),
            ("/v1/submissions", True, "application/json"),
            ("/formulier", False, "text/html"),
            ("/formulier", True, "text/html"),
            ("/v1/dialogue/messages", False, "application/json"),
            ("/v1/dialogue/messages", True, "application/json"),
        ]
        answers = await asyncio.gather(
            *(
                asyncio.to_thread(upload, intake.port, path, chunked=chunked, accept=accept)
                for path, chunked, accept in uploads
            )
        )
        after = memory_kib(pid)

        assert [a.status for a in answers] == [413] * 8
        for answer in answers:
            assert b"OVERSIZE-MARKER" not in answer.body  # the refusal never echoes the body
            assert answer.headers["connection"] == "close"
        json_answers = [json.loads(a.body) for i, a in enumerate(answers) if i not in (4, 5)]
        assert {a["reason"] for a in json_answers} == {"body_too_large"}
        assert [a["max_bytes"] for a in json_answers] == [1024 * 1024] * 4 + [64 * 1024] * 2
        assert all(answers[i].headers["content-type"].startswith("text/html") for i in (4, 5))
        rise = (after["VmHWM"] - before["VmHWM"]) * 1024
        print(
            f"\nintake RSS before {before['VmRSS'] / 1024:.1f} MiB (peak {before['VmHWM'] / 1024:.1f} MiB); "
            f"after 8 concurrent 100 MB uploads peak {after['VmHWM'] / 1024:.1f} MiB "
            f"(+{rise / 2**20:.1f} MiB); clients got {sum(a.sent for a in answers) / 2**20:.1f} MiB "
            "onto the socket before the refusals"
        )
        assert rise < BOUND, f"peak RSS rose by {rise / 2**20:.0f} MiB"

        # And the service is unharmed: it answers the next request on its merits.
        async with httpx.AsyncClient(base_url=intake.url, timeout=30) as client:
            again = await client.post("/v1/submissions", content=b"{}")
            assert again.status_code == 422 and again.json()["status"] == "rejected"
            assert (await client.get("/health")).status_code == 200
    finally:
        intake.stop()
