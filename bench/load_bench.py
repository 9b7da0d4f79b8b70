"""`{ __typename }` under concurrent load: OpsGraph beside the graphql-core + Starlette baseline.

Run from the repository root (needs `wrk` on PATH: `apt-get install wrk`):
    python -m bench.load_bench [--connections 16] [--seconds 10] [--rounds 3]

The servers run as their own processes on a fresh data directory: OpsGraph, the graphql-core +
Starlette baseline (`bench/baseline_server.py`, which parses and validates every request), and the
same baseline keeping each query's parsed, validated document (`--cache-documents`, as OpsGraph's
caches do: the floor for a repeated query). `wrk` (one thread, several keep-alive connections) posts
the same JSON body to each in turn, round by round, the first contender changing every round.
Figures per contender: requests per second and the server process's CPU per request (utime + stime
from /proc, before and after each round), median and range over the rounds. Prints figures; asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.client import HttpClient
from bench.jobs_cpu import process_cpu
from bench.measure import environment_lines, load_line
from bench.process import OpsGraphInstance, ServerProcess
from bench.queries import TRIVIAL_QUERY

REPO_ROOT = Path(__file__).resolve().parents[1]
OPSGRAPH = "OpsGraph"
BASELINE = "graphql-core + Starlette HTTP"
CACHED = "… parse/validate cached"
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")


@dataclass(frozen=True)
class LoadRound:
    requests: int
    seconds: float
    cpu_s: float
    failures: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / max(self.requests, 1)


@dataclass(frozen=True)
class Target:
    url: str
    headers: dict[str, str]
    pid: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--seconds", type=int, default=10, help="length of one contender's turn")
    parser.add_argument("--rounds", type=int, default=3, help="turns per contender, interleaved")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of untimed load per contender first")
    return parser.parse_args()


def wrk_script(workdir: Path, name: str, headers: dict[str, str]) -> Path:
    """A wrk Lua script that POSTs the trivial query with the contender's headers."""
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(json.dumps({'query': TRIVIAL_QUERY}))}",
        'wrk.headers["Content-Type"] = "application/json"',
        *(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()),
    ]
    path = workdir / f"{abs(hash(name))}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(target: Target, script: Path, connections: int, seconds: int) -> LoadRound:
    cpu_before = process_cpu(target.pid)
    started = time.perf_counter()
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"{target.url}/graphql"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    elapsed = time.perf_counter() - started
    cpu = process_cpu(target.pid) - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    found = _REQUESTS.search(done.stdout)
    if found is None:
        raise RuntimeError(f"cannot read wrk's output:\n{done.stdout}")
    failures = "; ".join(m.group(0) for m in _ERRORS.finditer(done.stdout))
    # wrk's own duration excludes its start-up; the requests it counts all fall inside `seconds`.
    return LoadRound(int(found.group(1)), min(elapsed, float(seconds)), cpu, failures)


def check_answer(target: Target) -> None:
    client = HttpClient(target.url, target.headers)
    try:
        data = client.data(TRIVIAL_QUERY)
    finally:
        client.close()
    if data != {"__typename": "Query"}:
        raise RuntimeError(f"{target.url} answered {data!r}")


def interleaved(run: Callable[[str], LoadRound], names: list[str], rounds: int) -> dict[str, list[LoadRound]]:
    results: dict[str, list[LoadRound]] = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(run(name))
    return results


def spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def report(results: dict[str, list[LoadRound]], args: argparse.Namespace) -> list[str]:
    header = f"{'contender':<30} | {'req/s median (range)':>24} | {'server CPU ms/request (range)':>30} | failures"
    lines = [header, "-" * len(header)]
    for name, rounds in results.items():
        failures = "; ".join(r.failures for r in rounds if r.failures) or "none"
        rates = spread([r.per_second for r in rounds], ".0f")
        cpu = spread([r.cpu_ms_per_request for r in rounds], ".3f")
        lines.append(f"{name:<30} | {rates:>24} | {cpu:>30} | {failures}")
    ours = results[OPSGRAPH]
    lines.append("")
    for name in (BASELINE, CACHED):
        theirs = results[name]
        rate_ratios = [a.per_second / b.per_second for a, b in zip(ours, theirs, strict=True)]
        cpu_ratios = [a.cpu_ms_per_request / b.cpu_ms_per_request for a, b in zip(ours, theirs, strict=True)]
        lines.append(
            f"OpsGraph ÷ {name}, round by round: req/s {spread(rate_ratios, '.2f')}×, "
            f"CPU per request {spread(cpu_ratios, '.2f')}×"
        )
    lines.append("(goal: req/s ≥ 0.8× the baseline)")
    return lines


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not on PATH (Debian: apt-get install wrk)")
    environment = environment_lines()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-load-"))
    try:
        with ExitStack() as stack:
            instance = OpsGraphInstance(workdir / "opsgraph")
            instance.data_dir.mkdir()
            token = instance.bootstrap()
            instance.start()
            stack.callback(instance.stop)
            data_file = workdir / "baseline.json"
            data_file.write_text(json.dumps({"businesses": [], "searchHosts": []}))
            assert instance.server is not None
            assert instance.server.process is not None
            ours = Target(instance.server.url, {"Authorization": f"Bearer {token}"}, instance.server.process.pid)
            targets = {OPSGRAPH: ours}
            for name, extra in ((BASELINE, []), (CACHED, ["--cache-documents"])):
                argv = [sys.executable, "-m", "bench.baseline_server", "--data", str(data_file), *extra]
                baseline = ServerProcess(argv, dict(os.environ), workdir / f"{len(targets)}.log", cwd=REPO_ROOT)
                baseline.start()
                stack.callback(baseline.stop)
                assert baseline.process is not None
                targets[name] = Target(baseline.url, {}, baseline.process.pid)
            scripts = {name: wrk_script(workdir, name, t.headers) for name, t in targets.items()}
            for name, target in targets.items():
                check_answer(target)
                run_wrk(target, scripts[name], args.connections, args.warmup)
            results = interleaved(
                lambda name: run_wrk(targets[name], scripts[name], args.connections, args.seconds),
                list(targets),
                args.rounds,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    today = datetime.date.today().isoformat()
    print(f"OpsGraph load benchmark, {today}: {{ __typename }} (authenticated), wrk -t1 -c{args.connections}, ", end="")
    print(f"{args.seconds} s per turn, {args.rounds} rounds interleaved")
    for line in environment:
        print(f"  {line}")
    print()
    for line in report(results, args):
        print(line)
    print(f"\ntotal run time: {time.perf_counter() - started:.0f} s; at the end, {load_line()}")


if __name__ == "__main__":
    main()
