"""Agent install benchmark: `installAgents` (INSTALL, AGENT, password login) on N loopback sshd hosts,
beside a bare asyncssh loop doing the same SSH steps on the same hosts in the same run.

Run from the repository root, as root (it starts sshd and uses the test suite's login user):
    python -m bench.install_bench [--hosts 100] [--bound 50]

OpsGraph is timed from sending the mutation to the task's final event (taskEvents, by the events'
server-side `at`); per-phase medians come from each host's HOST_PHASE events. At the end every agent
is uninstalled through OpsGraph and the baseline's agents are killed by pid; the run then checks that
no agent started under its install root is left. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import os
import pwd
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.client import HttpClient
from bench.install_baseline import PHASES as BASELINE_PHASES
from bench.install_baseline import BaselineRun, asyncssh_install
from bench.jobs_estate import create_business
from bench.jobs_pool import HostPool, PoolUnavailable, openssh_version, start_hosts
from bench.jobs_run import ENDED, RUN_TIMEOUT_S, OpsGraphRun, SeenEvent, _read, ws_client
from bench.measure import environment_lines, load_line
from bench.process import OpsGraphInstance, ServerProcess, free_port

INSTALL = """
mutation($input: InstallAgentsInput!) {
  installAgents(input: $input) { task { id jobInstanceId status } errors { code field message } }
}"""
OPSGRAPH_PHASES = ("connect", "check_os", "push_files", "write_config", "start", "wait_heartbeat")
HEARTBEAT_S = 1
INSTALL_WAIT_S = 60
AGENT_ROOT_BASE = Path("/tmp")


@dataclass
class InstallInstance(OpsGraphInstance):
    """OpsGraph on a port known before it starts (agents are told it), with the benchmark's settings."""

    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra_env}

    def start(self) -> str:
        argv = [sys.executable, "-m", "opsgraph", "serve", "--log-level", "warning"]
        self.server = ServerProcess(argv, self.env(), self.data_dir / "server.log", port=self.port)
        self.server.start()
        return self.server.url


@dataclass
class Report:
    setup: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    installs: list[OpsGraphRun] = field(default_factory=list)  # one per round
    baselines: list[BaselineRun] = field(default_factory=list)
    uninstalls: list[OpsGraphRun] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)


def progress(message: str) -> None:
    print(f"[install_bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=100, help="loopback hosts to install on")
    parser.add_argument("--bound", type=int, default=50, help="hosts at a time, for OpsGraph and the baseline")
    parser.add_argument("--rounds", type=int, default=3, help="installs per contender, interleaved")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory and print its path")
    args = parser.parse_args()
    if args.hosts < 1 or args.bound < 1 or args.rounds < 1:
        parser.error("--hosts, --bound and --rounds must be at least 1")
    return args


# -- OpsGraph -------------------------------------------------------------------------------------------------


async def _install(url: str, token: str, business_id: str, hosts: list[dict[str, Any]], operation: str) -> OpsGraphRun:
    headers = {"Authorization": f"Bearer {token}"}
    variables = {"input": {"businessId": business_id, "operation": operation, "nodeType": "AGENT", "hosts": hosts}}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=RUN_TIMEOUT_S) as http:
        await http.post("/graphql", json={"query": "{ __typename }"})  # the keep-alive connection is open
        async with ws_client(url, token) as session:
            sent = time.time()
            body = (await http.post("/graphql", json={"query": INSTALL, "variables": variables})).json()
            answered = time.time()
            payload = (body.get("data") or {}).get("installAgents") or {}
            if body.get("errors") or payload.get("errors") or not payload.get("task"):
                raise RuntimeError(f"installAgents refused: {body.get('errors') or payload.get('errors')}")
            task = payload["task"]
            events = await asyncio.wait_for(_read(session, task["id"], 0, time.time), RUN_TIMEOUT_S)
    return OpsGraphRun(len(hosts), sent, answered, task["jobInstanceId"], events, label=f"OpsGraph {operation}")


def install_agents(url: str, token: str, business_id: str, hosts: list[dict[str, Any]], operation: str) -> OpsGraphRun:
    return asyncio.run(_install(url, token, business_id, hosts, operation))


def first_phase_ms(run: OpsGraphRun) -> float | None:
    phases = [e.when for e in run.events if e.kind == "HOST_PHASE"]
    return (min(phases) - run.sent) * 1000 if phases else None


def phase_durations(events: list[SeenEvent]) -> dict[str, list[float]]:
    """phase → seconds per host: from its HOST_PHASE to the host's next phase or its final HOST_STATUS."""
    marks: dict[str, list[tuple[float, str]]] = {}
    for event in events:
        ip = str(event.payload.get("ip", ""))
        if event.kind == "HOST_PHASE":
            marks.setdefault(ip, []).append((event.when, str(event.payload["phase"])))
        elif event.kind == "HOST_STATUS" and event.status in ENDED:
            marks.setdefault(ip, []).append((event.when, ""))
    durations: dict[str, list[float]] = {}
    for seen in marks.values():
        seen.sort()
        for (start, phase), (end, _) in itertools.pairwise(seen):
            if phase:
                durations.setdefault(phase, []).append(end - start)
    return durations


# -- processes left behind ------------------------------------------------------------------------------------


def agent_processes(uid: int) -> dict[int, str]:
    """pid → command line of every `opsgraph_agent.py` process owned by `uid`."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "opsgraph_agent.py" in command:
            found[int(entry.name)] = command
    return found


def kill_baseline_agents(root: Path) -> int:
    """SIGTERM (then SIGKILL) each baseline agent named by its pid file; the number signalled."""
    pids: list[int] = []
    for pid_file in root.glob("*/agent.pid"):
        with suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if str(pid_file.parent) in command:  # never a recycled pid
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.05)
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def cleanup(report: Report, root: Path, uid: int) -> None:
    killed = kill_baseline_agents(root / "baseline")
    report.cleanup.append(f"baseline agents killed by pid: {killed}")
    time.sleep(0.5)
    ours = {pid: cmd for pid, cmd in agent_processes(uid).items() if f"{root}/" in cmd}
    for pid in ours:  # the last resort, by pid; reported, so a failed uninstall never hides
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    report.cleanup.append(f"opsgraph_agent.py processes under {root} left after uninstall + kill: {len(ours)}")
    time.sleep(0.2)
    others = agent_processes(uid)
    report.cleanup.append(
        f"opsgraph_agent.py processes of the test user now: {len(others)}"
        + (" (none of them under this run's root: other sessions')" if others else "")
    )
    shutil.rmtree(root, ignore_errors=True)


# -- the run --------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> Report:
    report = Report()
    progress(f"starting sshd on {args.hosts} loopback addresses")
    started = time.perf_counter()
    try:
        pool: HostPool = start_hosts(workdir / "sshd", args.hosts)
    except PoolUnavailable as exc:
        report.notes.append(f"no run: {exc}")
        return report
    report.setup.append(f"start sshd: {time.perf_counter() - started:.1f} s")
    report.setup.extend(f"  {line}" for line in pool.notes)
    addresses, user = pool.addresses[: args.hosts], pool.user
    if len(addresses) < args.hosts:
        report.notes.append(f"only {len(addresses)} of {args.hosts} hosts could be started")
    uid = pwd.getpwnam(user.name).pw_uid
    root = AGENT_ROOT_BASE / f"opsgraph-agent-bench-{uuid.uuid4().hex[:12]}"
    instance = InstallInstance(workdir / "opsgraph")
    instance.extra_env.update(
        OPSGRAPH_RUNNER_TASK_CONCURRENCY=str(args.bound),
        OPSGRAPH_RUNNER_GLOBAL_CONCURRENCY=str(args.bound),
        OPSGRAPH_AGENT_INSTALL_ROOT=str(root / "opsgraph"),
        OPSGRAPH_AGENT_HEARTBEAT_SECONDS=str(HEARTBEAT_S),
        OPSGRAPH_AGENT_INSTALL_WAIT_SECONDS=str(INSTALL_WAIT_S),
        OPSGRAPH_PUBLIC_URL=instance.url,
    )
    instance.data_dir.mkdir()
    hosts = [{"ip": a, "sshPort": pool.port, "username": user.name, "password": user.password} for a in addresses]
    try:
        started = time.perf_counter()
        token = instance.bootstrap()
        url = instance.start()
        client = HttpClient(url, {"Authorization": f"Bearer {token}"})
        try:
            business_id = create_business(client, "bench-install")
        finally:
            client.close()
        report.setup.append(
            f"migrate, superuser, token, start OpsGraph, business: {time.perf_counter() - started:.1f} s"
        )
        closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: the baseline's agents cost the server nothing

        def ours() -> None:
            """INSTALL (timed), then UNINSTALL: no OpsGraph agent beats while the baseline runs."""
            progress(f"OpsGraph installAgents on {len(hosts)} hosts")
            install = install_agents(url, token, business_id, hosts, "INSTALL")
            report.installs.append(install)
            if install.status != "SUCCESS":
                report.notes.append(f"OpsGraph install: task {install.status}, {install.ok} hosts OK")
            progress("uninstalling through OpsGraph")
            report.uninstalls.append(install_agents(url, token, business_id, hosts, "UNINSTALL"))

        def theirs() -> None:
            """The bare loop (timed), then its agents killed and its files removed before anything else."""
            progress(f"bare asyncssh loop on {len(hosts)} hosts")
            baseline = asyncssh_install(
                addresses, pool.port, (user.name, user.password), root / "baseline", closed, args.bound, HEARTBEAT_S
            )
            report.baselines.append(baseline)
            report.notes.extend(f"baseline: {failure}" for failure in baseline.failures())
            report.cleanup.append(
                f"round {len(report.baselines)}: baseline agents killed by pid: "
                f"{kill_baseline_agents(root / 'baseline')}"
            )
            shutil.rmtree(root / "baseline", ignore_errors=True)  # the next round waits for fresh pid files

        contenders = [ours, theirs]
        try:
            for round_ in range(args.rounds):
                shift = round_ % len(contenders)
                for contender in contenders[shift:] + contenders[:shift]:
                    contender()
        except (RuntimeError, httpx.HTTPError) as exc:
            report.notes.append(f"stopped early: {exc}")
            with suppress(RuntimeError, httpx.HTTPError):
                report.uninstalls.append(install_agents(url, token, business_id, hosts, "UNINSTALL"))
    finally:
        instance.stop()
        cleanup(report, root, uid)
        pool.stop()
    return report


# -- the report -----------------------------------------------------------------------------------------------


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f}" if values else "n/a"


def _spread(values: list[float], fmt: str) -> str:
    """median (min–max) over the rounds."""
    if not values:
        return "n/a"
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def table(installs: list[OpsGraphRun], baselines: list[BaselineRun]) -> list[str]:
    header = (
        f"{'run':<24} | {'wall s':>19} | {'hosts/s':>19} | {'ok (worst)':>10} | "
        "OpsGraph ÷ this (hosts/s), round by round"
    )
    ratios = [a.hosts_per_s / b.hosts_per_s for a, b in zip(installs, baselines, strict=False) if b.hosts_per_s]
    lines = [header, "-" * len(header)]
    for runs, cell in ((installs, ""), (baselines, f"{_spread(ratios, '.2f')}×")):
        label = runs[0].label
        ok = f"{min(r.ok for r in runs)}/{runs[0].hosts}"
        lines.append(
            f"{label:<24} | {_spread([r.wall_s for r in runs], '.2f'):>19} | "
            f"{_spread([r.hosts_per_s for r in runs], '.1f'):>19} | {ok:>10} | {cell}"
        )
    return lines


def phase_table(installs: list[OpsGraphRun], baselines: list[BaselineRun]) -> list[str]:
    ours: dict[str, list[float]] = {}
    for install in installs:
        for phase, seconds in phase_durations(install.events).items():
            ours.setdefault(phase, []).extend(seconds)
    theirs: dict[str, list[float]] = {}
    for baseline in baselines:
        for timing in baseline.timings:
            for phase, took in timing.phases.items():
                theirs.setdefault(phase, []).append(took)
    header = f"{'phase':<28} | {'OpsGraph ms':>11} | {'bare asyncssh ms':>16}"
    lines = [header, "-" * len(header)]
    for mine, other in zip(OPSGRAPH_PHASES, BASELINE_PHASES, strict=True):
        name = mine if mine == other else f"{mine} / {other}"
        lines.append(f"{name:<28} | {_median_ms(ours.get(mine, [])):>11} | {_median_ms(theirs.get(other, [])):>16}")
    return lines


def print_report(report: Report, args: argparse.Namespace, environment: list[str], elapsed_s: float) -> None:
    today = datetime.date.today().isoformat()
    print(
        f"OpsGraph agent install benchmark, {today}: --hosts {args.hosts} --bound {args.bound} --rounds {args.rounds}"
    )
    for line in [*environment, f"{openssh_version()}; heartbeat every {HEARTBEAT_S} s"]:
        print(f"  {line}")
    print("set-up:")
    for line in report.setup:
        print(f"  {line}")
    installs, baselines = report.installs, report.baselines
    if installs and baselines:
        print(
            f"\nINSTALL on N hosts, at most {args.bound} at a time; {args.rounds} rounds, contenders interleaved (each"
        )
        print("round starts with a different one); each contender's agents are stopped before the other runs")
        print("(OpsGraph: UNINSTALL; baseline: killed by pid). median (min–max) over the rounds. wall: from sending")
        print("installAgents to the task's final event (OpsGraph: ends at each agent's first heartbeat), or the")
        print("whole loop (baseline: ends when each agent's pid file exists); ratio = OpsGraph ÷ baseline hosts/s\n")
        for line in table(installs, baselines):
            print(line)
        responses = _spread([i.response_ms for i in installs], ",.0f")
        firsts = _spread([f for i in installs if (f := first_phase_ms(i)) is not None], ",.0f")
        print(f"\nOpsGraph: installAgents answered in {responses} ms; first HOST_PHASE {firsts} ms after sending")
        print("\nper-host phase medians over every round, ms (OpsGraph: HOST_PHASE `at` to the next phase / final")
        print("HOST_STATUS)\n")
        for line in phase_table(installs, baselines):
            print(line)
    for number, un in enumerate(report.uninstalls, 1):
        print(f"UNINSTALL {number} through OpsGraph: task {un.status}, {un.ok}/{un.hosts} hosts, {un.wall_s:.2f} s")
    print("cleanup:")
    for line in report.cleanup:
        print(f"  {line}")
    if report.notes:
        print("\nnotes:")
        for note in report.notes:
            print(f"  {note}")
    print(f"\ntotal run time: {elapsed_s:.0f} s; at the end, {load_line()}")


def main() -> None:
    args = parse_args()
    env_lines = environment_lines()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-install-bench-"))
    try:
        report = run(args, workdir)
    finally:
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(report, args, env_lines, time.perf_counter() - started)


if __name__ == "__main__":
    main()
