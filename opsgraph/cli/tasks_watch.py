"""`opsgraph tasks watch TASK`: follow a task live through the `taskEvents` subscription until it ends.

On a terminal, one progress line is redrawn in place (hosts succeeded / failed / running of all);
otherwise each change is one plain line, for logs and CI. The subscription replays the task's events
from the start, so the counts are right however late the watch begins, and a dropped connection is
resumed after the last event seen. The exit status says how the task ended (see EXIT_STATUS).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from opsgraph.cli.remote import RemoteServer, StreamInterrupted
from opsgraph.cli.tasks import add_connection_options, connect, fetch_task, task_number

EXIT_STATUS = {"SUCCESS": 0, "FAILED": 3, "CANCELLED": 4}
EXIT_OTHER = 5  # ABNORMAL (interrupted by a server crash) or anything unexpected
SUCCEEDED = frozenset({"SUCCESS", "SKIPPED"})
FAILED = frozenset({"FAILED", "ABNORMAL", "CANCELLED"})
RUNNING = frozenset({"RUNNING", "WAITING", "CANCELLING"})
RECONNECTS = 5
BAR_WIDTH = 30
REDRAW_INTERVAL = 0.1

HEADER = """
query($j: Int!) {
  task(jobInstanceId: $j) { id jobInstanceId status steps { hostResults(first: 1) { totalCount } } }
}"""
EVENTS = """
subscription($t: ID!, $after: Int) { taskEvents(taskId: $t, afterSeq: $after) { seq kind payload } }"""
FINAL = "query($j: Int!) { task(jobInstanceId: $j) { status error } }"


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    watch = actions.add_parser(
        "watch",
        help="follow a task live until it ends; the exit status says how it ended",
        epilog="exit status: 0 SUCCESS, 3 FAILED, 4 CANCELLED, 5 any other end (ABNORMAL), "
        "1 an error (server unreachable, token refused, unknown task), 2 a usage error",
    )
    watch.add_argument("task", type=task_number, metavar="TASK")
    watch.add_argument("--logs", action="store_true", help="also print the hosts' output lines")
    add_connection_options(watch)
    watch.set_defaults(run=watch_task)


@dataclass
class Progress:
    """What the events said so far: the task's status and each (step, host) result's status."""

    number: int
    planned_hosts: int
    task_status: str = "PENDING"
    task_error: str = ""
    last_seq: int = 0
    hosts: dict[tuple[int, str], str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return max(self.planned_hosts, len(self.hosts))

    def count(self, statuses: frozenset[str]) -> int:
        return sum(1 for status in self.hosts.values() if status in statuses)

    def apply(self, event: dict[str, Any]) -> None:
        self.last_seq = max(self.last_seq, int(event["seq"]))
        payload = event["payload"] or {}
        if event["kind"] == "TASK_STATUS":
            self.task_status = str(payload.get("status"))
            self.task_error = str(payload.get("error") or "")
        elif event["kind"] == "HOST_STATUS":
            self.hosts[(int(payload.get("stepId") or 0), str(payload.get("ip")))] = str(payload.get("status"))

    def bar(self) -> str:
        ok, failed, running, total = self.count(SUCCEEDED), self.count(FAILED), self.count(RUNNING), self.total
        filled = round(BAR_WIDTH * (ok + failed) / total) if total else 0
        return (
            f"task {self.number} {self.task_status} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{ok + failed}/{total} hosts: {ok} ok, {failed} failed, {running} running"
        )


def describe_event(number: int, event: dict[str, Any], *, logs: bool) -> list[str]:
    """The plain lines an event is worth (none for phases, and for output unless --logs)."""
    payload = event["payload"] or {}
    kind = event["kind"]
    if kind == "TASK_STATUS":
        error = f": {payload['error']}" if payload.get("error") else ""
        return [f"task {number} {payload.get('status')}{error}"]
    if kind == "STEP_STATUS":
        return [f"step {int(payload.get('position') or 0) + 1} {payload.get('status')}"]  # 1-based, as in errors
    if kind == "HOST_STATUS":
        exit_code = "" if payload.get("exitCode") is None else f" exit {payload['exitCode']}"
        failure = f" {payload['failure']}" if payload.get("failure") else ""
        error = f": {payload['error']}" if payload.get("error") else ""
        return [f"{payload.get('ip')} {payload.get('status')}{failure}{exit_code}{error}"]
    if kind == "LOG" and logs:
        marks = {"stderr": "!"}
        return [f"{payload.get('ip')} {marks.get(line['stream'], '|')} {line['text']}" for line in payload["lines"]]
    return []


class Display:
    """A progress line redrawn in place on a terminal; plain lines otherwise."""

    def __init__(self, out: TextIO, *, terminal: bool, logs: bool) -> None:
        self.out = out
        self.terminal = terminal
        self.logs = logs
        self._drawn_at = 0.0

    def show(self, progress: Progress, event: dict[str, Any]) -> None:
        lines = describe_event(progress.number, event, logs=self.logs)
        if not self.terminal:
            for line in lines:
                print(line, file=self.out, flush=True)
            return
        # On the terminal only what needs attention scrolls above the bar: output and failures.
        failed = event["kind"] == "HOST_STATUS" and str((event["payload"] or {}).get("status")) in FAILED
        if event["kind"] == "LOG" or failed:
            self.out.write("\r\x1b[K" + "".join(f"{line}\n" for line in lines))
        now = time.monotonic()
        if lines and (now - self._drawn_at >= REDRAW_INTERVAL or event["kind"] == "TASK_STATUS"):
            self.draw(progress)
            self._drawn_at = now

    def draw(self, progress: Progress) -> None:
        if self.terminal:
            self.out.write("\r\x1b[K" + progress.bar())
            self.out.flush()

    def finish(self, progress: Progress, final: dict[str, Any]) -> None:
        if self.terminal:
            self.draw(progress)
            self.out.write("\n")
        ok, failed = progress.count(SUCCEEDED), progress.count(FAILED)
        error = f": {final['error']}" if final.get("error") else ""
        print(
            f"task {progress.number} {final['status']}: {ok} of {progress.total} hosts succeeded, "
            f"{failed} failed{error}",
            file=self.out,
            flush=True,
        )


def watch_task(args: argparse.Namespace) -> int:
    server = connect(args)
    header = fetch_task(server, args.task, HEADER)
    progress = Progress(args.task, sum(step["hostResults"]["totalCount"] for step in header["steps"]))
    display = Display(sys.stdout, terminal=sys.stdout.isatty(), logs=args.logs)
    display.draw(progress)
    asyncio.run(follow(server, header["id"], progress, display))
    final = fetch_task(server, args.task, FINAL)
    display.finish(progress, final)
    return EXIT_STATUS.get(final["status"], EXIT_OTHER)


async def follow(server: RemoteServer, task_id: str, progress: Progress, display: Display) -> None:
    """Until the server completes the stream (the task ended); a lost connection resumes after the last seq."""
    failures = 0
    while True:
        try:
            async for data in server.subscribe(EVENTS, {"t": task_id, "after": progress.last_seq}):
                event = data["taskEvents"]
                progress.apply(event)
                display.show(progress, event)
                failures = 0
            return
        except StreamInterrupted:
            failures += 1
            if failures > RECONNECTS:
                raise
            await asyncio.sleep(min(0.5 * 2**failures, 5.0))
