"""Helpers for the executor tests: hosts reachable over the test sshd, accounts, and running/polling
tasks through GraphQL like any client would.

Every test owns a business of its own. The sshd pools listen on fixed loopback addresses (127.0.0.10 …)
and a host's inner IP is unique in the CMDB, so `claim_hosts` moves an address that an earlier test
already imported into the calling test's business (resource pool → business) instead of importing it
again, and points its `sshPort` at the pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.support import databases
from tests.support.server import ADMIN_PASSWORD, GraphQLClient, Server
from tests.support.sshd import SshdPool, SshUser
from tests.support.topology import Business, add_hosts, create_business, mutate_ok, run_mutation

FINISHED = frozenset({"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL"})
USER_ERROR = "errors { code field message }"

RUN_SCRIPT = f"""
mutation($input: RunScriptInput!) {{
  runScript(input: $input) {{ task {{ id jobInstanceId status }} {USER_ERROR} }}
}}"""
PUSH_FILE = f"""
mutation($input: PushFileInput!) {{
  pushFile(input: $input) {{ task {{ id jobInstanceId status }} {USER_ERROR} }}
}}"""
CREATE_ACCOUNT = f"""
mutation($input: CreateAccountInput!) {{
  createAccount(input: $input) {{ account {{ id alias }} {USER_ERROR} }}
}}"""
HOSTS_BY_IP = """
query($ips: [String!]!) {
  hosts(first: 500, filter: {innerIps: $ips}) { nodes { id innerIp bkBizId business { id isResourcePool } } }
}"""
TO_IDLE_MODULE = f"""
mutation($b: ID!, $h: [ID!]!) {{
  transferHostsToBuiltinModule(input: {{businessId: $b, hostIds: $h, module: IDLE}}) {{ {USER_ERROR} }}
}}"""
RETURN_TO_POOL = f"""
mutation($b: ID!, $h: [ID!]!) {{
  returnHostsToResourcePool(input: {{businessId: $b, hostIds: $h}}) {{ hosts {{ id }} {USER_ERROR} }}
}}"""
ASSIGN_TO_BUSINESS = f"""
mutation($b: ID!, $h: [ID!]!) {{
  assignHostsToBusiness(input: {{businessId: $b, hostIds: $h}}) {{ hosts {{ id }} {USER_ERROR} }}
}}"""
SET_SSH_PORT = f"""
mutation($h: [ID!]!, $port: Int!) {{
  updateHosts(input: {{hostIds: $h, properties: {{sshPort: $port}}}}) {{ hosts {{ id }} {USER_ERROR} }}
}}"""
HOST_RESULT_FIELDS = "id stepId hostId ip status exitCode failure error log logTruncated startedAt finishedAt"
TASK_FIELDS = f"""
  id jobInstanceId kind status error creator lastSeq startedAt finishedAt
  callbackUrl callbackStatus callbackAttempts callbackError
  steps {{ id position status hostResults(first: 500) {{ nodes {{ {HOST_RESULT_FIELDS} }} }} }}
"""
TASK = f"query($j: Int!) {{ task(jobInstanceId: $j) {{ {TASK_FIELDS} }} }}"
# Polling: statuses only (no logs), so waiting on 200 hosts stays cheap.
TASK_PROGRESS = """
query($j: Int!) { task(jobInstanceId: $j) {
  status lastSeq steps { status hostResults(first: 500) { nodes { ip status } } }
} }"""
TASKS = """
query($f: TaskFilter) { tasks(first: 50, filter: $f) { totalCount nodes { id jobInstanceId status kind } } }"""
HOST_TASK_RESULTS = f"""
query($h: ID!) {{
  node(id: $h) {{ ... on Host {{ innerIp taskResults(first: 5) {{ nodes {{ {HOST_RESULT_FIELDS} }} }} }} }}
}}"""


LOGIN = f"""
mutation($u: String!, $p: String!) {{ login(input: {{username: $u, password: $p}}) {{ token {USER_ERROR} }} }}"""


def login(base_url: str, username: str, password: str) -> GraphQLClient:
    """A client holding the token `login` issued for `username` (cheaper than spawning `admin issue-token`)."""
    token: str = mutate_ok(GraphQLClient(base_url), LOGIN, {"u": username, "p": password})["token"]
    return GraphQLClient(base_url, token)


# -- estates ------------------------------------------------------------------------------------------------


@dataclass
class SshEstate:
    """A business whose hosts are served by an sshd pool, with a default key account (unless asked not to)."""

    business: Business
    ips: list[str]
    host_ids: list[str]

    def host_id(self, ip: str) -> str:
        return self.host_ids[self.ips.index(ip)]


def claim_hosts(gql: GraphQLClient, business: Business, ips: list[str], ssh_port: int) -> list[str]:
    """Host ids for `ips`, all in `business` (idle module) and reached on `ssh_port`; in the order of `ips`."""
    if not ips:
        return []
    found = {h["innerIp"]: h for h in gql.ok(HOSTS_BY_IP, {"ips": ips})["hosts"]["nodes"]}
    elsewhere: dict[str, list[str]] = {}
    for host in found.values():
        if host["bkBizId"] != business.bk_biz_id and not host["business"]["isResourcePool"]:
            elsewhere.setdefault(host["business"]["id"], []).append(host["id"])
    for business_id, host_ids in elsewhere.items():
        # Only idle hosts go back to the pool; an earlier test may have left them in a module.
        mutate_ok(gql, TO_IDLE_MODULE, {"b": business_id, "h": host_ids})
        mutate_ok(gql, RETURN_TO_POOL, {"b": business_id, "h": host_ids})
    to_assign = [h["id"] for h in found.values() if h["bkBizId"] != business.bk_biz_id]
    if to_assign:
        mutate_ok(gql, ASSIGN_TO_BUSINESS, {"b": business.id, "h": to_assign})
    if found:
        mutate_ok(gql, SET_SSH_PORT, {"h": [h["id"] for h in found.values()], "port": ssh_port})
    missing = [ip for ip in ips if ip not in found]
    created = dict(zip(missing, add_hosts(gql, missing, business, sshPort=ssh_port), strict=True)) if missing else {}
    return [found[ip]["id"] if ip in found else created[ip] for ip in ips]


def create_account(
    gql: GraphQLClient,
    business: Business,
    alias: str,
    username: str,
    *,
    private_key: str | None = None,
    password: str | None = None,
    is_default: bool = False,
) -> str:
    """Create an OS account through `createAccount`; returns its id."""
    account: dict[str, Any] = {"businessId": business.id, "alias": alias, "username": username}
    if private_key is not None:
        account["privateKey"] = private_key
    if password is not None:
        account["password"] = password
    if is_default:
        account["isDefault"] = True
    created: str = mutate_ok(gql, CREATE_ACCOUNT, {"input": account})["account"]["id"]
    return created


def ssh_estate(
    gql: GraphQLClient,
    name: str,
    pool: SshdPool,
    user: SshUser,
    *,
    count: int | None = None,
    with_account: bool = True,
) -> SshEstate:
    """A new business holding the first `count` hosts of `pool` (all by default), default account = `user`'s key."""
    business = create_business(gql, name)
    ips = pool.addresses[: count if count is not None else len(pool.addresses)]
    host_ids = claim_hosts(gql, business, ips, pool.port)
    if with_account:
        create_account(gql, business, "default-key", user.name, private_key=user.private_key, is_default=True)
    return SshEstate(business=business, ips=ips, host_ids=host_ids)


# -- starting tasks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRef:
    id: str  # the global Task id
    job_instance_id: int


def _started(payload: dict[str, Any]) -> TaskRef:
    assert payload["errors"] == [], payload["errors"]
    task = payload["task"]
    assert task["status"] in {"PENDING", "RUNNING"} | FINISHED, task
    return TaskRef(task["id"], task["jobInstanceId"])


def script_input(estate: SshEstate, content: str, host_ids: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"businessId": estate.business.id, "hostIds": host_ids or estate.host_ids, "content": content, **extra}


def run_script(
    gql: GraphQLClient, estate: SshEstate, content: str, host_ids: list[str] | None = None, **extra: Any
) -> TaskRef:
    """Start `content` on `host_ids` (default: every host of the estate); returns at once."""
    return _started(run_mutation(gql, RUN_SCRIPT, {"input": script_input(estate, content, host_ids, **extra)}))


def push_file(gql: GraphQLClient, estate: SshEstate, host_ids: list[str], **fields: Any) -> TaskRef:
    variables = {"input": {"businessId": estate.business.id, "hostIds": host_ids, **fields}}
    return _started(run_mutation(gql, PUSH_FILE, variables))


def task_mutation(gql: GraphQLClient, mutation: str, task_id: str) -> dict[str, Any]:
    """The payload of `cancelTask`, `retryFailedHosts` or `confirmTaskStep` for `task_id`."""
    document = f"mutation($t: ID!) {{ {mutation}(input: {{taskId: $t}}) {{ task {{ id status }} {USER_ERROR} }} }}"
    payload: dict[str, Any] = gql.ok(document, {"t": task_id})[mutation]
    return payload


def run_and_wait(
    gql: GraphQLClient,
    estate: SshEstate,
    content: str,
    host_ids: list[str] | None = None,
    *,
    wait: float = 30,
    **extra: Any,
) -> dict[str, Any]:
    """Run a script (`extra`: more RunScriptInput fields) and return the finished task, waiting up to `wait` s."""
    return wait_for_task(gql, run_script(gql, estate, content, host_ids, **extra), timeout=wait)


def remote_logs(
    gql: GraphQLClient, estate: SshEstate, content: str, host_ids: list[str] | None = None
) -> dict[str, str]:
    """Run a helper script that must succeed; its log per IP (for checking what is on the hosts)."""
    finished = run_and_wait(gql, estate, content, host_ids)
    assert finished["status"] == "SUCCESS", summary(finished)
    return {ip: result["log"] for ip, result in host_results(finished).items()}


def sleep_argument(seconds: int, unique: str) -> str:
    """`seconds` with a fractional part unique to the calling test, so `sleepers` finds only its `sleep`."""
    return f"{seconds}.{int(unique[-6:], 16) % 1_000_000:06d}"


def sleepers(gql: GraphQLClient, estate: SshEstate, argument: str, user: SshUser) -> str:
    """PIDs of `sleep <argument>` processes of `user` on the (one) test machine, or `none`.

    Asks one host only, and with `slee[p]` so that concurrent probes never match each other's pgrep.
    """
    pattern = f"slee[p] {argument}"
    logs = remote_logs(gql, estate, f"pgrep -u {user.name} -f '{pattern}' || echo none", estate.host_ids[:1])
    return logs[estate.ips[0]].strip()


# -- reading and waiting ------------------------------------------------------------------------------------


def get_task(gql: GraphQLClient, ref: TaskRef | int) -> dict[str, Any]:
    job = ref.job_instance_id if isinstance(ref, TaskRef) else ref
    task: dict[str, Any] | None = gql.ok(TASK, {"j": job})["task"]
    assert task is not None, f"task {job} is not visible"
    return task


def host_results(task: dict[str, Any], step: int = 0) -> dict[str, dict[str, Any]]:
    """ip → that host's result in step `step`."""
    return {r["ip"]: r for r in task["steps"][step]["hostResults"]["nodes"]}


def summary(task: dict[str, Any], log_chars: int = 300) -> str:
    """A readable task state for assertion messages (logs shortened)."""
    lines = [f"task {task.get('jobInstanceId')} {task['status']} error={task.get('error')!r}"]
    for step in task["steps"]:
        for r in step["hostResults"]["nodes"]:
            log = str(r.get("log", ""))[-log_chars:]
            lines.append(
                f"  {r['ip']}: {r['status']} exit={r.get('exitCode')} failure={r.get('failure')} "
                f"error={r.get('error')!r} log={log!r}"
            )
    return "\n".join(lines)


def wait_until(
    gql: GraphQLClient,
    ref: TaskRef,
    done: Callable[[dict[str, Any]], bool],
    *,
    what: str,
    timeout: float = 30,
    query: str = TASK,
    interval: float = 0.1,
) -> dict[str, Any]:
    """Poll the task (with `query`) until `done(task)`; fail with its last state after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] | None = gql.ok(query, {"j": ref.job_instance_id})["task"]
        assert task is not None, f"task {ref.job_instance_id} is not visible"
        if done(task):
            return task
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout} s; last state:\n{summary(task)}")
        time.sleep(interval)


def wait_for_task(
    gql: GraphQLClient, ref: TaskRef, statuses: frozenset[str] = FINISHED, *, timeout: float = 30
) -> dict[str, Any]:
    """Wait until the task's status is one of `statuses`, then return it in full (with logs)."""
    wait_until(
        gql,
        ref,
        lambda t: t["status"] in statuses,
        what=f"task status in {sorted(statuses)}",
        timeout=timeout,
        query=TASK_PROGRESS,
    )
    return get_task(gql, ref)


def wait_for_logs(gql: GraphQLClient, ref: TaskRef, text: str, count: int, *, timeout: float = 30) -> dict[str, Any]:
    """Wait until `count` hosts are RUNNING and have `text` in their stored log."""

    def ready(task: dict[str, Any]) -> bool:
        running = [r for r in host_results(task).values() if r["status"] == "RUNNING" and text in r["log"]]
        return len(running) >= count

    return wait_until(gql, ref, ready, what=f"{count} hosts RUNNING with {text!r} in their log", timeout=timeout)


def task_ids(gql: GraphQLClient, **filter_: Any) -> list[int]:
    """jobInstanceIds of the tasks matching `filter_` (TaskFilter fields), newest first."""
    return [t["jobInstanceId"] for t in gql.ok(TASKS, {"f": filter_})["tasks"]["nodes"]]


def host_task_results(gql: GraphQLClient, host_id: str) -> list[dict[str, Any]]:
    """`host.taskResults`, newest first."""
    nodes: list[dict[str, Any]] = gql.ok(HOST_TASK_RESULTS, {"h": host_id})["node"]["taskResults"]["nodes"]
    return nodes


def stdout_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if line]


# -- taskEvents over graphql-transport-ws --------------------------------------------------------------------

EVENTS = """
subscription($t: ID!, $after: Int) { taskEvents(taskId: $t, afterSeq: $after) { seq kind payload at } }"""


def ws_client(server: Server, token: str | None) -> Client:
    transport = WebsocketsTransport(
        url=f"ws://127.0.0.1:{server.port}/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
        init_payload={"Authorization": f"Bearer {token}"} if token is not None else {},
    )
    return Client(transport=transport, fetch_schema_from_transport=False)


@dataclass
class Reading:
    events: list[dict[str, Any]]
    completed: bool  # the server ended the stream (rather than us disconnecting)


async def read_events(
    server: Server, token: str, task_id: str, *, after: int | None = None, limit: int | None = None
) -> Reading:
    """Subscribe; read until the stream completes, or disconnect after `limit` events."""
    events: list[dict[str, Any]] = []
    request = GraphQLRequest(EVENTS, variable_values={"t": task_id, "after": after})
    async with ws_client(server, token) as session:
        stream = session.subscribe(request)
        try:
            async for result in stream:
                events.append(result["taskEvents"])
                if limit is not None and len(events) >= limit:
                    return Reading(events, completed=False)
        finally:
            await stream.aclose()
    return Reading(events, completed=True)


# -- a server of its own ------------------------------------------------------------------------------------


@contextmanager
def dedicated_server(
    shared: Server, directory: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[Server, GraphQLClient]]:
    """A server process with its own database on the same backend as `shared`, and a superuser client."""
    postgres = not shared.database_url.startswith("sqlite")
    url = databases.create_postgres_database() if postgres else databases.migrated_sqlite_url(directory)
    instance = Server(database_url=url, data_dir=directory, extra_env=dict(extra_env or {}))
    try:
        instance.cli("admin", "create-user", "admin", "--password", ADMIN_PASSWORD, "--superuser")  # migrates too
        instance.start()
        yield instance, login(instance.url, "admin", ADMIN_PASSWORD)
    finally:
        instance.stop()
        if postgres:
            databases.drop_postgres_database(url)
