"""Subscriptions benchmark: N `taskEvents` subscribers on a live job, OpsGraph beside a minimal Starlette
graphql-transport-ws broadcaster of the same payloads, in the same run, rounds interleaved.

Run from the repository root, as root (it starts sshd and uses the test suite's login user):
    python -m bench.subscriptions_bench [--subscribers 200,1000] [--rounds 2] [--hosts 4]

Prints figures; asserts nothing about time. bench/README.md says what each figure means.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bench.client import HttpClient
from bench.jobs_estate import ssh_estate
from bench.jobs_pool import PoolUnavailable, start_hosts
from bench.measure import environment_lines, load_line
from bench.process import OpsGraphInstance, ServerProcess
from bench.subscriptions_runs import (
    REPO_ROOT,
    Contender,
    Job,
    Recorded,
    RunResult,
    baseline_run,
    opsgraph_run,
    raise_open_files_limit,
)

OPSGRAPH = "OpsGraph taskEvents"
BASELINE = "Starlette broadcast"


@dataclass
class Report:
    setup: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs: dict[tuple[int, str], list[RunResult]] = field(default_factory=dict)


def counts(text: str) -> list[int]:
    values = sorted({int(part) for part in text.split(",") if part.strip()})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("give positive counts separated by commas, e.g. 200,1000")
    return values


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=counts, default=[200, 1000], help="subscriber counts, e.g. 200,1000")
    parser.add_argument("--rounds", type=int, default=2, help="runs per contender and count, interleaved")
    parser.add_argument("--hosts", type=int, default=4, help="hosts of the live job (loopback sshd)")
    parser.add_argument("--lines", type=int, default=25, help="lines each host prints after go")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between two lines")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the subscribers are spread on")
    parser.add_argument("--profile-server", type=Path, help="run OpsGraph under cProfile, save its stats here")
    return parser.parse_args()


def progress(message: str) -> None:
    print(f"[subscriptions_bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, workdir: Path) -> Report:
    report = Report()
    raise_open_files_limit()
    with ExitStack() as stack:
        started = time.perf_counter()
        pool = start_hosts(workdir / "sshd", args.hosts)
        stack.callback(pool.stop)
        report.setup.append(f"sshd for {len(pool.addresses)} hosts: {time.perf_counter() - started:.1f} s")
        instance = OpsGraphInstance(workdir / "opsgraph", profile_path=args.profile_server)
        instance.data_dir.mkdir()
        token = instance.bootstrap()
        url = instance.start()
        stack.callback(instance.stop)
        assert instance.server is not None
        assert instance.server.process is not None
        ours = Contender(OPSGRAPH, url, instance.server.process.pid, token)
        client = HttpClient(url, {"Authorization": f"Bearer {token}"})
        stack.callback(client.close)
        estate = ssh_estate(client, pool.addresses, pool.port, pool.user.name, pool.user.private_key)
        job = Job(estate.business_id, estate.host_ids, args.lines, args.interval)
        argv = [sys.executable, "-m", "bench.subscriptions_baseline"]
        baseline_server = ServerProcess(argv, dict(os.environ), workdir / "baseline.log", cwd=REPO_ROOT)
        baseline_server.start()
        stack.callback(baseline_server.stop)
        assert baseline_server.process is not None
        theirs = Contender(BASELINE, baseline_server.url, baseline_server.process.pid)
        progress("warm-up: OpsGraph with 1 subscriber, recording the events for the baseline")
        warm, go_time = opsgraph_run(ours, job, 1, 1, workdir, record=True)
        report.setup.append(
            f"warm-up (1 subscriber): {warm.live_events} live events, job + delivery CPU "
            f"{1000 * warm.cpu_s / max(warm.live_events, 1):.2f} ms per event; {', '.join(warm.failures) or 'ok'}"
        )
        script: Recorded = warm.recorded
        for size in args.subscribers:
            contenders: dict[str, Callable[[], RunResult]] = {
                OPSGRAPH: partial(_ours, ours, job, size, args.client_processes, workdir),
                BASELINE: partial(baseline_run, theirs, script, go_time, size, args.client_processes, workdir),
            }
            names = list(contenders)
            for round_ in range(args.rounds):
                shift = round_ % len(names)
                for name in names[shift:] + names[:shift]:
                    progress(f"{size} subscribers, round {round_ + 1}: {name}")
                    report.runs.setdefault((size, name), []).append(contenders[name]())
    return report


def _ours(contender: Contender, job: Job, size: int, processes: int, workdir: Path) -> RunResult:
    return opsgraph_run(contender, job, size, processes, workdir)[0]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _spread(values: list[float], fmt: str) -> str:
    return f"{format(_median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def render(report: Report, args: argparse.Namespace) -> list[str]:
    header = (
        f"{'subs':>5} | {'contender':<20} | {'attach s':>18} | {'attach CPU ms/sub':>18} | "
        f"{'lag p50 ms':>20} | {'lag p99 ms':>20} | "
        f"{'CPU µs/event/subscriber':>26} | events | checks"
    )
    lines = [header, "-" * len(header)]
    for size in args.subscribers:
        for name in (OPSGRAPH, BASELINE):
            runs = report.runs.get((size, name), [])
            if not runs:
                continue
            failures = sorted({f for r in runs for f in r.failures})
            lines.append(
                f"{size:>5} | {name:<20} | {_spread([r.attach_s for r in runs], '.2f'):>18} | "
                f"{_spread([r.attach_cpu_ms_per_subscriber for r in runs], '.2f'):>18} | "
                f"{_spread([r.lag(0.5) for r in runs], '.0f'):>20} | "
                f"{_spread([r.lag(0.99) for r in runs], '.0f'):>20} | "
                f"{_spread([r.cpu_us_per_delivery for r in runs], '.1f'):>26} | {runs[0].live_events:>6} | "
                f"{'; '.join(failures) or 'no drop, duplicate or reorder'}"
            )
        ours, theirs = report.runs.get((size, OPSGRAPH), []), report.runs.get((size, BASELINE), [])
        if ours and theirs:
            pairs = list(zip(ours, theirs, strict=False))
            lines.append(
                f"{'':>5} | OpsGraph ÷ baseline, round by round: attach "
                f"{_spread([a.attach_s / b.attach_s for a, b in pairs], '.1f')}× (server CPU "
                f"{_spread([a.attach_cpu_s / b.attach_cpu_s for a, b in pairs], '.1f')}×), lag p99 "
                f"{_spread([a.lag(0.99) / b.lag(0.99) for a, b in pairs], '.1f')}×, CPU per delivery "
                f"{_spread([a.cpu_us_per_delivery / b.cpu_us_per_delivery for a, b in pairs], '.1f')}×"
            )
    return lines


def main() -> None:
    args = parse_args()
    environment = environment_lines()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-subscriptions-"))
    try:
        report = run(args, workdir)
    except PoolUnavailable as exc:
        sys.exit(f"no live job without sshd: {exc}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    today = datetime.date.today().isoformat()
    print(f"OpsGraph subscriptions benchmark, {today}: --subscribers {args.subscribers} --rounds {args.rounds}")
    print(f"  live job: {args.hosts} hosts × {args.lines} lines every {args.interval} s after go")
    for line in environment:
        print(f"  {line}")
    print("set-up:")
    for line in report.setup:
        print(f"  {line}")
    print("\nmedian (range) over the rounds; lag = received − the event's own `at`, live events only;")
    print("CPU = the server process's CPU time over the live part ÷ (live events × subscribers)\n")
    for line in render(report, args):
        print(line)
    for note in report.notes:
        print(f"note: {note}")
    print(f"\ntotal run time: {time.perf_counter() - started:.0f} s; at the end, {load_line()}")


if __name__ == "__main__":
    main()
