"""`opsgraph tasks list | show | cancel | watch`: follow and stop work without writing GraphQL.

The running server owns the executors, so these commands are clients of its GraphQL API: `--url`
(env OPSGRAPH_URL) and a token from `--token`, env OPSGRAPH_TOKEN, or `--user U` (issued here from the
server's database and secret key, like `admin issue-token`). TASK is the number lists show (the
bk-job job_instance_id) or the task's global id.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from opsgraph.cli.common import add_json_flag, render_fields, render_json, render_table, render_time
from opsgraph.cli.remote import RemoteError, RemoteServer
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import decode_global_id, encode_global_id
from opsgraph.models.tasks import TaskKind, TaskStatus

DEFAULT_URL = "http://127.0.0.1:8000"
STATUSES = tuple(status.value for status in TaskStatus)
KINDS = tuple(kind.value for kind in TaskKind)
FAILED_HOST_STATUSES = ("FAILED", "ABNORMAL")

LIST = """
query($first: Int!, $filter: TaskFilter) {
  tasks(first: $first, filter: $filter) {
    totalCount
    nodes { jobInstanceId kind status name creator bkBizId createdAt startedAt finishedAt }
  }
}"""
_HOST_FIELDS = "ip bkCloudId exitCode failure error"
# One count per status, and the hosts of the failed ones, in one request however many hosts there are.
_STATUS_COUNTS = " ".join(f"{s.lower()}: hostResults(first: 1, status: {s}) {{ totalCount }}" for s in STATUSES)
_FAILED_HOSTS = " ".join(
    f"{s.lower()}Hosts: hostResults(first: $failures, status: {s}) {{ nodes {{ {_HOST_FIELDS} }} }}"
    for s in FAILED_HOST_STATUSES
)
SHOW = f"""
query($j: Int!, $failures: Int!) {{
  task(jobInstanceId: $j) {{
    id jobInstanceId kind status name creator error bkBizId createdAt startedAt finishedAt lastSeq
    steps {{
      id position kind name status startedAt finishedAt
      all: hostResults(first: 1) {{ totalCount }}
      {_STATUS_COUNTS}
      {_FAILED_HOSTS}
    }}
  }}
}}"""
CANCEL = """
mutation($t: ID!) {
  cancelTask(input: {taskId: $t}) { task { jobInstanceId status } errors { code field message } }
}"""


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("OPSGRAPH_URL") or DEFAULT_URL,
        help=f"the server (env OPSGRAPH_URL; default {DEFAULT_URL})",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--token", help="a login token (visible in `ps`: prefer env OPSGRAPH_TOKEN)")
    who.add_argument("--user", help="issue a token for this user here (needs the server's database and secret key)")


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """`tasks list|show|cancel`; returns the `tasks` subcommands so `watch` (tasks_watch) joins them."""
    tasks = commands.add_parser("tasks", help="list, show, watch and cancel tasks on a running server")
    actions = tasks.add_subparsers(dest="tasks_command", required=True)

    listing = actions.add_parser("list", help="tasks, newest first")
    listing.add_argument("--status", type=str.upper, choices=STATUSES, action="append", help="repeatable")
    listing.add_argument("--kind", type=str.upper, choices=KINDS, action="append", help="repeatable")
    listing.add_argument("--biz", type=int, help="only this business's tasks (bk_biz_id)")
    listing.add_argument("--creator", help="only tasks this user started")
    listing.add_argument("--first", type=positive, default=20, help="how many (default 20)")
    add_json_flag(listing)
    add_connection_options(listing)
    listing.set_defaults(run=list_tasks)

    show = actions.add_parser("show", help="a task: steps, per-host counts and failures")
    show.add_argument("task", type=task_number, metavar="TASK")
    show.add_argument("--failures", type=positive, default=20, help="failed hosts listed per step (default 20)")
    add_json_flag(show)
    add_connection_options(show)
    show.set_defaults(run=show_task)

    cancel = actions.add_parser("cancel", help="stop a task: running commands are killed on the hosts")
    cancel.add_argument("task", type=task_number, metavar="TASK")
    add_connection_options(cancel)
    cancel.set_defaults(run=cancel_task)
    return actions


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {number}")
    return number


def task_number(value: str) -> int:
    """A task's number (job_instance_id) from the number itself or from its global id."""
    if value.isdigit():
        return int(value)
    try:
        return decode_global_id(value, "Task")[1]
    except ValidationFailed as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is neither a task number nor a task id") from exc


def task_global_id(number: int) -> str:
    return encode_global_id("Task", number)


def connect(args: argparse.Namespace) -> RemoteServer:
    """The server to talk to, with a token from --token, --user, or OPSGRAPH_TOKEN (in that order)."""
    token = args.token or (issue_local_token(args.user) if args.user else os.environ.get("OPSGRAPH_TOKEN"))
    if not token:
        raise RemoteError("no token: give --token or --user, or set OPSGRAPH_TOKEN")
    return RemoteServer(args.url, token)


def issue_local_token(username: str) -> str:
    from opsgraph.core.db import database
    from opsgraph.core.settings import get_settings
    from opsgraph.resolvers.identity import issue_user_token

    settings = get_settings()

    async def issue() -> str:
        async with database(settings.database_url):
            token, _ = await issue_user_token(username, settings)
            return token

    return asyncio.run(issue())


def fetch_task(server: RemoteServer, number: int, query: str, **variables: Any) -> dict[str, Any]:
    task: dict[str, Any] | None = server.execute(query, {"j": number, **variables})["task"]
    if task is None:
        raise RemoteError(f"task {number} does not exist or is not visible to you")
    return task


def list_tasks(args: argparse.Namespace) -> int:
    server = connect(args)
    task_filter: dict[str, Any] = {}
    if args.status:
        task_filter["status"] = args.status
    if args.kind:
        task_filter["kind"] = args.kind
    if args.biz is not None:
        task_filter["businessId"] = encode_global_id("Business", args.biz)
    if args.creator:
        task_filter["creator"] = args.creator
    found = server.execute(LIST, {"first": args.first, "filter": task_filter})["tasks"]
    if args.json:
        print(render_json(found["nodes"]))
        return 0
    rows = [
        (t["jobInstanceId"], t["kind"], t["status"], t["bkBizId"], t["creator"], render_time(t["createdAt"]), t["name"])
        for t in found["nodes"]
    ]
    print(render_table(("ID", "KIND", "STATUS", "BIZ", "CREATOR", "CREATED", "NAME"), rows, empty="(no tasks)"))
    if found["totalCount"] > len(rows):
        print(f"({len(rows)} of {found['totalCount']} tasks; --first N shows more)")
    return 0


def show_task(args: argparse.Namespace) -> int:
    task = fetch_task(connect(args), args.task, SHOW, failures=args.failures)
    print(render_json(task) if args.json else describe_task(task))
    return 0


def describe_task(task: dict[str, Any]) -> str:
    lines = [
        render_fields(
            [
                ("task", f"{task['jobInstanceId']} ({task['kind']})"),
                ("status", task["status"]),
                ("name", task["name"] or "-"),
                ("creator", task["creator"]),
                ("business", task["bkBizId"]),
                ("created", render_time(task["createdAt"])),
                ("started", render_time(task["startedAt"])),
                ("finished", render_time(task["finishedAt"])),
                *([("error", task["error"])] if task["error"] else []),
            ]
        )
    ]
    for step in task["steps"]:
        counts = ", ".join(
            f"{step[s.lower()]['totalCount']} {s.lower()}" for s in STATUSES if step[s.lower()]["totalCount"]
        )
        title = f"step {step['position'] + 1} {step['kind']}{' ' + repr(step['name']) if step['name'] else ''}"
        lines.append(f"{title}: {step['status']}, {step['all']['totalCount']} hosts ({counts or 'none'})")
        for status in FAILED_HOST_STATUSES:
            hosts = step[f"{status.lower()}Hosts"]["nodes"]
            for host in hosts:
                exit_code = "" if host["exitCode"] is None else f" exit {host['exitCode']}"
                reason = f" {host['failure']}" if host["failure"] else ""
                error = f": {host['error']}" if host["error"] else ""
                lines.append(f"  {status} {host['ip']}{reason}{exit_code}{error}")
            more = step[status.lower()]["totalCount"] - len(hosts)
            if more > 0:
                lines.append(f"  … and {more} more {status} hosts (--failures N lists more)")
    return "\n".join(lines)


def cancel_task(args: argparse.Namespace) -> int:
    server = connect(args)
    payload = server.execute(CANCEL, {"t": task_global_id(args.task)})["cancelTask"]
    if payload["errors"]:
        raise RemoteError(f"cannot cancel task {args.task}: {payload['errors'][0]['message']}")
    task = payload["task"]
    # The runner stops the hosts' commands asynchronously: `tasks watch` shows the task end.
    print(f"task {task['jobInstanceId']}: cancel requested, now {task['status']}")
    return 0
