"""The legacy BlueKing client the compat tests drive: the published `bkapi-component-open` `Client`,
unmodified, for every operation it declares (its `cc` and `gse` groups), and `bkapi-client-core`
declarations only for what it lacks (a few `cc` operations, the `job` and `nodeman` systems), as real
apps do for the `/api/c/compapi/v2/<system>/<api>/` endpoints (reference/real_clients_on_the_wire.md §1.5).

Operations are declared from a list of names, so adding an endpoint to the tests is one word; a name
the published client already declares keeps the published declaration (path and method).
"""

from __future__ import annotations

from typing import Any

from bkapi_client_core.esb import Operation, OperationGroup, bind_property
from bkapi_component.open.client import CcGroup, GseGroup
from bkapi_component.open.client import Client as ComponentClient

CC_POST = [
    "create_business",
    "update_business",
    "delete_business",
    "search_business",
    "update_business_enable_status",
    "create_set",
    "update_set",
    "delete_set",
    "batch_delete_set",
    "search_set",
    "create_module",
    "update_module",
    "delete_module",
    "search_module",
    "search_host",
    "update_host",
    "delete_host",
    "add_host_to_resource",
    "transfer_host_module",
    "transfer_host_to_idlemodule",
    "transfer_host_to_faultmodule",
    "transfer_host_to_resourcemodule",
    "transfer_resourcehost_to_idlemodule",
    "transfer_sethost_to_idle_module",
    "find_host_by_module",
    "clone_host_property",
    "add_host_lock",
    "delete_host_lock",
    "search_host_lock",
    "get_operation_log",
]
CC_GET = ["get_host_base_info", "get_biz_internal_module", "search_biz_inst_topo", "get_mainline_object_topo"]
# Methods as the doc gives them (get_job_instance_log's is undocumented: GET, like its siblings).
JOB_POST = [
    "fast_execute_script",
    "fast_push_file",
    "execute_job",
    "get_step_instance_status",
    "save_cron",
    "update_cron_status",
]
JOB_GET = [
    "get_job_instance_status",
    "get_job_instance_log",
    "get_job_list",
    "get_job_detail",
    "get_script_list",
    "get_script_detail",
    "get_os_account",
    "get_own_db_account_list",
    "get_cron_list",
]
GSE_POST = ["get_agent_status", "get_agent_info"]
NODEMAN_POST = ["create_task", "get_task_info"]


def _group(
    system: str, post: list[str], get: list[str], published: type[OperationGroup] = OperationGroup
) -> type[OperationGroup]:
    """`published`'s operations, plus those of `post`/`get` it lacks, plus each operation sent with
    the other method (`name__get` / `name__post`) for endpoints the doc allows both ways."""
    attributes: dict[str, Any] = {}
    for name, method in [*((n, "POST") for n in post), *((n, "GET") for n in get)]:
        path = f"/api/c/compapi{{bk_api_ver}}/{system}/{name}/"
        if not hasattr(published, name):
            attributes[name] = bind_property(Operation, name=name, method=method, path=path)
        other = "GET" if method == "POST" else "POST"
        attributes[f"{name}__{other.lower()}"] = bind_property(Operation, name=name, method=other, path=path)
    return type(f"{system.title()}Group", (published,), attributes)


class LegacyClient(ComponentClient):  # type: ignore[misc]
    cc = bind_property(_group("cc", CC_POST, CC_GET, CcGroup), name="cc")
    gse = bind_property(_group("gse", GSE_POST, [], GseGroup), name="gse")
    job = bind_property(_group("job", JOB_POST, JOB_GET), name="job")
    nodeman = bind_property(_group("nodeman", NODEMAN_POST, []), name="nodeman")


def make_client(
    base_url: str, *, app_code: str, app_secret: str, username: str | None = None, bk_token: str | None = None
) -> LegacyClient:
    client = LegacyClient(endpoint=base_url, bk_api_ver="v2")
    auth: dict[str, str] = {"bk_app_code": app_code, "bk_app_secret": app_secret}
    if username:
        auth["bk_username"] = username
    if bk_token:
        auth["bk_token"] = bk_token
    client.update_bkapi_authorization(**auth)
    return client
