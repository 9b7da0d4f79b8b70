"""One timed run of the subscriptions benchmark: N subscribers on one contender, then the live part.

A run (either contender):
1. the live source is readied: OpsGraph starts a real job — `runScript` on the pool's hosts, a script
   that waits for a "go" file and then prints a line every `interval` seconds — and the baseline is
   loaded with the events a warm-up OpsGraph run delivered;
2. `subscriptions_client` processes open the N subscriptions (`taskEvents(taskId, afterSeq: 0)`);
   attach time = from the first connect to the moment the last subscriber has its first event (the
   replay of what the task had recorded so far);
3. go (the file appears / `POST /go`); the live events flow until the task ends and every stream is
   complete; the server process's CPU time is read before go and after the last stream.
Lag = when an event reached a subscriber minus its own `at`, for the events stamped after go.
"""

from __future__ import annotations

import json
import resource
import selectors
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.jobs_cpu import process_cpu
from bench.jobs_run import RUN_SCRIPT

REPO_ROOT = Path(__file__).resolve().parents[1]
ATTACH_TIMEOUT_S = 300.0
Recorded = list[tuple[float, dict[str, Any]]]  # (at, event) as a subscriber received them


@dataclass(frozen=True)
class Contender:
    name: str
    http_url: str
    pid: int
    token: str = ""


@dataclass(frozen=True)
class Job:
    """Where OpsGraph's live job runs and what it prints."""

    business_id: str
    host_ids: list[str]
    lines: int
    interval: float


@dataclass
class RunResult:
    contender: str
    subscribers: int
    attach_s: float
    lags_ms: list[float]
    live_events: int
    cpu_s: float
    attach_cpu_s: float = float("nan")  # the server's CPU time while the subscribers attached
    failures: list[str] = field(default_factory=list)
    recorded: Recorded = field(default_factory=list)

    @property
    def attach_cpu_ms_per_subscriber(self) -> float:
        return 1e3 * self.attach_cpu_s / max(self.subscribers, 1)

    @property
    def cpu_us_per_delivery(self) -> float:
        """Server CPU per event per subscriber over the live part."""
        return 1e6 * self.cpu_s / max(self.live_events * self.subscribers, 1)

    def lag(self, quantile: float) -> float:
        if not self.lags_ms:
            return float("nan")
        ordered = sorted(self.lags_ms)
        return ordered[min(int(quantile * len(ordered)), len(ordered) - 1)]


def waiting_script(go_file: Path, lines: int, interval: float) -> str:
    return (
        f"while [ ! -e {go_file} ]; do sleep 0.05; done\n"
        f'for i in $(seq 1 {lines}); do echo "line $i of {lines}"; sleep {interval}; done\n'
    )


def start_job(contender: Contender, job: Job, script: str) -> str:
    variables = {
        "input": {"businessId": job.business_id, "hostIds": job.host_ids, "content": script, "name": "bench live"}
    }
    headers = {"Authorization": f"Bearer {contender.token}"}
    query = {"query": RUN_SCRIPT, "variables": variables}
    body = httpx.post(f"{contender.http_url}/graphql", json=query, headers=headers, timeout=60).json()
    payload = (body.get("data") or {}).get("runScript") or {}
    if body.get("errors") or payload.get("errors") or not payload.get("task"):
        raise RuntimeError(f"runScript refused: {body.get('errors') or payload.get('errors')}")
    return str(payload["task"]["id"])


@dataclass
class Clients:
    processes: list[tuple[subprocess.Popen[str], Path]]

    @classmethod
    def start(
        cls, contender: Contender, task_id: str, count: int, processes: int, workdir: Path, record: bool
    ) -> Clients:
        shares = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
        started = []
        for index, share in enumerate(s for s in shares if s):
            out = workdir / f"client-{uuid.uuid4().hex[:8]}.json"
            argv = [sys.executable, "-m", "bench.subscriptions_client", "--task", task_id, "--out", str(out)]
            argv += ["--url", contender.http_url.replace("http://", "ws://", 1) + "/graphql"]
            argv += ["--token", f"Bearer {contender.token}", "--subscribers", str(share)]
            argv += ["--record"] if record and index == 0 else []
            started.append((subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True), out))
        return cls(started)

    def wait_attached(self) -> float:
        """Seconds from the first connect to the last subscriber's first event, over all processes."""
        selector = selectors.DefaultSelector()
        for process, _ in self.processes:
            selector.register(process.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
        starts: list[float] = []
        ends: list[float] = []
        deadline = time.monotonic() + ATTACH_TIMEOUT_S
        while len(starts) < len(self.processes):
            ready = selector.select(timeout=max(deadline - time.monotonic(), 0))
            if not ready:
                raise RuntimeError("the subscribers did not attach in time")
            for key, _ in ready:
                line = key.fileobj.readline()  # type: ignore[union-attr]
                selector.unregister(key.fileobj)
                if not line.startswith("attached "):
                    raise RuntimeError(f"a client process failed before attaching: {line!r}")
                started, attached = (float(v) for v in line.split()[1:3])
                starts.append(started)
                ends.append(attached)
        return max(ends) - min(starts)

    def collect(self, go_time: float) -> tuple[list[float], list[str], int, Recorded]:
        """Lags of the live events, what went wrong, the live event count, the recorded stream."""
        failures: list[str] = []
        streams: list[tuple[list[int], list[tuple[float | None, float]]]] = []
        recorded: Recorded = []
        for process, out in self.processes:
            process.wait(timeout=ATTACH_TIMEOUT_S)
            result = json.loads(out.read_text())
            out.unlink()
            if result["unfinished"]:
                failures.append(f"{result['unfinished']} subscriptions never completed")
            failures.extend(s["error"] for s in result["subscribers"] if s["error"])
            streams.extend((s["seqs"], [(at, got) for at, got in s["times"]]) for s in result["subscribers"])
            for event in result["events"] or []:
                recorded.append((datetime.fromisoformat(event["at"]).timestamp(), event))
        failures.extend(_order_failures([seqs for seqs, _ in streams]))
        lags = [1000 * (got - at) for _, times in streams for at, got in times if at is not None and at >= go_time]
        live = sum(1 for at, _ in streams[0][1] if at is not None and at >= go_time) if streams else 0
        return lags, sorted(set(failures)), live, recorded

    def kill(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _order_failures(streams: list[list[int]]) -> list[str]:
    """Every subscriber must have every seq from 1 to the last, once each, in order."""
    last = max((max(seqs) for seqs in streams if seqs), default=0)
    full = set(range(1, last + 1))
    wrong = {
        "dropped": sum(1 for seqs in streams if set(seqs) != full),
        "duplicated": sum(1 for seqs in streams if len(seqs) != len(set(seqs))),
        "reordered": sum(1 for seqs in streams if seqs != sorted(seqs)),
    }
    return [f"{count} subscribers had events {what}" for what, count in wrong.items() if count]


def opsgraph_run(
    contender: Contender, job: Job, subscribers: int, processes: int, workdir: Path, *, record: bool = False
) -> tuple[RunResult, float]:
    """The run and go's time (the recorded stream, with `record`, is the baseline's script)."""
    go_file = Path(f"/tmp/opsgraph-subscriptions-bench-{uuid.uuid4().hex}")
    task_id = start_job(contender, job, waiting_script(go_file, job.lines, job.interval))
    attach_cpu_before = process_cpu(contender.pid)
    clients = Clients.start(contender, task_id, subscribers, processes, workdir, record)
    try:
        attach = clients.wait_attached()
        cpu_before, go_time = process_cpu(contender.pid), time.time()
        attach_cpu = cpu_before - attach_cpu_before
        go_file.touch(mode=0o644)
        lags, failures, live, recorded = clients.collect(go_time)
    finally:
        go_file.unlink(missing_ok=True)
        clients.kill()
    cpu = process_cpu(contender.pid) - cpu_before
    result = RunResult(contender.name, subscribers, attach, lags, live, cpu, attach_cpu, failures, recorded)
    return result, go_time


def baseline_run(
    contender: Contender, recorded: Recorded, go_time: float, subscribers: int, processes: int, workdir: Path
) -> RunResult:
    """The baseline, loaded with OpsGraph's events: those before `go_time` replayed, the rest live."""
    replay = [event for at, event in recorded if at < go_time]
    live = [[at - go_time, {k: v for k, v in event.items() if k != "at"}] for at, event in recorded if at >= go_time]
    httpx.post(f"{contender.http_url}/load", json={"replay": replay, "live": live}, timeout=60).raise_for_status()
    attach_cpu_before = process_cpu(contender.pid)
    clients = Clients.start(contender, "baseline", subscribers, processes, workdir, record=False)
    try:
        attach = clients.wait_attached()
        cpu_before, go = process_cpu(contender.pid), time.time()
        attach_cpu = cpu_before - attach_cpu_before
        httpx.post(f"{contender.http_url}/go", timeout=60).raise_for_status()
        lags, failures, live_count, _ = clients.collect(go)
    finally:
        clients.kill()
    cpu = process_cpu(contender.pid) - cpu_before
    return RunResult(contender.name, subscribers, attach, lags, live_count, cpu, attach_cpu, failures)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


def raise_open_files_limit() -> None:
    """1,000 WebSockets per side need more descriptors than the usual soft limit of 1,024; the servers
    and clients started from here inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
