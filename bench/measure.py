"""Timing loops, summary statistics, the environment block and the result table."""

from __future__ import annotations

import asyncio
import math
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import metadata

from bench.client import Reply


@dataclass(frozen=True)
class Stats:
    median_ms: float
    p95_ms: float
    runs: int
    sql_count: int | None = None

    @classmethod
    def of(cls, samples: list[float], sql_count: int | None = None) -> Stats:
        ordered = sorted(samples)
        # Nearest-rank p95: with 20 runs it is the 19th fastest, a real observed sample.
        p95 = ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]
        return cls(statistics.median(ordered), p95, len(ordered), sql_count)

    def cell(self) -> str:
        return f"{self.median_ms:8.2f} / {self.p95_ms:8.2f}"


@dataclass(frozen=True)
class Sample:
    elapsed_ms: float
    sql_count: int | None = None


Probe = Callable[[], Sample]  # one timed run of one contender


def http_probe(request: Callable[[], Reply]) -> Probe:
    def probe() -> Sample:
        reply = request()
        return Sample(reply.elapsed_ms, reply.sql_count)

    return probe


def sync_probe(call: Callable[[], object]) -> Probe:
    def probe() -> Sample:
        started = time.perf_counter()
        call()
        return Sample((time.perf_counter() - started) * 1000)

    return probe


def async_probe(runner: asyncio.Runner, call: Callable[[], Awaitable[object]]) -> Probe:
    """Timed inside the coroutine on one long-lived loop: loop start-up is in no sample."""

    async def timed() -> float:
        started = time.perf_counter()
        await call()
        return (time.perf_counter() - started) * 1000

    return lambda: Sample(runner.run(timed()))


def interleave(probes: dict[str, Probe], repeat: int, warmup: int) -> dict[str, Stats]:
    """Run the contenders in turns, not one after another: on a shared machine the load drifts,
    and interleaving lets every contender see the same drift, so their ratio stays meaningful.

    Each round starts with a different contender so none is always first (a warm CPU cache, or
    a just-woken server). Warm-up rounds fill parser/validation caches and SQLite's page cache.
    """
    names = list(probes)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for round_ in range(warmup + repeat):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            sample = probes[name]()
            if round_ >= warmup:
                samples[name].append(sample)
    return {name: _stats(runs) for name, runs in samples.items()}


def _stats(samples: list[Sample]) -> Stats:
    # A SQL count that varied between runs would itself be a finding: report the largest.
    sql = max((s.sql_count for s in samples if s.sql_count is not None), default=None)
    return Stats.of([s.elapsed_ms for s in samples], sql)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def environment_lines() -> list[str]:
    packages = ["strawberry-graphql", "graphql-core", "tortoise-orm", "starlette", "uvicorn", "httpx", "aiosqlite"]
    return [
        f"CPUs: {os.cpu_count()} ({_cpu_model()}); {platform.system()} {platform.release()}",
        f"Python {sys.version.split()[0]} ({platform.python_implementation()}); SQLite {sqlite3.sqlite_version}",
        "packages: " + ", ".join(f"{p} {_version(p)}" for p in packages),
        load_line(),
    ]


def load_line() -> str:
    """Other work on the machine skews every figure; the load average says whether there was any."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass(frozen=True)
class Row:
    figure: str
    ours: Stats | None
    baseline: str
    theirs: Stats | None

    def ratio(self) -> str:
        if self.ours is None or self.theirs is None or self.theirs.median_ms <= 0:
            return ""
        return f"{self.ours.median_ms / self.theirs.median_ms:7.1f}×"


def render_table(rows: list[Row]) -> list[str]:
    """figure | OpsGraph median/p95 | SQL | baseline | its median/p95 | ratio of medians."""
    width = max(len(r.figure) for r in rows)
    base_width = max(len(r.baseline) for r in rows)
    header = (
        f"{'figure':<{width}} | {'OpsGraph ms med / p95':>21} | {'SQL':>4} | "
        f"{'baseline':<{base_width}} | {'baseline ms med / p95':>21} | {'ratio':>8}"
    )
    lines = [header, "-" * len(header)]
    previous = ""
    for row in rows:
        repeat = row.figure == previous  # one figure, several baselines: print its numbers once
        figure = "" if repeat else row.figure
        ours = "" if repeat or row.ours is None else row.ours.cell()
        sql = "" if repeat or row.ours is None or row.ours.sql_count is None else str(row.ours.sql_count)
        theirs = row.theirs.cell() if row.theirs else "n/a"
        lines.append(
            f"{figure:<{width}} | {ours:>21} | {sql:>4} | {row.baseline:<{base_width}} | {theirs:>21} | "
            f"{row.ratio():>8}"
        )
        previous = row.figure
    return lines
