"""Topology and host-search benchmark: OpsGraph over HTTP against graphql-core baselines.

Run from the repository root:
    python -m bench.topology_bench [--hosts 1000] [--search-hosts 10000] [--repeat 20]

Prints figures; asserts nothing about time. bench/README.md says what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import contenders as c
from bench import queries
from bench.baseline import build_schema, search_hosts
from bench.client import HttpClient
from bench.estate import Estate, EstateSpec, build_estate
from bench.measure import Row, Stats, environment_lines, interleave, load_line, render_table
from bench.process import OpsGraphInstance, ServerProcess
from bench.raw_sql import RawHostSearch

TOPOLOGY_BUSINESS = "bench-topology"
SEARCH_BUSINESS = "bench-search"
REPO_ROOT = Path(__file__).resolve().parents[1]

Group = dict[str, Stats]  # contender name → its figure, from one interleaved group of runs


@dataclass
class Report:
    setup: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Built:
    """The estate as built, and the request variables and expected search answer derived from it."""

    topology: Estate
    searched: Estate
    topology_vars: dict[str, Any]
    search_vars: dict[str, Any]
    search_dicts: list[dict[str, Any]]
    expected: dict[str, Any]

    @classmethod
    def of(cls, topology: Estate, searched: Estate) -> Built:
        search_vars = {"input": queries.graphql_search_input(searched)}
        search_dicts = queries.search_rows(searched)
        return cls(
            topology=topology,
            searched=searched,
            topology_vars={"name": topology.name},
            search_vars=search_vars,
            search_dicts=search_dicts,
            expected=search_hosts(search_dicts, search_vars["input"]),  # the answer every contender must give
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=1000, help="hosts in the topology business (10×10 modules)")
    parser.add_argument("--search-hosts", type=int, default=10000, help="hosts in the search business")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per figure, after warm-up")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before each figure")
    parser.add_argument("--profile-server", type=Path, help="after set-up, restart OpsGraph under cProfile, save here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory and print its path")
    return parser.parse_args()


@contextmanager
def timed(report: Report, label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    report.setup.append(f"{label}: {time.perf_counter() - started:.1f} s")


def build(client: HttpClient, report: Report, args: argparse.Namespace) -> Built:
    specs = [
        EstateSpec(TOPOLOGY_BUSINESS, ip_block=1, hosts=args.hosts),
        EstateSpec(SEARCH_BUSINESS, ip_block=2, hosts=args.search_hosts),
    ]
    estates = []
    for spec in specs:
        with timed(report, f"build {spec.name} ({spec.sets}×{spec.modules_per_set} modules, {spec.hosts} hosts)"):
            estate = build_estate(client, spec)
        report.notes.extend(estate.notes)
        report.setup.append(f"  largest addHostsToResourcePool call that succeeded: {estate.host_batch} hosts")
        report.setup.extend(f"  {line}" for line in estate.timings())
        estates.append(estate)
    return Built.of(estates[0], estates[1])


def start_opsgraph(stack: ExitStack, instance: OpsGraphInstance, token: str, report: Report) -> HttpClient:
    with timed(report, "start OpsGraph"):
        url = instance.start()
    stack.callback(instance.stop)
    client = HttpClient(url, {"Authorization": f"Bearer {token}"})
    stack.callback(client.close)
    return client


def start_baseline(stack: ExitStack, workdir: Path, root: dict[str, Any]) -> HttpClient:
    data_file = workdir / "baseline.json"
    data_file.write_text(json.dumps(root))
    argv = [sys.executable, "-m", "bench.baseline_server", "--data", str(data_file)]
    server = ServerProcess(argv, dict(os.environ), workdir / "baseline.log", cwd=REPO_ROOT)
    server.start()
    stack.callback(server.stop)
    client = HttpClient(server.url)
    stack.callback(client.close)
    return client


def topology_answer(client: HttpClient, built: Built, report: Report) -> dict[str, Any]:
    data: dict[str, Any] = client.data(queries.TOPOLOGY_QUERY, built.topology_vars)
    served = queries.host_count(queries.topology_tree(data))
    if served != len(built.topology.hosts):
        report.notes.append(f"MISMATCH topology query served {served} hosts; {len(built.topology.hosts)} were placed")
    return data


def measure(live: c.Contenders, built: Built, report: Report, args: argparse.Namespace) -> dict[str, Group]:
    """One interleaved group per request kind; the REST group only when the route answers."""
    groups = {
        "trivial": interleave(live.graphql_probes(queries.TRIVIAL_QUERY, {}), args.repeat, args.warmup),
        "topology": interleave(
            live.graphql_probes(queries.TOPOLOGY_QUERY, built.topology_vars), args.repeat, args.warmup
        ),
        "search": interleave(live.search_probes(built.search_vars), args.repeat, args.warmup),
    }
    measurable, notes = c.rest_answer(live, built.searched, built.expected)
    report.notes.extend(notes)
    if measurable:
        operation = c.stored_operation(REPO_ROOT)
        if operation is None:
            report.notes.append(f"{queries.BK_SEARCH_OPERATION} not found: REST not compared with its operation")
        probes = live.rest_probes(built.searched, built.search_vars, operation)
        groups["rest"] = interleave(probes, args.repeat, args.warmup)
    return groups


def table_rows(args: argparse.Namespace, built: Built, groups: dict[str, Group]) -> list[Row]:
    """One row per (figure, baseline); the figure's own contender is OpsGraph's GraphQL or REST path."""
    labels = {
        "trivial": ("{ __typename } (per-request floor)", c.OPSGRAPH),
        "topology": (f"topology: 1 business, 100 modules, {args.hosts:,} hosts", c.OPSGRAPH),
        "search": (
            f"searchHosts: {args.search_hosts:,} hosts, {built.expected['count']:,} match, page {queries.SEARCH_PAGE}",
            c.OPSGRAPH,
        ),
        "rest": ("REST cc/search_host (same search)", c.REST),
    }
    rows = []
    for kind, group in groups.items():
        label, own = labels[kind]
        rows += [Row(label, group[own], name, stats) for name, stats in group.items() if name != own]
    return rows


def restart_profiled(instance: OpsGraphInstance, path: Path) -> None:
    """The next start runs under cProfile, so the profile holds only the measured requests."""
    instance.profile_path = path.resolve()


def run(args: argparse.Namespace, workdir: Path) -> Report:
    report = Report()
    instance = OpsGraphInstance(workdir / "opsgraph")
    instance.data_dir.mkdir()
    with timed(report, "migrate, create superuser + app, issue token (CLI)"):
        token = instance.bootstrap()
    with ExitStack() as stack:
        built = build(start_opsgraph(stack, instance, token, report), report, args)
    if args.profile_server:
        restart_profiled(instance, args.profile_server)
    # A fresh server process for the measured part: no heap grown by the build, and a clean profile.
    with ExitStack() as stack:
        # OpsGraph is stopped last (callbacks run in reverse), which is when cProfile writes its file.
        opsgraph = start_opsgraph(stack, instance, token, report)
        topology_data = topology_answer(opsgraph, built, report)
        root = {"businesses": queries.topology_tree(topology_data), "searchHosts": built.search_dicts}
        raw_sql = RawHostSearch(
            instance.database_path,
            built.searched.bk_biz_id,
            queries.search_set_names(built.searched),
            "env",
            queries.EXCLUDED_ENV,
        )
        stack.callback(raw_sql.close)
        runner = stack.enter_context(asyncio.Runner())
        live = c.Contenders(opsgraph, start_baseline(stack, workdir, root), runner, build_schema(), root, raw_sql)
        report.notes.extend(c.check_topology(live, built.topology_vars, topology_data))
        report.notes.extend(c.check_search(live, built.search_vars, built.expected))
        report.rows = table_rows(args, built, measure(live, built, report, args))
    if args.profile_server:
        report.notes.extend(profile_summary(args.profile_server.resolve()))
    return report


def profile_summary(path: Path, limit: int = 15) -> list[str]:
    stream = io.StringIO()
    pstats.Stats(str(path), stream=stream).sort_stats("tottime").print_stats(limit)
    table = [line for line in stream.getvalue().splitlines() if line.strip()]
    # Skip pstats' own preamble (file name, totals, "Ordered by", "List reduced"): keep the table.
    first = next((i for i, line in enumerate(table) if line.lstrip().startswith("ncalls")), 0)
    return [f"server profile: {path} (python -m pstats {path}); top {limit} by own time:", *table[first:]]


def print_report(report: Report, args: argparse.Namespace, environment: list[str], elapsed_s: float) -> None:
    today = datetime.date.today().isoformat()
    print(f"OpsGraph topology benchmark, {today}: repeat={args.repeat}, warm-up={args.warmup}")
    for line in environment:
        print(f"  {line}")
    print("set-up (one run each, informative):")
    for line in report.setup:
        print(f"  {line}")
    print(f"\nms per request, median / p95 over {args.repeat} runs, contenders interleaved round by round;")
    print("SQL = OpsGraph's statements per request (X-SQL-Count); ratio = OpsGraph median / baseline median\n")
    for line in render_table(report.rows):
        print(line)
    if report.notes:
        print("\nnotes:")
        for note in report.notes:
            print(f"  {note}")
    print(f"\ntotal run time: {elapsed_s:.0f} s; at the end, {load_line()}")


def main() -> None:
    args = parse_args()
    environment = environment_lines()  # before we start: the load average then is other people's work
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-bench-"))
    try:
        report = run(args, workdir)
    finally:
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(report, args, environment, time.perf_counter() - started)


if __name__ == "__main__":
    main()
