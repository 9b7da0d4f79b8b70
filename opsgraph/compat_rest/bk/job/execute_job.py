"""bk `job` execute_job: run a job template → {job_instance_name, job_instance_id}.

`global_vars` set template variables by `id` or `name` (ids as get_job_detail numbers them): a
string variable takes `value`, an IP variable `ip_list` and/or `custom_query_id` (dynamic groups):
their hosts become the targets of the steps that use it, looked up when the run starts (a group's
hosts as the CMDB has them then), duplicates merged. `steps`, when given, are the steps to run
("指定要执行…的步骤"), each with its documented overrides: targets (`ip_list`, `custom_query_id`),
`account`, the script (`script_id` wins over base64 `script_content`; an unchanged step runs the
script version the template was saved with), its base64 `script_param`, `script_timeout`, and a file
step's `file_target_path` (may hold `[FILESRCIP]`) and `file_source` (as fast_push_file's).

Example (bkapi-client-core):
    client.job.execute_job(data={"bk_biz_id": 2, "bk_job_id": 100,
        "global_vars": [{"name": "greeting", "value": "hello"}],
        "steps": [{"step_id": 7, "ip_list": [{"bk_cloud_id": 0, "ip": "10.0.0.1"}], "account": "root"}]})
    # data: {"job_instance_name": "deploy", "job_instance_id": 10001}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.common import refuse_missing
from opsgraph.compat_rest.bk.job.common import (
    base64_text,
    bk_id,
    business_id,
    dynamic_groups,
    job_route,
    not_supported,
    required_id,
    script_timeout,
    targets,
)
from opsgraph.compat_rest.bk.job.execute import callback, file_sources, script_type, start
from opsgraph.compat_rest.bk.job.templates import variable_ids
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings


@job_route("execute_job", summary="Run a job template, optionally only some steps with overrides → the job instance")
async def execute_job(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    job_id = required_id(params, "bk_job_id", "TEMPLATE_NOT_FOUND")
    template_id = encode_global_id("JobTemplate", job_id)
    document = load_operation(__name__, "job_template_plan.graphql")
    template = (await run_operation(document, {"id": template_id}, principal, settings))["jobTemplate"]
    if template is None or template["bkBizId"] != biz:
        raise refuse_missing(principal, biz, f"job template {job_id} is not in business {biz}", "TEMPLATE_NOT_FOUND")
    run_input: dict[str, Any] = {
        "templateId": template_id,
        "variables": _variables(params, template["variables"]),
        **callback(params),
    }
    if params.get_list("steps", required=False):
        run_input["steps"] = [_step(params, index, item) for index, item in enumerate(params.get_list("steps"))]
    return await start("runJob", "run_job.graphql", {"input": run_input}, principal, settings)


def _variables(params: Params, defaults: dict[str, Any]) -> dict[str, Any]:
    by_id = variable_ids(defaults)
    values: dict[str, Any] = {}
    for index, item in enumerate(params.get_list("global_vars", [], required=False)):
        where = f"global_vars[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{where} must be an object {{id | name, value | ip_list}}", field=where)
        variable = Params(item, prefix=f"{where}.")
        # As documented, `id` is the key; `name` is used when the id is empty.
        variable_id = variable.get_int("id", required=False)
        name = by_id.get(variable_id) if variable_id is not None else variable.get_str("name", required=False)
        if name is None or name not in defaults:
            wanted = f"id {variable_id}" if variable_id is not None else repr(variable.get_str("name", ""))
            raise ValidationFailed(f"{where}: the job template has no global variable {wanted}", field=where)
        values[name] = _value(variable, where, name, is_ip=isinstance(defaults[name], dict))
    return values


def _value(variable: Params, where: str, name: str, *, is_ip: bool) -> Any:
    """A string variable's `value`, or an IP variable's hosts as runJob takes them."""
    hosts_given = variable.has("ip_list") or variable.has("custom_query_id")
    if not is_ip:
        if hosts_given:
            raise ValidationFailed(
                f"{where}: {name!r} is a string variable: give value, not ip_list / custom_query_id", field=where
            )
        return variable.get_str("value", "", required=False)
    if not hosts_given:
        message = f"{where}: {name!r} is an IP variable: give its hosts in ip_list or custom_query_id"
        raise ValidationFailed(message, field=where)
    hosts = targets(variable) or []
    value: dict[str, Any] = {"ip_list": [{"ip": host["ip"], "bk_cloud_id": host["bkCloudId"]} for host in hosts]}
    groups = variable.get_list("custom_query_id", [], required=False)
    if groups:
        value["custom_query_id"] = [str(group) for group in groups]
    return value


def _step(params: Params, index: int, item: Any) -> dict[str, Any]:
    where = f"steps[{index}]"
    if not isinstance(item, dict):
        raise ValidationFailed(f"{where} must be an object with a step_id", field=where)
    step = Params(item, prefix=f"{where}.")
    if step.get_int("db_account_id", 0, required=False):
        raise not_supported(f"{where}: SQL steps (db_account_id) are not supported", step.field("db_account_id"))
    override: dict[str, Any] = {"bkStepId": step.get_int("step_id")}
    script_id = bk_id(step, "script_id", "SCRIPT_NOT_FOUND", required=False)
    if script_id is not None:  # script_id wins over script_content, as documented
        override["scriptId"] = encode_global_id("Script", script_id)
    elif step.has("script_content"):
        override["content"] = base64_text(step, "script_content")
        override["language"] = script_type(step)
    if step.has("script_param"):
        override["params"] = base64_text(step, "script_param")
    override["timeout"] = script_timeout(step, default=None)  # absent: the step's stored timeout
    override["accountAlias"] = step.get_str("account", required=False) or None
    override["hosts"] = targets(step)
    override["dynamicGroupIds"] = dynamic_groups(step)
    override["targetPath"] = step.get_str("file_target_path", required=False) or None
    if step.get_list("file_source", required=False):
        override["files"] = file_sources(step)
    return override
