"""Message throughput through OpsGraph's outbox, beside plain aiosmtplib sends, in the same run.

    python -m bench.messaging_bench [--messages 500] [--receivers 1] [--clients 8] [--repeat 3]
                                    [--profile-server FILE]

A real OpsGraph server (fresh SQLite, its delivery worker on) mails a real SMTP server (aiosmtpd, in
this process). Each round, interleaved:

- baseline: the same messages sent with aiosmtplib directly, over as many connections as the
  worker uses (4), no database, no HTTP: the floor SMTP itself sets here;
- OpsGraph: the messages sent with `sendMessage` by `--clients` concurrent GraphQL clients; timed
  until the SMTP server has received every one (accept + outbox + delivery + outcome records).
  `accepted` is the rate of the GraphQL answers alone (the message safely in the outbox).

Figures are messages per second, median over `--repeat` rounds; `ratio` is the baseline's rate
divided by OpsGraph's (how many times faster plain SMTP is than the whole outbox path). On a shared
machine the rates follow the load of other processes; the CPU milliseconds per message (this
process's, plus the server's for OpsGraph) do not, and are printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.measure import environment_lines, load_line
from bench.process import OpsGraphInstance, free_port

SMTP_CONNECTIONS = 4  # what the delivery worker uses (executors.message_delivery.SMTP_CONNECTIONS)
SEND = """
mutation($input: SendMessageInput!) { sendMessage(input: $input) { messageId errors { code message } } }"""
CONFIGURE = """
mutation($input: ConfigureMessageChannelInput!) { configureMessageChannel(input: $input) { errors { message } } }"""


class CountingSink:
    """An SMTP server that counts delivered recipients."""

    def __init__(self) -> None:
        self.port = free_port()
        self.delivered = 0
        self._changed = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._changed:
            self.delivered += len(envelope.rcpt_tos)
            self._changed.notify_all()
        return "250 OK"

    def wait_for(self, total: int, timeout: float = 600) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.delivered >= total, timeout=timeout):
                raise RuntimeError(f"only {self.delivered} of {total} recipients arrived in {timeout:.0f} s")

    def __enter__(self) -> CountingSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def process_cpu(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by this process, or by `pid`."""
    if pid is None:
        return time.process_time()
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _mail(n: int, receivers: list[str]) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = f"bench {n}", "bench@example.com", ", ".join(receivers)
    mail.set_content(f"<p>message {n}</p>", subtype="html")
    return mail


def _receivers(n: int, count: int) -> list[str]:
    return [f"r{n}-{i}@example.com" for i in range(count)]


async def baseline(sink: CountingSink, messages: int, receivers: int) -> float:
    """Seconds for plain aiosmtplib to deliver the messages over SMTP_CONNECTIONS connections."""
    start_count = sink.delivered
    started = time.perf_counter()

    async def connection(part: range) -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False) as smtp:
            for n in part:
                await smtp.send_message(_mail(n, _receivers(n, receivers)))

    await asyncio.gather(*(connection(range(i, messages, SMTP_CONNECTIONS)) for i in range(SMTP_CONNECTIONS)))
    sink.wait_for(start_count + messages * receivers)
    return time.perf_counter() - started


async def through_outbox(
    url: str, token: str, sink: CountingSink, messages: int, receivers: int, clients: int
) -> tuple[float, float]:
    """(seconds until every sendMessage answered, seconds until the SMTP server had every recipient)."""
    start_count = sink.delivered
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(messages):
        queue.put_nowait(n)
    headers = {"Authorization": f"Bearer {token}"}

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            variables = {
                "input": {
                    "channel": "MAIL",
                    "title": f"bench {n}",
                    "content": f"<p>message {n}</p>",
                    "receivers": _receivers(n, receivers),
                }
            }
            body: dict[str, Any] = (await http.post("/graphql", json={"query": SEND, "variables": variables})).json()
            payload = body["data"]["sendMessage"]
            if payload["errors"] or payload["messageId"] is None:
                raise RuntimeError(f"sendMessage refused: {body}")

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    accepted = time.perf_counter() - started
    await asyncio.to_thread(sink.wait_for, start_count + messages * receivers)
    return accepted, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--receivers", type=int, default=1, help="receivers per message")
    parser.add_argument("--clients", type=int, default=8, help="concurrent GraphQL clients")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile-server", type=Path, default=None, help="write the server's cProfile stats here")
    args = parser.parse_args()

    print("\n".join(environment_lines()))
    with tempfile.TemporaryDirectory(prefix="opsgraph-messaging-bench-") as directory, CountingSink() as sink:
        instance = OpsGraphInstance(Path(directory), profile_path=args.profile_server)
        token = instance.bootstrap()
        url = instance.start()
        try:
            smtp = {"host": "127.0.0.1", "port": sink.port, "security": "none", "sender": "bench@example.com"}
            configured = httpx.post(
                f"{url}/graphql",
                json={"query": CONFIGURE, "variables": {"input": {"channel": "MAIL", "smtp": smtp}}},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()
            if configured["data"]["configureMessageChannel"]["errors"]:
                raise RuntimeError(f"cannot configure the mail channel: {configured}")
            plain: list[float] = []
            accepted: list[float] = []
            delivered: list[float] = []
            plain_cpu: list[float] = []
            outbox_cpu: list[float] = []
            assert instance.server is not None
            assert instance.server.process is not None
            server_pid = instance.server.process.pid
            for round_number in range(args.repeat):
                order = ["baseline", "opsgraph"] if round_number % 2 == 0 else ["opsgraph", "baseline"]
                for contender in order:
                    cpu_before = process_cpu() + process_cpu(server_pid)
                    if contender == "baseline":
                        seconds = asyncio.run(baseline(sink, args.messages, args.receivers))
                        plain.append(args.messages / seconds)
                        plain_cpu.append((process_cpu() + process_cpu(server_pid) - cpu_before) / args.messages)
                    else:
                        took = asyncio.run(
                            through_outbox(url, token, sink, args.messages, args.receivers, args.clients)
                        )
                        accepted.append(args.messages / took[0])
                        delivered.append(args.messages / took[1])
                        outbox_cpu.append((process_cpu() + process_cpu(server_pid) - cpu_before) / args.messages)
        finally:
            instance.stop()
    base, accept, deliver = (statistics.median(values) for values in (plain, accepted, delivered))
    base_cpu, deliver_cpu = (statistics.median(values) * 1000 for values in (plain_cpu, outbox_cpu))
    print(f"\n{args.messages} messages × {args.receivers} receiver(s), {args.repeat} interleaved rounds (median)")
    print(f"{'contender':<44} {'messages/s':>12} {'ratio':>8} {'CPU ms/msg':>11} {'ratio':>7}")
    print(f"{'plain aiosmtplib, 4 connections (baseline)':<44} {base:>12.1f} {1.0:>8.2f} {base_cpu:>11.2f} {1.0:>7.2f}")
    print(f"{'OpsGraph sendMessage, accepted (in outbox)':<44} {accept:>12.1f} {base / accept:>8.2f}")
    print(
        f"{'OpsGraph sendMessage, delivered end to end':<44} {deliver:>12.1f} {base / deliver:>8.2f} "
        f"{deliver_cpu:>11.2f} {deliver_cpu / base_cpu:>7.2f}"
    )
    print(load_line())


if __name__ == "__main__":
    main()
