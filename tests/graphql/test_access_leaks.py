"""A caller without a role on a business learns nothing about it through error messages (issue 7 §2).

The callers hold roles on their own business only: `viewer` is a viewer there, `insider` a maintainer.
For every object of another business they name (a host by id or IP, a set, a module, a job template,
a cron, a script, an account, an uploaded file, the business itself), the answer must be exactly the
answer for an object that does not exist: the same code and the same message once the identifier the
caller typed is blanked out, and never the other business's id or name. Each refused call changes
nothing, and the superuser (who may see everything) keeps the precise messages.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.executors.support import create_account, login
from tests.support.server import GraphQLClient, GraphQLResponse, Server
from tests.support.topology import (
    Business,
    add_hosts,
    create_business,
    create_module,
    create_set,
    global_id,
    mutate_ok,
)

USER_PASSWORD = "leak-test-password-1"
USER_ERROR = "errors { code field message }"
UNKNOWN_PK = 2_000_000_000
UNKNOWN_IP = "192.0.2.77"  # TEST-NET-1: never imported by any test

HOST_LOCKS = "query($ips: [String!]!) { hostLocks(ips: $ips) { ip locked } }"
LOCK = f"mutation($ips: [String!]!) {{ lockHosts(input: {{ips: $ips}}) {{ ips {USER_ERROR} }} }}"
UNLOCK = f"mutation($ips: [String!]!) {{ unlockHosts(input: {{ips: $ips}}) {{ ips {USER_ERROR} }} }}"
RUN_SCRIPT = f"""
mutation($input: RunScriptInput!) {{ runScript(input: $input) {{ task {{ id }} {USER_ERROR} }} }}"""
PUSH_FILE = f"""
mutation($input: PushFileInput!) {{ pushFile(input: $input) {{ task {{ id }} {USER_ERROR} }} }}"""
RUN_JOB = f"""
mutation($input: RunJobInput!) {{ runJob(input: $input) {{ task {{ id }} {USER_ERROR} }} }}"""
INSTALL = f"""
mutation($input: InstallAgentsInput!) {{ installAgents(input: $input) {{ task {{ id }} {USER_ERROR} }} }}"""
START_SCAN = f"""
mutation($input: StartSecurityScanInput!) {{ startSecurityScan(input: $input) {{ task {{ id }} {USER_ERROR} }} }}"""
UPLOAD = f"""
mutation($input: UploadScanFilesInput!) {{ uploadScanFiles(input: $input) {{ files {{ id }} {USER_ERROR} }} }}"""
TASKS = "query($b: ID!) { tasks(first: 50, filter: {businessId: $b}) { totalCount } }"

CREATE_TEMPLATE = f"""
mutation($b: ID!, $name: String!) {{
  createJobTemplate(input: {{businessId: $b, name: $name, steps: [{{kind: "approval", name: "ok?"}}]}}) {{
    jobTemplate {{ id }} {USER_ERROR}
  }}
}}"""
CREATE_CRON = f"""
mutation($b: ID!, $t: ID!, $name: String!) {{
  createCron(input: {{businessId: $b, jobTemplateId: $t, name: $name, expression: "0 3 * * *"}}) {{
    cron {{ id }} {USER_ERROR}
  }}
}}"""
CREATE_SCRIPT = f"""
mutation($b: ID!, $name: String!) {{
  createScript(input: {{businessId: $b, name: $name, content: "echo hi", language: SHELL}}) {{
    script {{ id }} {USER_ERROR}
  }}
}}"""
UPDATE_CRON = f"""
mutation($id: ID!) {{ updateCron(input: {{cronId: $id, expression: "0 4 * * *"}}) {{ cron {{ id }} {USER_ERROR} }} }}"""
SET_CRON_ENABLED = f"""
mutation($id: ID!) {{ setCronEnabled(input: {{cronId: $id, enabled: true}}) {{ cron {{ id }} {USER_ERROR} }} }}"""
DELETE_CRON = f"mutation($id: ID!) {{ deleteCron(input: {{cronId: $id}}) {{ deletedId {USER_ERROR} }} }}"
UPDATE_TEMPLATE = f"""
mutation($id: ID!) {{
  updateJobTemplate(input: {{jobTemplateId: $id, name: "taken"}}) {{ jobTemplate {{ id }} {USER_ERROR} }}
}}"""
DELETE_TEMPLATE = f"""
mutation($id: ID!) {{ deleteJobTemplate(input: {{jobTemplateId: $id}}) {{ deletedId {USER_ERROR} }} }}"""
DELETE_SCRIPT = f"mutation($id: ID!) {{ deleteScript(input: {{scriptId: $id}}) {{ deletedId {USER_ERROR} }} }}"
UPDATE_ACCOUNT = f"""
mutation($id: ID!) {{
  updateAccount(input: {{accountId: $id, password: "stolen-pw"}}) {{ account {{ id }} {USER_ERROR} }}
}}"""
WORK_OBJECTS = """
query($cron: ID!, $template: ID!, $script: ID!, $account: ID!) {
  cron(id: $cron) { name enabled expression }
  jobTemplate(id: $template) { name steps { name } }
  script(id: $script) { name currentVersion { version } }
  account(id: $account) { alias auth }
}"""

UPDATE_BUSINESS = f"""
mutation($b: ID!) {{
  updateBusiness(input: {{businessId: $b, name: "hijacked"}}) {{ business {{ id }} {USER_ERROR} }}
}}"""
UPDATE_SET = f"""
mutation($b: ID!, $s: ID!) {{
  updateSet(input: {{businessId: $b, setId: $s, name: "hijacked"}}) {{ set {{ id }} {USER_ERROR} }}
}}"""
DELETE_SETS = f"""
mutation($b: ID!, $s: ID!) {{ deleteSets(input: {{businessId: $b, setIds: [$s]}}) {{ deletedIds {USER_ERROR} }} }}"""
UPDATE_MODULE = f"""
mutation($b: ID!, $m: ID!) {{
  updateModule(input: {{businessId: $b, moduleId: $m, name: "hijacked"}}) {{ module {{ id }} {USER_ERROR} }}
}}"""
TRANSFER = f"""
mutation($b: ID!, $h: ID!, $m: ID!) {{
  transferHostsToModules(input: {{businessId: $b, hostIds: [$h], moduleIds: [$m], append: false}}) {{
    hosts {{ id }} {USER_ERROR}
  }}
}}"""
UPDATE_HOSTS = f"""
mutation($h: ID!) {{
  updateHosts(input: {{hostIds: [$h], properties: {{hostName: "hijacked"}}}}) {{ hosts {{ id }} {USER_ERROR} }}
}}"""
FOREIGN_STATE = """
query($bk: Int!, $h: ID!) {
  business(bkBizId: $bk) {
    name
    sets(first: 20) { nodes { id name modules(first: 20) { nodes { id name } } } }
  }
  node(id: $h) { ... on Host { bkBizId hostName modules { id } } }
}"""


def pk_of(node_id: str) -> int:
    """The numeric id inside a global id (base64url of "Type:pk")."""
    return int(base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode().partition(":")[2])


@dataclass
class Actor:
    username: str
    client: GraphQLClient


@dataclass
class Estate:
    home: Business  # where the callers hold their roles
    home_host: str
    foreign: Business  # where they hold none
    foreign_name: str
    foreign_host: str
    foreign_ip: str
    foreign_set: str
    foreign_module: str
    foreign_template: str
    foreign_cron: str
    foreign_script: str
    foreign_account: str
    foreign_file: str
    viewer: Actor
    insider: Actor


def _actor(server: Server, username: str, business: Business, role: str) -> Actor:
    server.cli("admin", "create-user", username, "--password", USER_PASSWORD)
    server.cli("admin", "grant-role", username, "--biz", str(business.bk_biz_id), "--role", role)
    return Actor(username, login(server.url, username, USER_PASSWORD))


@pytest.fixture(scope="module")
def estate(server: Server, gql: GraphQLClient, ip_allocator: Iterator[str]) -> Estate:
    tag = uuid.uuid4().hex[:8]
    home = create_business(gql, f"leak-home-{tag}")
    create_set(gql, home, "web")
    create_module(gql, home, "web", "nginx")
    (home_host,) = add_hosts(gql, [next(ip_allocator)], home)
    # A default account: runScript and pushFile resolve it before their targets.
    create_account(gql, home, "deploy", "deploy", password="deploy-pw-1", is_default=True)

    foreign_name = f"leak-foreign-{tag}"
    foreign = create_business(gql, foreign_name)
    foreign_set = create_set(gql, foreign, "db")
    foreign_module = create_module(gql, foreign, "db", "mysql")
    foreign_ip = next(ip_allocator)
    (foreign_host,) = add_hosts(gql, [foreign_ip], foreign)
    template = mutate_ok(gql, CREATE_TEMPLATE, {"b": foreign.id, "name": "nightly"})["jobTemplate"]["id"]
    cron = mutate_ok(gql, CREATE_CRON, {"b": foreign.id, "t": template, "name": "nightly"})["cron"]["id"]
    script = mutate_ok(gql, CREATE_SCRIPT, {"b": foreign.id, "name": "hello"})["script"]["id"]
    account = create_account(gql, foreign, "root", "root", password="root-pw-12")
    files = [{"name": "Dockerfile", "content": "FROM alpine:3\n"}]
    upload = mutate_ok(gql, UPLOAD, {"input": {"businessId": foreign.id, "files": files}})
    return Estate(
        home=home,
        home_host=home_host,
        foreign=foreign,
        foreign_name=foreign_name,
        foreign_host=foreign_host,
        foreign_ip=foreign_ip,
        foreign_set=foreign_set,
        foreign_module=foreign_module,
        foreign_template=template,
        foreign_cron=cron,
        foreign_script=script,
        foreign_account=account,
        foreign_file=upload["files"][0]["id"],
        viewer=_actor(server, f"leakview{tag}", home, "viewer"),
        insider=_actor(server, f"leakmaint{tag}", home, "maintainer"),
    )


# -- comparing refusals ---------------------------------------------------------------------------------


def refusal(response: GraphQLResponse) -> tuple[str, str]:
    """(code, message) of a refused call: a GraphQL error, or the one UserError of a mutation payload."""
    if response.errors:
        error = response.errors[0]
        return str(error["extensions"]["code"]), str(error["message"])
    (payload,) = response.data.values()
    assert len(payload["errors"]) == 1, payload
    for key, value in payload.items():
        if key != "errors":
            assert value in (None, []), f"a refused call still returned {key}={value!r}"
    return str(payload["errors"][0]["code"]), str(payload["errors"][0]["message"])


def blank(message: str, *identifiers: object) -> str:
    """The message with the identifiers the caller typed (ids, IPs) replaced by a placeholder."""
    for identifier in identifiers:
        message = re.sub(rf"(?<![\w.]){re.escape(str(identifier))}(?![\w.])", "<typed>", message)
    return message


def assert_alike(
    estate: Estate,
    foreign: GraphQLResponse,
    foreign_ids: tuple[object, ...],
    missing: GraphQLResponse,
    missing_ids: tuple[object, ...],
) -> tuple[str, str]:
    """The refusal for the other business's object is the refusal for a missing one, and names neither
    that business's id nor its name."""
    foreign_code, foreign_message = refusal(foreign)
    missing_code, missing_message = refusal(missing)
    assert (foreign_code, blank(foreign_message, *foreign_ids)) == (
        missing_code,
        blank(missing_message, *missing_ids),
    ), (foreign.body, missing.body)
    assert_names_no_business(estate, foreign_message)
    return foreign_code, foreign_message


def assert_names_no_business(estate: Estate, message: str) -> None:
    text = re.sub(r"\d+\.\d+\.\d+\.\d+", "<ip>", message)  # IP octets are not business ids
    assert not re.search(rf"(?<!\d){estate.foreign.bk_biz_id}(?!\d)", text), message
    assert estate.foreign_name not in message, message
    assert "business" not in message or "another business" in message, message


def task_count(gql: GraphQLClient, business: Business) -> int:
    count: int = gql.ok(TASKS, {"b": business.id})["tasks"]["totalCount"]
    return count


def foreign_state(gql: GraphQLClient, estate: Estate) -> dict[str, Any]:
    state: dict[str, Any] = gql.ok(FOREIGN_STATE, {"bk": estate.foreign.bk_biz_id, "h": estate.foreign_host})
    return state


def locked(gql: GraphQLClient, ip: str) -> bool:
    (status,) = gql.ok(HOST_LOCKS, {"ips": [ip]})["hostLocks"]
    return bool(status["locked"])


# -- hosts named by IP: hostLocks, lockHosts, unlockHosts ----------------------------------------------


def test_host_locks_do_not_tell_a_viewer_who_owns_an_ip(estate: Estate, gql: GraphQLClient) -> None:
    viewer = estate.viewer.client
    assert_alike(
        estate,
        viewer.execute(HOST_LOCKS, {"ips": [estate.foreign_ip]}),
        (estate.foreign_ip,),
        viewer.execute(HOST_LOCKS, {"ips": [UNKNOWN_IP]}),
        (UNKNOWN_IP,),
    )
    # The superuser still reads the lock of that host.
    assert gql.ok(HOST_LOCKS, {"ips": [estate.foreign_ip]})["hostLocks"] == [{"ip": estate.foreign_ip, "locked": False}]


def test_locking_a_foreign_ip_answers_as_for_an_unknown_one(estate: Estate, gql: GraphQLClient) -> None:
    insider = estate.insider.client
    assert_alike(
        estate,
        insider.execute(LOCK, {"ips": [estate.foreign_ip]}),
        (estate.foreign_ip,),
        insider.execute(LOCK, {"ips": [UNKNOWN_IP]}),
        (UNKNOWN_IP,),
    )
    assert locked(gql, estate.foreign_ip) is False

    mutate_ok(gql, LOCK, {"ips": [estate.foreign_ip]})
    try:
        assert_alike(
            estate,
            insider.execute(UNLOCK, {"ips": [estate.foreign_ip]}),
            (estate.foreign_ip,),
            insider.execute(UNLOCK, {"ips": [UNKNOWN_IP]}),
            (UNKNOWN_IP,),
        )
        assert locked(gql, estate.foreign_ip) is True
    finally:
        mutate_ok(gql, UNLOCK, {"ips": [estate.foreign_ip]})


# -- runs: runScript, pushFile, runJob, installAgents -----------------------------------------------------


def _script_input(estate: Estate, **targets: Any) -> dict[str, Any]:
    return {"input": {"businessId": estate.home.id, "content": "echo hi", **targets}}


def _push_input(estate: Estate, files: list[dict[str, Any]], **targets: Any) -> dict[str, Any]:
    return {"input": {"businessId": estate.home.id, "files": files, "targetPath": "/tmp", **targets}}


UPLOADED = [{"name": "a.txt", "contentBase64": base64.b64encode(b"a").decode()}]
# case → (document, variables for a target, the identifier typed) for the foreign and the missing host.
TARGETS: dict[str, Callable[[Estate, bool], tuple[str, dict[str, Any], tuple[object, ...]]]] = {
    "runScript hostIds": lambda e, foreign: (
        RUN_SCRIPT,
        _script_input(e, hostIds=[e.foreign_host if foreign else global_id("Host", UNKNOWN_PK)]),
        (pk_of(e.foreign_host) if foreign else UNKNOWN_PK,),
    ),
    "runScript hosts": lambda e, foreign: (
        RUN_SCRIPT,
        _script_input(e, hosts=[{"ip": e.foreign_ip if foreign else UNKNOWN_IP}]),
        (e.foreign_ip if foreign else UNKNOWN_IP,),
    ),
    "pushFile hostIds": lambda e, foreign: (
        PUSH_FILE,
        _push_input(e, UPLOADED, hostIds=[e.foreign_host if foreign else global_id("Host", UNKNOWN_PK)]),
        (pk_of(e.foreign_host) if foreign else UNKNOWN_PK,),
    ),
    "pushFile hosts": lambda e, foreign: (
        PUSH_FILE,
        _push_input(e, UPLOADED, hosts=[{"ip": e.foreign_ip if foreign else UNKNOWN_IP}]),
        (e.foreign_ip if foreign else UNKNOWN_IP,),
    ),
    "pushFile source host": lambda e, foreign: (
        PUSH_FILE,
        _push_input(
            e,
            [{"sourceHost": {"ip": e.foreign_ip if foreign else UNKNOWN_IP}, "path": "/etc/hostname"}],
            hostIds=[e.home_host],
        ),
        (e.foreign_ip if foreign else UNKNOWN_IP,),
    ),
}


@pytest.mark.parametrize("case", list(TARGETS))
def test_run_targets_do_not_tell_who_owns_a_host(estate: Estate, gql: GraphQLClient, case: str) -> None:
    insider = estate.insider.client
    tasks_before = task_count(gql, estate.home), task_count(gql, estate.foreign)
    document, foreign_variables, foreign_ids = TARGETS[case](estate, True)
    _, missing_variables, missing_ids = TARGETS[case](estate, False)
    code, _ = assert_alike(
        estate,
        insider.execute(document, foreign_variables),
        foreign_ids,
        insider.execute(document, missing_variables),
        missing_ids,
    )
    assert code == "HOST_NOT_FOUND"
    assert (task_count(gql, estate.home), task_count(gql, estate.foreign)) == tasks_before
    # The superuser, who may see both businesses, is still told where the host is.
    code, message = refusal(gql.execute(document, foreign_variables))
    assert code == "HOST_NOT_IN_BUSINESS"
    assert str(estate.foreign.bk_biz_id) in message


def test_run_job_does_not_tell_who_owns_a_template(estate: Estate, gql: GraphQLClient) -> None:
    insider = estate.insider.client
    before = task_count(gql, estate.foreign)
    missing = global_id("JobTemplate", UNKNOWN_PK)
    code, _ = assert_alike(
        estate,
        insider.execute(RUN_JOB, {"input": {"templateId": estate.foreign_template}}),
        (pk_of(estate.foreign_template),),
        insider.execute(RUN_JOB, {"input": {"templateId": missing}}),
        (UNKNOWN_PK,),
    )
    assert code == "TEMPLATE_NOT_FOUND"
    assert task_count(gql, estate.foreign) == before


def test_install_agents_never_names_the_business_holding_an_ip(
    estate: Estate, gql: GraphQLClient, ip_allocator: Iterator[str], unique: str
) -> None:
    """The address is taken, and the install must say so; but not whose it is. Two hosts of two
    different foreign businesses get the same answer."""
    third = create_business(gql, f"leak-third-{unique}")
    third_ip = next(ip_allocator)
    add_hosts(gql, [third_ip], third)

    def install(client: GraphQLClient, ip: str) -> GraphQLResponse:
        host = {"ip": ip, "username": "root", "password": "install-pw-1"}
        variables = {"businessId": estate.home.id, "nodeType": "AGENT", "operation": "INSTALL", "hosts": [host]}
        return client.execute(INSTALL, {"input": variables})

    insider = estate.insider.client
    before = task_count(gql, estate.home)
    code, message = refusal(install(insider, estate.foreign_ip))
    assert code == "HOST_IN_OTHER_BUSINESS"
    assert_names_no_business(estate, message)
    third_code, third_message = refusal(install(insider, third_ip))
    assert (code, blank(message, estate.foreign_ip)) == (third_code, blank(third_message, third_ip))
    assert str(third.bk_biz_id) not in blank(third_message, third_ip)
    assert task_count(gql, estate.home) == before
    assert foreign_state(gql, estate)["node"]["bkBizId"] == estate.foreign.bk_biz_id
    # A caller with a role there (the superuser) is still told which business holds it.
    assert f"business {estate.foreign.bk_biz_id}" in refusal(install(gql, estate.foreign_ip))[1]


# -- work objects by id: crons, job templates, scripts, accounts ----------------------------------------

# case → (document, which estate object it names)
WORK_MUTATIONS: dict[str, tuple[str, str, str]] = {
    "updateCron": (UPDATE_CRON, "foreign_cron", "Cron"),
    "setCronEnabled": (SET_CRON_ENABLED, "foreign_cron", "Cron"),
    "deleteCron": (DELETE_CRON, "foreign_cron", "Cron"),
    "updateJobTemplate": (UPDATE_TEMPLATE, "foreign_template", "JobTemplate"),
    "deleteJobTemplate": (DELETE_TEMPLATE, "foreign_template", "JobTemplate"),
    "deleteScript": (DELETE_SCRIPT, "foreign_script", "Script"),
    "updateAccount": (UPDATE_ACCOUNT, "foreign_account", "Account"),
}


def _work_objects(gql: GraphQLClient, estate: Estate) -> dict[str, Any]:
    variables = {
        "cron": estate.foreign_cron,
        "template": estate.foreign_template,
        "script": estate.foreign_script,
        "account": estate.foreign_account,
    }
    objects: dict[str, Any] = gql.ok(WORK_OBJECTS, variables)
    return objects


@pytest.mark.parametrize("case", list(WORK_MUTATIONS))
@pytest.mark.parametrize("who", ["viewer", "insider"])
def test_work_objects_of_another_business_answer_as_missing(
    estate: Estate, gql: GraphQLClient, case: str, who: str
) -> None:
    document, attribute, type_name = WORK_MUTATIONS[case]
    caller: Actor = getattr(estate, who)
    before = _work_objects(gql, estate)
    assert None not in before.values()
    foreign_id = getattr(estate, attribute)
    code, _ = assert_alike(
        estate,
        caller.client.execute(document, {"id": foreign_id}),
        (pk_of(foreign_id),),
        caller.client.execute(document, {"id": global_id(type_name, UNKNOWN_PK)}),
        (UNKNOWN_PK,),
    )
    assert code == "NOT_FOUND"
    assert _work_objects(gql, estate) == before


# -- topology by id: the business, its sets, modules and hosts -------------------------------------------


def test_a_business_without_a_role_is_refused_as_if_it_did_not_exist(estate: Estate, gql: GraphQLClient) -> None:
    insider = estate.insider.client
    missing = global_id("Business", UNKNOWN_PK)
    foreign_code, foreign_message = refusal(insider.execute(UPDATE_BUSINESS, {"b": estate.foreign.id}))
    missing_code, missing_message = refusal(insider.execute(UPDATE_BUSINESS, {"b": missing}))
    # The caller typed the business id itself; the answer must not depend on whether it exists.
    assert (foreign_code, blank(foreign_message, pk_of(estate.foreign.id))) == (
        missing_code,
        blank(missing_message, UNKNOWN_PK),
    )
    assert foreign_code == "PERMISSION_DENIED"
    assert estate.foreign_name not in foreign_message
    assert foreign_state(gql, estate)["business"]["name"] == estate.foreign_name


# case → (document, variables naming the foreign object, its typed id; the same naming a missing one)
TOPOLOGY: dict[str, Callable[[Estate, bool], tuple[str, dict[str, Any], tuple[object, ...]]]] = {
    "updateSet": lambda e, foreign: (
        UPDATE_SET,
        {"b": e.home.id, "s": e.foreign_set if foreign else global_id("Set", UNKNOWN_PK)},
        (pk_of(e.foreign_set) if foreign else UNKNOWN_PK,),
    ),
    "deleteSets": lambda e, foreign: (
        DELETE_SETS,
        {"b": e.home.id, "s": e.foreign_set if foreign else global_id("Set", UNKNOWN_PK)},
        (pk_of(e.foreign_set) if foreign else UNKNOWN_PK,),
    ),
    "updateModule": lambda e, foreign: (
        UPDATE_MODULE,
        {"b": e.home.id, "m": e.foreign_module if foreign else global_id("Module", UNKNOWN_PK)},
        (pk_of(e.foreign_module) if foreign else UNKNOWN_PK,),
    ),
    "transfer to a foreign module": lambda e, foreign: (
        TRANSFER,
        {"b": e.home.id, "h": e.home_host, "m": e.foreign_module if foreign else global_id("Module", UNKNOWN_PK)},
        (pk_of(e.foreign_module) if foreign else UNKNOWN_PK,),
    ),
    "transfer a foreign host": lambda e, foreign: (
        TRANSFER,
        {
            "b": e.home.id,
            "h": e.foreign_host if foreign else global_id("Host", UNKNOWN_PK),
            "m": e.home.modules["nginx"],
        },
        (pk_of(e.foreign_host) if foreign else UNKNOWN_PK,),
    ),
    "updateHosts": lambda e, foreign: (
        UPDATE_HOSTS,
        {"h": e.foreign_host if foreign else global_id("Host", UNKNOWN_PK)},
        (pk_of(e.foreign_host) if foreign else UNKNOWN_PK,),
    ),
}


@pytest.mark.parametrize("case", list(TOPOLOGY))
def test_topology_of_another_business_answers_as_missing(estate: Estate, gql: GraphQLClient, case: str) -> None:
    insider = estate.insider.client
    before = foreign_state(gql, estate)
    document, foreign_variables, foreign_ids = TOPOLOGY[case](estate, True)
    _, missing_variables, missing_ids = TOPOLOGY[case](estate, False)
    code, _ = assert_alike(
        estate,
        insider.execute(document, foreign_variables),
        foreign_ids,
        insider.execute(document, missing_variables),
        missing_ids,
    )
    assert code == "NOT_FOUND"
    assert foreign_state(gql, estate) == before


def test_the_superuser_keeps_the_precise_topology_refusals(estate: Estate, gql: GraphQLClient) -> None:
    variables = {"b": estate.home.id, "h": estate.home_host, "m": estate.foreign_module}
    assert refusal(gql.execute(TRANSFER, variables))[0] == "MODULE_NOT_IN_BUSINESS"
    assert refusal(gql.execute(UPDATE_SET, {"b": estate.home.id, "s": estate.foreign_set}))[0] == "SET_NOT_IN_BUSINESS"


# -- security scans: sets and uploaded files ---------------------------------------------------------------


def test_security_scans_do_not_tell_who_owns_a_set_or_file(estate: Estate, gql: GraphQLClient) -> None:
    insider = estate.insider.client
    before = task_count(gql, estate.foreign)
    # (what is named, its global id type, the foreign object, the rest of the input)
    cluster = {"kind": "CLUSTER"}
    iac = {"kind": "IAC", "fileType": "DOCKERFILE"}
    home = {"businessId": estate.home.id}
    scans: list[tuple[str, str, str, dict[str, Any]]] = [
        ("setIds", "Set", estate.foreign_set, cluster),  # the business derived from the set
        ("setIds", "Set", estate.foreign_set, cluster | home),
        ("fileIds", "ScanFile", estate.foreign_file, iac),  # the business derived from the file
        ("fileIds", "ScanFile", estate.foreign_file, iac | home),
    ]
    for key, type_name, foreign_id, rest in scans:
        code, _ = assert_alike(
            estate,
            insider.execute(START_SCAN, {"input": {**rest, key: [foreign_id]}}),
            (pk_of(foreign_id),),
            insider.execute(START_SCAN, {"input": {**rest, key: [global_id(type_name, UNKNOWN_PK)]}}),
            (UNKNOWN_PK,),
        )
        assert code == ("SET_NOT_FOUND" if key == "setIds" else "SCAN_FILE_NOT_FOUND"), rest
    assert task_count(gql, estate.foreign) == before
