"""Jobs benchmark: `echo ok` over SSH on N loopback hosts, OpsGraph beside a bare asyncssh loop and
ansible-core on the same hosts in the same run, and the time to accept a 10,000-host task.

Run from the repository root, as root (it starts sshd and uses the test suite's login user):
    pip install -e '.[bench]'
    python -m bench.jobs_bench [--hosts 200,1000] [--bound 100] [--accept 10000]

Prints figures; asserts nothing about time. bench/README.md says what each figure means.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import asyncssh
import httpx

from bench.client import HttpClient
from bench.jobs_accept import POLL_INTERVAL_S, AcceptRun, accept_and_cancel
from bench.jobs_baselines import Ansible, EchoRun, ansible_echo, asyncssh_echo, find_ansible
from bench.jobs_cpu import Costed, children_cpu, costed, own_cpu, process_cpu
from bench.jobs_estate import JobsEstate, accept_estate, ssh_estate
from bench.jobs_pool import HostPool, PoolUnavailable, openssh_version, start_hosts
from bench.jobs_run import OpsGraphRun, opsgraph_echo
from bench.measure import environment_lines, load_line
from bench.process import OpsGraphInstance
from bench.topology_bench import profile_summary

OPSGRAPH, BARE, ANSIBLE = "OpsGraph runScript", "bare asyncssh loop", "ansible -m raw"
WARMUP_HOSTS = 16  # one sshd's worth: the first timed run should not pay for cold sshd binaries and caches
MAX_ACCEPT = 65_000  # 10.250.x.y addresses


@dataclass
class JobsInstance(OpsGraphInstance):
    """OpsGraph with the runner's bounds (and the SSH connect timeout) set for this benchmark."""

    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra_env}


@dataclass
class Api:
    """Where the running OpsGraph answers, and the superuser's token."""

    url: str
    token: str
    pid: int  # the server process: its CPU time is OpsGraph's cost

    def client(self) -> HttpClient:
        return HttpClient(self.url, {"Authorization": f"Bearer {self.token}"})


@dataclass
class SizeRun:
    """Every round's run of every contender on one host count (round k of each contender pairs up)."""

    hosts: int
    ours: list[Costed[OpsGraphRun]] = field(default_factory=list)
    baselines: dict[str, list[Costed[EchoRun]]] = field(default_factory=dict)


@dataclass
class Report:
    setup: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sizes: list[SizeRun] = field(default_factory=list)
    accept: AcceptRun | None = None
    ansible: str = ""  # its version, or why it did not run


def host_counts(text: str) -> list[int]:
    counts = sorted({int(part) for part in text.split(",") if part.strip()})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("--hosts takes positive counts separated by commas, e.g. 200,1000")
    return counts


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=host_counts, default=[200, 1000], help="host counts to run on, e.g. 200,1000")
    parser.add_argument("--bound", type=int, default=100, help="hosts at a time, for OpsGraph and both baselines")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each contender per host count, interleaved")
    parser.add_argument("--accept", type=int, default=10_000, help="hosts of the task whose acceptance is timed")
    parser.add_argument("--connect-timeout", type=int, default=30, help="SSH connect timeout (s), for all three")
    parser.add_argument("--no-ansible", action="store_true", help="skip the ansible baseline (e.g. when profiling)")
    parser.add_argument("--profile-server", type=Path, help="run OpsGraph's SSH part under cProfile, save here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory and print its path")
    args = parser.parse_args()
    if not 1 <= args.accept <= MAX_ACCEPT:
        parser.error(f"--accept must be between 1 and {MAX_ACCEPT}")
    return args


def progress(message: str) -> None:
    """On stderr, so stdout holds only the report."""
    print(f"[jobs_bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def timed(report: Report, label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    report.setup.append(f"{label}: {time.perf_counter() - started:.1f} s")


def usable_sizes(report: Report, wanted: list[int], available: int) -> list[int]:
    sizes = sorted({min(n, available) for n in wanted})
    if available < wanted[-1]:
        report.notes.append(f"only {available} sshd hosts could be started: ran on {sizes} instead of {wanted}")
    return sizes


def run_size(
    report: Report,
    api: Api,
    pool: HostPool,
    estate: JobsEstate,
    ansible: Ansible | None,
    size: int,
    args: argparse.Namespace,
) -> SizeRun:
    """`--rounds` rounds; each runs every contender once, starting with a different one each round (on a
    shared machine the load drifts: every contender sees the same drift). Each run starts once the
    previous run's connections are closed and reaped."""
    addresses, workdir, bound, timeout = estate.addresses[:size], pool.pool.workdir, args.bound, args.connect_timeout
    contenders: dict[str, Callable[[], Costed[Any]]] = {
        OPSGRAPH: lambda: costed(
            pool,
            lambda: process_cpu(api.pid),
            lambda: opsgraph_echo(api.url, api.token, estate.business_id, estate.host_ids[:size]),
        ),
        BARE: lambda: costed(pool, own_cpu, lambda: asyncssh_echo(pool, addresses, bound, timeout)),
    }
    if ansible is not None:
        work = partial(ansible_echo, ansible, workdir, pool, addresses, bound, timeout)
        contenders[ANSIBLE] = lambda: costed(pool, children_cpu, work)
    runs = SizeRun(size)
    names = list(contenders)
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            progress(f"{size} hosts, round {round_ + 1}/{args.rounds}: {name}")
            done = contenders[name]()
            if name == OPSGRAPH:
                runs.ours.append(done)
            else:
                runs.baselines.setdefault(name, []).append(done)
    for label, baseline_runs in runs.baselines.items():
        report.notes.extend(f"{label}, {size} hosts: {f}" for run in baseline_runs for f in run.result.failures)
    for run in runs.ours:
        if run.result.status != "SUCCESS" or run.result.ok != size:
            report.notes.append(f"OpsGraph, {size} hosts: task {run.result.status}, {run.result.ok} hosts SUCCESS")
    return runs


def accept_part(
    report: Report, api: Api, instance: JobsInstance, credentials: tuple[str, str], args: argparse.Namespace
) -> None:
    client = api.client()
    try:
        progress(f"registering {args.accept:,} hosts")
        estate = accept_estate(client, args.accept, *credentials)
        report.setup.extend(estate.timings)
        report.notes.extend(estate.notes)
    finally:
        client.close()
    # Both bounds at 1: at most one unreachable 10.x host is tried before the cancel lands.
    instance.stop()
    instance.profile_path = None  # a profile covers the SSH runs only
    instance.extra_env.update(OPSGRAPH_RUNNER_TASK_CONCURRENCY="1", OPSGRAPH_RUNNER_GLOBAL_CONCURRENCY="1")
    with timed(report, "restart OpsGraph with both runner bounds = 1"):
        api.url, api.pid = serve(instance)
    client = api.client()
    try:
        progress(f"accepting a {args.accept:,}-host task, then cancelling it")
        report.accept = accept_and_cancel(client, estate)
    finally:
        client.close()


def ssh_part(report: Report, api: Api, pool: HostPool, args: argparse.Namespace) -> None:
    client = api.client()
    try:
        with timed(report, "estate"):
            estate = ssh_estate(client, pool.addresses, pool.port, pool.user.name, pool.user.private_key)
        report.setup.extend(f"  {line}" for line in estate.timings)
        report.notes.extend(estate.notes)
    finally:
        client.close()
    found = find_ansible() if not args.no_ansible else "skipped: --no-ansible"
    ansible = found if isinstance(found, Ansible) else None
    report.ansible = found.version if isinstance(found, Ansible) else f"ansible: not available ({found})"
    warm = asyncssh_echo(pool, pool.addresses[:WARMUP_HOSTS], args.bound, args.connect_timeout)
    report.setup.append(f"untimed warm-up: bare asyncssh on {warm.hosts} hosts, {warm.ok} ok")
    for size in usable_sizes(report, args.hosts, len(pool.addresses)):
        report.sizes.append(run_size(report, api, pool, estate, ansible, size, args))


def serve(instance: JobsInstance) -> tuple[str, int]:
    """Start OpsGraph; its URL and process id."""
    url = instance.start()
    assert instance.server is not None
    assert instance.server.process is not None
    return url, instance.server.process.pid


def start_pool(report: Report, workdir: Path, wanted: int) -> HostPool | None:
    progress(f"starting sshd on {wanted} loopback addresses")
    try:
        with timed(report, f"start sshd for {wanted} addresses"):
            pool = start_hosts(workdir / "sshd", wanted)
    except PoolUnavailable as exc:
        report.notes.append(f"no SSH runs: {exc}")
        return None
    report.setup.extend(f"  {line}" for line in pool.notes)
    return pool


def fallback_credentials() -> tuple[str, str]:
    """Without sshd the accept part still needs an account; its key is never used to log in."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    return "bench", key.export_private_key("openssh").decode()


def run(args: argparse.Namespace, workdir: Path) -> Report:
    report = Report()
    pool = start_pool(report, workdir, args.hosts[-1])
    bound, timeout = str(args.bound), str(args.connect_timeout)
    instance = JobsInstance(workdir / "opsgraph", profile_path=args.profile_server)
    instance.extra_env.update(
        OPSGRAPH_RUNNER_TASK_CONCURRENCY=bound,
        OPSGRAPH_RUNNER_GLOBAL_CONCURRENCY=bound,
        OPSGRAPH_SSH_CONNECT_TIMEOUT=timeout,
    )
    instance.data_dir.mkdir()
    try:
        with timed(report, "migrate, create superuser + app, issue token, start OpsGraph"):
            token = instance.bootstrap()
            url, pid = serve(instance)
            api = Api(url, token, pid)
        credentials = fallback_credentials()
        if pool is not None:
            ssh_part(report, api, pool, args)
            credentials = (pool.user.name, pool.user.private_key)
            pool.stop()  # the accept part needs no sshd, and the machine gets quieter
            pool = None
        try:
            accept_part(report, api, instance, credentials, args)
        except (RuntimeError, httpx.HTTPError) as exc:  # keep what was measured: print it with the reason
            report.notes.append(f"accept part not measured: {str(exc).strip()[-600:]}")
    finally:
        instance.stop()
        if pool is not None:
            pool.stop()
    if args.profile_server and args.profile_server.exists():
        report.notes.extend(profile_summary(args.profile_server.resolve()))
    return report


# -- the report ---------------------------------------------------------------------------------------------


def _spread(values: list[float], fmt: str) -> str:
    """median (min–max) over the rounds."""
    if not values:
        return "n/a"
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _ms_spread(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return _spread(known, ",.0f") if known else "n/a"


class Fanout(Protocol):
    """What every row of the throughput table shows, OpsGraph or baseline."""

    @property
    def label(self) -> str: ...
    @property
    def hosts(self) -> int: ...
    @property
    def wall_s(self) -> float: ...
    @property
    def ok(self) -> int: ...
    @property
    def hosts_per_s(self) -> float: ...


def _throughput_row(first_cell: str, runs: list[Costed[Any]], ratio: str) -> str:
    fanouts: list[Fanout] = [run.result for run in runs]
    ok = f"{min(f.ok for f in fanouts)}/{fanouts[0].hosts}"
    return (
        f"{first_cell:>5} | {fanouts[0].label:<22} | {_spread([f.wall_s for f in fanouts], '.2f'):>19} | "
        f"{_spread([f.hosts_per_s for f in fanouts], '.1f'):>19} | {ok:>11} | "
        f"{_spread([r.tool_cpu_s for r in runs], '.1f'):>16} | {_spread([r.sshd_cpu_s for r in runs], '.1f'):>16} | "
        f"{ratio}"
    )


def throughput_table(sizes: list[SizeRun]) -> list[str]:
    header = (
        f"{'hosts':>5} | {'run':<22} | {'wall s':>19} | {'hosts/s':>19} | {'ok (worst)':>11} | "
        f"{'tool CPU s':>16} | {'sshd CPU s':>16} | OpsGraph ÷ this (hosts/s), round by round"
    )
    lines = [header, "-" * len(header)]
    for size in sizes:
        lines.append(_throughput_row(str(size.hosts), size.ours, ""))
        for runs in size.baselines.values():
            ratios = [
                ours.result.hosts_per_s / theirs.result.hosts_per_s
                for ours, theirs in zip(size.ours, runs, strict=False)
                if theirs.result.hosts_per_s > 0
            ]
            lines.append(_throughput_row("", runs, f"{_spread(ratios, '.2f')}×"))
    return lines


def detail_table(sizes: list[SizeRun]) -> list[str]:
    header = (
        f"{'hosts':>5} | {'runScript answer':>16} | {'→ first event, at':>17} | {'→ first event, received':>23} | "
        f"{'last host → end, at':>19} | {'last host → end, received':>25} | {'end: at → received':>18}"
    )
    lines = [header, "-" * len(header)]
    for size in sizes:
        ours = [run.result for run in size.ours]
        lines.append(
            f"{size.hosts:>5} | {_ms_spread([r.response_ms for r in ours]):>16} | "
            f"{_ms_spread([r.first_event_ms() for r in ours]):>17} | "
            f"{_ms_spread([r.first_event_received_ms() for r in ours]):>23} | "
            f"{_ms_spread([r.tail_ms() for r in ours]):>19} | {_ms_spread([r.tail_received_ms() for r in ours]):>25} | "
            f"{_ms_spread([r.end_lag_ms() for r in ours]):>18}"
        )
        last = ours[-1]
        untimed = f", {last.untimed()} without `at`" if last.untimed() else ""
        lines.append(f"{'':>5}   events received (last round): {len(last.events):,}{untimed}: {last.kinds()}")
    return lines


def accept_lines(accept: AcceptRun) -> list[str]:
    reply = accept.accepted
    rows = f" ({reply.sql_rows:,} rows: bulk inserts count each row)" if reply.sql_rows is not None else ""
    sql = f", {reply.sql_count:,} SQL statements{rows}" if reply.sql_count is not None else ""
    settled = (
        f"{accept.settled_s:.1f} s (polled every {POLL_INTERVAL_S} s)"
        if accept.settled_s is not None
        else f"not ended after the wait; last status {accept.final_status}"
    )
    lines = [
        f"runScript on {accept.hosts:,} host ids, send → response: {accept.accepted.elapsed_ms / 1000:.2f} s{sql}; "
        f"the task was {accept.status_on_accept}",
        f"cancelTask send → response: {accept.cancelled.elapsed_ms:,.0f} ms"
        + (f" ({accept.cancel_error})" if accept.cancel_error else ""),
        f"cancelTask sent → task {accept.final_status}: {settled}",
    ]
    return lines


def tools_line(ansible: str) -> str:
    """The SSH side's versions: our client library, the subscription client, sshd and ansible."""
    packages = ", ".join(f"{p} {_version(p)}" for p in ("asyncssh", "gql", "websockets"))
    return f"{packages}; {openssh_version()}; {ansible}"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def print_report(report: Report, args: argparse.Namespace, environment: list[str], elapsed_s: float) -> None:
    today = datetime.date.today().isoformat()
    counts = ",".join(str(n) for n in args.hosts)
    print(
        f"OpsGraph jobs benchmark, {today}: --hosts {counts} --bound {args.bound} --rounds {args.rounds} "
        f"--accept {args.accept}"
    )
    for line in environment:
        print(f"  {line}")
    print("set-up (one run each, informative):")
    for line in report.setup:
        print(f"  {line}")
    if report.sizes:
        print(f"\n`echo ok` on N hosts, at most {args.bound} at a time, {args.rounds} rounds, contenders interleaved")
        print("(each round starts with a different one); median (min–max) over the rounds. wall: from sending")
        print("runScript to the task's final event (OpsGraph), or the whole loop / `ansible` process (baselines);")
        print("ratio = OpsGraph hosts/s ÷ the baseline's hosts/s in the same round (below 1: OpsGraph is slower)\n")
        for line in throughput_table(report.sizes):
            print(line)
        print("\nOpsGraph per run, ms, median (min–max): `at` is stamped when an event is queued, before its")
        print("commit; `received` is when the taskEvents client got it (after the commit and the delivery).")
        print("Both are from sending runScript (first event) or from the last host's final HOST_STATUS.\n")
        for line in detail_table(report.sizes):
            print(line)
    if report.accept is not None:
        print(f"\naccepting a {report.accept.hosts:,}-host task (bk-job: 30–40 s); runner bounds = 1 for this part")
        for line in accept_lines(report.accept):
            print(f"  {line}")
    if report.notes:
        print("\nnotes:")
        for note in report.notes:
            print(f"  {note}")
    print(f"\ntotal run time: {elapsed_s:.0f} s; at the end, {load_line()}")


def main() -> None:
    args = parse_args()
    env_lines = environment_lines()  # before we start: the load average then is other people's work
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-jobs-bench-"))
    try:
        report = run(args, workdir)
    finally:
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(report, args, [*env_lines, tools_line(report.ansible)], time.perf_counter() - started)


if __name__ == "__main__":
    main()
