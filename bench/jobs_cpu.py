"""CPU seconds a run cost, per side. On 2 cores shared by the client, the server and every sshd (and
whatever else runs on the machine), wall time alone does not say who paid for what; CPU time is
also far less sensitive to other load than wall time.

- the tool: the bare asyncssh loop runs in this process (RUSAGE_SELF); ansible and its ssh clients
  are reaped children (RUSAGE_CHILDREN); OpsGraph is its server process (/proc/<pid>/stat);
- the hosts: each sshd listener accumulates the CPU of the per-connection children it reaped
  (cutime/cstime), so the sum over the pool is what the targets spent, commands included.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from bench.jobs_pool import HostPool, settle

_TICKS = os.sysconf("SC_CLK_TCK")
Result = TypeVar("Result", covariant=True)  # a Costed[EchoRun] is a Costed[Fanout]


def process_cpu(pid: int, *, reaped_children: bool = False) -> float:
    """utime + stime (+ cutime + cstime) of `pid`, in seconds; 0 when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])  # stat fields 14–17
    return (utime + stime + (cutime + cstime if reaped_children else 0)) / _TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sshd_cpu(pool: HostPool) -> float:
    return sum(
        process_cpu(server.process.pid, reaped_children=True)
        for server in pool.pool.servers
        if server.process is not None
    )


@dataclass(frozen=True)
class Costed(Generic[Result]):
    result: Result
    tool_cpu_s: float
    sshd_cpu_s: float


def costed(pool: HostPool, tool_cpu: Callable[[], float], work: Callable[[], Result]) -> Costed[Result]:
    """Run `work` between two quiet points: no connection of an earlier run left, and (after) every
    connection of this one closed and reaped, so its sshd CPU is all counted."""
    settle(pool)
    tool_before, sshd_before = tool_cpu(), sshd_cpu(pool)
    result = work()
    settle(pool)
    return Costed(result, tool_cpu() - tool_before, sshd_cpu(pool) - sshd_before)
