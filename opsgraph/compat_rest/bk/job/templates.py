"""bk `job` job templates: get_job_list and get_job_detail.

Template variables are strings (bk-job global variable type 1, category 1) or IP variables (type 2,
category 3: `ip_list`, and `step_ids` — the steps that target their hosts); their bk `id` is their
1-based position in name order, which is stable and what execute_job's `global_vars[].id` takes.
A script step shows the version it runs (the one the template was saved with): its content, and
`script_version_id` / `script_version` as bk-job v3 names them. Every
template is tag 1 (uncategorised): OpsGraph has no template tags. OpsGraph does not record who
last changed a template (its audit log does), so `last_modify_user` is the creator.

Example (bkapi-client-core):
    client.job.get_job_detail(params={"bk_biz_id": 2, "bk_job_id": 100})
    # data: {"bk_job_id": 100, "name": "deploy", "step_num": 2, "global_vars": [...], "steps": [...]}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.common import bk_time, refuse_missing
from opsgraph.compat_rest.bk.job.accounts import business_accounts
from opsgraph.compat_rest.bk.job.common import (
    GET,
    business_id,
    business_list,
    day_bound,
    job_route,
    offset_page,
    required_id,
    within,
)
from opsgraph.compat_rest.bk.job.scripts import LANGUAGE_TYPES, fetch_script, version_name
from opsgraph.compat_rest.bk.job.status import step_type
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

TAG_UNCATEGORISED = "1"
_STRING_VARIABLE, _CLOUD_PARAMETER = 1, 1  # global variable type 1 (string), category 1
_IP_VARIABLE, _IP_CATEGORY = 2, 3  # global variable type 2 (IP), category 3


def variable_ids(variables: dict[str, Any]) -> dict[int, str]:
    return {index: name for index, name in enumerate(sorted(variables), start=1)}


@job_route("get_job_list", methods=GET, summary="A business's job templates, filtered and paged by offset")
async def get_job_list(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    biz = business_id(params)
    variables = {"nameContains": params.get_str("name", required=False) or None}
    document = load_operation(__name__, "job_templates.graphql")
    templates = await business_list(document, "jobTemplates", variables, biz, principal, settings)
    created = day_bound(params, "create_time_start", end=False), day_bound(params, "create_time_end", end=True)
    modified = (
        day_bound(params, "last_modify_time_start", end=False),
        day_bound(params, "last_modify_time_end", end=True),
    )
    creator = params.get_str("creator", required=False)
    modifier = params.get_str("last_modify_user", required=False)
    tag = params.get_str("tag_id", required=False)
    chosen = [
        t
        for t in templates
        if (not creator or t["createdBy"] == creator)
        and (not modifier or t["createdBy"] == modifier)
        and (not tag or tag == TAG_UNCATEGORISED)
        and within(t["createdAt"], *created)
        and within(t["updatedAt"], *modified)
    ]
    return [
        {
            "bk_biz_id": t["bkBizId"],
            "bk_job_id": t["bkJobId"],
            "name": t["name"],
            "step_num": len(t["steps"]),
            "tag_id": TAG_UNCATEGORISED,
            "creator": t["createdBy"],
            "create_time": bk_time(t["createdAt"], offset=True),
            "last_modify_user": t["createdBy"],
            "last_modify_time": bk_time(t["updatedAt"], offset=True),
        }
        for t in offset_page(chosen, params)
    ]


@job_route("get_job_detail", methods=GET, summary="One job template with its global variables and steps")
async def get_job_detail(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    job_id = required_id(params, "bk_job_id", "TEMPLATE_NOT_FOUND")
    document = load_operation(__name__, "job_template_detail.graphql")
    variables = {"id": encode_global_id("JobTemplate", job_id)}
    template = (await run_operation(document, variables, principal, settings))["jobTemplate"]
    if template is None or template["bkBizId"] != biz:
        raise refuse_missing(principal, biz, f"job template {job_id} is not in business {biz}", "TEMPLATE_NOT_FOUND")
    details = _StepDetails(template, await business_accounts(biz, principal, settings), principal, settings)
    return {
        "bk_biz_id": template["bkBizId"],
        "bk_job_id": template["bkJobId"],
        "name": template["name"],
        "creator": template["createdBy"],
        "create_time": bk_time(template["createdAt"], offset=True),
        "last_modify_user": template["createdBy"],
        "last_modify_time": bk_time(template["updatedAt"], offset=True),
        "tag_id": TAG_UNCATEGORISED,
        "step_num": len(template["steps"]),
        "global_vars": [
            _global_var(variable_id, name, template["variables"][name], template["steps"])
            for variable_id, name in variable_ids(template["variables"]).items()
        ],
        "steps": [await details.step(step) for step in template["steps"]],
    }


def _global_var(variable_id: int, name: str, value: Any, steps: list[dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {
            "type": _STRING_VARIABLE,
            "id": variable_id,
            "category": _CLOUD_PARAMETER,
            "name": name,
            "value": str(value),
            "description": "",
        }
    return {
        "type": _IP_VARIABLE,
        "id": variable_id,
        "category": _IP_CATEGORY,
        "name": name,
        "ip_list": list(value.get("ip_list") or []),
        "custom_query_id": list(value.get("custom_query_id") or []),
        "step_ids": [s["bkStepId"] for s in steps if s["config"].get("target_variable") == name],
        "description": "",
    }


class _StepDetails:
    """Turns stored step configs (bk ids) into get_job_detail's step objects (aliases, IPs, content)."""

    def __init__(
        self, template: dict[str, Any], accounts: list[dict[str, Any]], principal: Principal, settings: Settings
    ) -> None:
        self.template, self.principal, self.settings = template, principal, settings
        self.aliases = {a["bkAccountId"]: a["alias"] for a in accounts}
        self.default_alias = next((a["alias"] for a in accounts if a["isDefault"]), "")

    async def step(self, step: dict[str, Any]) -> dict[str, Any]:
        config: dict[str, Any] = step["config"]
        common = {
            "step_id": step["bkStepId"],
            # bk-job's manual-confirmation steps are type 3 (the v2 doc lists only 1, 2 and 4).
            "type": step_type(step["kind"].lower()),
            "name": step["name"],
            "block_order": step["position"],
            "block_name": step["name"],
            "order": step["position"],
            "pause": 0,
            "creator": self.template["createdBy"],
            "create_time": bk_time(self.template["createdAt"], offset=True),
            "last_modify_user": self.template["createdBy"],
            "last_modify_time": bk_time(self.template["updatedAt"], offset=True),
            "account": self._alias(config),
            "db_account_id": 0,
            "ip_list": self._ip_list(step),
            "custom_query_id": [],
        }
        if step["kind"] == "SCRIPT":
            return {**common, **await self._script(config, step["scriptVersion"])}
        if step["kind"] == "FILE":
            return {**common, **await self._file(config)}
        return common

    def _alias(self, config: dict[str, Any], default: str | None = None) -> str:
        """The account the step (or a source) logs in with; none stored means the step's account,
        and for the step the business's default at run time."""
        if "account_id" in config:
            return str(self.aliases.get(config["account_id"], ""))
        return str(config.get("account_alias") or (default if default is not None else self.default_alias))

    def _ip_list(self, step: dict[str, Any]) -> list[dict[str, Any]]:
        """The step's stored targets, or the default hosts of the IP variable it targets."""
        variable = step["config"].get("target_variable")
        if variable is not None:
            value = self.template["variables"].get(variable)
            return list(value.get("ip_list") or []) if isinstance(value, dict) else []
        return [{"bk_cloud_id": h["bkCloudId"], "ip": h["innerIp"]} for h in step["hosts"]]

    async def _script(self, config: dict[str, Any], pinned: dict[str, Any] | None) -> dict[str, Any]:
        script_id = config.get("script_id")
        content, language = config.get("content", ""), config.get("language", 1)
        versions: dict[str, Any] = {}
        if script_id is not None:
            script = await fetch_script(script_id, self.principal, self.settings)
            if script is not None:
                # The version the step runs: its pin, or (saved before pins existed) the current one.
                version = pinned or script["currentVersion"]
                content, language = version["content"], LANGUAGE_TYPES[script["language"]]
                if pinned is not None:
                    versions = {
                        "script_version_id": pinned["bkScriptVersionId"],
                        "script_version": version_name(pinned),
                    }
        return {
            "script_id": script_id or 0,
            "script_type": language,
            "script_content": content,
            "script_param": config.get("params", ""),
            "script_timeout": config.get("timeout"),
            "is_param_sensitive": 0,
            **versions,
        }

    async def _file(self, config: dict[str, Any]) -> dict[str, Any]:
        account = self._alias(config)
        by_host: dict[tuple[int, str], list[str]] = {}  # (host, the account reading it) → paths
        uploaded: list[str] = []
        for source in config.get("sources", []):
            if "host_id" in source:
                by_host.setdefault((source["host_id"], self._alias(source, account)), []).append(source["path"])
            else:
                uploaded.append(source["name"])
        file_source = []
        document = load_operation(__name__, "host_address.graphql")
        for (host_id, source_account), paths in by_host.items():
            host = (
                await run_operation(document, {"id": encode_global_id("Host", host_id)}, self.principal, self.settings)
            )["node"]
            ip_list = [{"bk_cloud_id": host["bkCloudId"], "ip": host["innerIp"]}] if host else []
            file_source.append({"files": paths, "account": source_account, "ip_list": ip_list, "custom_query_id": []})
        if uploaded:
            # Content uploaded with the template has no source host; bk-job's shape can only name it.
            file_source.append({"files": uploaded, "account": account, "ip_list": [], "custom_query_id": []})
        return {"file_target_path": config.get("target_path", ""), "file_source": file_source}
