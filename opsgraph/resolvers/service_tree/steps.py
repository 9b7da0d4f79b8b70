"""OpenC3 job steps (`plugin_type` cmd, scp, approval): checking one as a client sends it.

A checked step is a plain dict of OpenC3's own fields (strings, as upstream stores them), kept on
the JobStep beside our normalised settings so a job reads back as it was written. Script bodies
are kept decoded (upstream stores them base64 and decodes them on read).

Doc and code disagree on the spelling of the host-list node type: the doc says `buildin`, the code
`builtin`; both are accepted and stored as the doc writes it. Likewise the doc's step list omits
`variable` for scp sources and destinations, which the code accepts; so do we.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.core.errors import ValidationFailed

PLUGIN_TYPES = ("cmd", "scp", "approval")
NODE_TYPES = ("buildin", "builtin", "group", "variable")
SCRIPT_TYPES = ("cite", "content", "shell", "perl", "python", "php", "buildin", "auto")
SRC_TYPES = ("buildin", "builtin", "group", "variable", "fileserver", "ci")
DST_TYPES = ("buildin", "builtin", "group", "variable")
DEPLOY_ENVS = ("test", "online", "always")
ACTIONS = ("deploy", "rollback", "always")
BATCHES = ("firsttime", "thelasttime", "notfirsttime", "notthelasttime", "always")
ON_OFF = ("on", "off")
DEFAULT_TIMEOUT, APPROVAL_TIMEOUT, MAX_TIMEOUT = 60, 86400, 86400
MAX_STEPS = 100
MAX_SCRIPT_BYTES = 1 << 20

_USER = re.compile(r"^[a-zA-Z0-9_\-]+$")
_NODES = re.compile(r"^[a-zA-Z0-9\.,\-_\s\$\{\}]+$")
_APPROVER = re.compile(r"^[a-zA-Z0-9,@_\-\.%\s\$\{\}]+$")
_OWNER = re.compile(r"^[a-zA-Z0-9\-_:\.]+$")
_MODE = re.compile(r"^[0-7]{3,4}$")
_GROUP_ID = re.compile(r"^\d+$")
_VARIABLE = re.compile(r"^\$\{?[a-zA-Z][a-zA-Z0-9_]+\}?$")
_TEXT_FIELDS = (
    "name",
    "user",
    "node_type",
    "node_cont",
    "scripts_type",
    "scripts_cont",
    "scripts_argv",
    "src_type",
    "src",
    "dst_type",
    "dst",
    "sp",
    "dp",
    "chown",
    "chmod",
    "cont",
    "approver",
    "deployenv",
    "action",
    "batches",
    "everyone",
)


def fail(where: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"check format fail {where}: {why}", field=where)


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = False, limit: int = 4096) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise fail(f"{where}.{key}", "is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail(f"{where}.{key}", "must be text")
    text = str(value)
    if len(text.encode()) > limit:
        raise fail(f"{where}.{key}", f"is longer than {limit} bytes")
    return text


def _choice(raw: dict[str, Any], key: str, where: str, options: tuple[str, ...], default: str = "") -> str:
    value = _text(raw, key, where) or default
    if value not in options:
        raise fail(f"{where}.{key}", f"must be one of {', '.join(options)}")
    return value


def _timeout(raw: dict[str, Any], where: str, default: int) -> int:
    value = raw.get("timeout")
    if value in (None, ""):
        return default
    text = str(value)
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= MAX_TIMEOUT:
        raise fail(f"{where}.timeout", f"must be seconds in 1..{MAX_TIMEOUT}")
    return int(text)


def _nodes(raw: dict[str, Any], type_key: str, cont_key: str, where: str, options: tuple[str, ...]) -> dict[str, str]:
    kind = _choice(raw, type_key, where, options)
    cont = _text(raw, cont_key, where, required=kind != "fileserver", limit=1 << 20)
    if kind in ("buildin", "builtin") and not _NODES.match(cont):
        raise fail(f"{where}.{cont_key}", "must be host IPs or names separated by commas")
    if kind == "group" and not _GROUP_ID.match(cont):
        raise fail(f"{where}.{cont_key}", "must be a node group id")
    if kind == "variable" and not _VARIABLE.match(cont.strip()):
        raise fail(f"{where}.{cont_key}", "must name a variable, like $ip")
    return {type_key: "buildin" if kind == "builtin" else kind, cont_key: cont}


def parse_step(raw: Any, where: str, *, standalone: bool = False) -> dict[str, Any]:
    """One step as stored: OpenC3's fields, checked. `standalone`: a plugin_* task (no `variable`
    node type there, and plugin_cmd's scripts_type names the language directly)."""
    if not isinstance(raw, dict):
        raise fail(where, "must be an object")
    plugin = _choice(raw, "plugin_type", where, PLUGIN_TYPES)
    step: dict[str, Any] = {"plugin_type": plugin, "name": _text(raw, "name", where, required=True, limit=256)}
    step["pause"] = _text(raw, "pause", where, limit=64)
    if plugin == "approval":
        step["timeout"] = _timeout(raw, where, APPROVAL_TIMEOUT)
        step["cont"] = _text(raw, "cont", where, required=True)
        step["approver"] = _text(raw, "approver", where, required=True, limit=2048)
        if not _APPROVER.match(step["approver"]):
            raise fail(f"{where}.approver", "must be user names separated by commas")
        step["deployenv"] = _choice(raw, "deployenv", where, DEPLOY_ENVS, "always")
        step["action"] = _choice(raw, "action", where, ACTIONS, "always")
        step["batches"] = _choice(raw, "batches", where, BATCHES, "always")
        step["everyone"] = _choice(raw, "everyone", where, ON_OFF, "off")
        return step
    step["timeout"] = _timeout(raw, where, DEFAULT_TIMEOUT)
    step["user"] = _text(raw, "user", where, required=True, limit=64)
    if not _USER.match(step["user"]):
        raise fail(f"{where}.user", "must be an account name ([a-zA-Z0-9_-]+)")
    step["deployenv"] = _choice(raw, "deployenv", where, DEPLOY_ENVS, "always")
    step["action"] = _choice(raw, "action", where, ACTIONS, "always")
    step["batches"] = _choice(raw, "batches", where, BATCHES, "always")
    if plugin == "cmd":
        node_types = NODE_TYPES if not standalone else ("buildin", "builtin", "group")
        step.update(_nodes(raw, "node_type", "node_cont", where, node_types))
        step["scripts_type"] = _choice(raw, "scripts_type", where, SCRIPT_TYPES)
        step["scripts_cont"] = _text(raw, "scripts_cont", where, required=True, limit=MAX_SCRIPT_BYTES)
        if step["scripts_type"] == "cite" and not _GROUP_ID.match(step["scripts_cont"]):
            raise fail(f"{where}.scripts_cont", "must be a script id when scripts_type is cite")
        step["scripts_argv"] = _text(raw, "scripts_argv", where, limit=64 * 1024)
        return step
    step.update(_nodes(raw, "src_type", "src", where, SRC_TYPES))
    step.update(_nodes(raw, "dst_type", "dst", where, DST_TYPES))
    step["sp"] = _text(raw, "sp", where, required=True, limit=4096)
    step["dp"] = _text(raw, "dp", where, required=True, limit=4096)
    if step["src_type"] == "fileserver" and ("/" in step["sp"] or "'" in step["sp"]):
        raise fail(f"{where}.sp", "names a file of the file store (no /)")
    step["chown"] = _text(raw, "chown", where, limit=128)
    if step["chown"] and not _OWNER.match(step["chown"]):
        raise fail(f"{where}.chown", "must be a user (or user:group)")
    step["chmod"] = _text(raw, "chmod", where, limit=8)
    if step["chmod"] and not _MODE.match(step["chmod"]):
        raise fail(f"{where}.chmod", "must be octal permissions like 644")
    scp_delete = str(raw.get("scp_delete") or "0")
    if scp_delete not in ("0", "1"):
        raise fail(f"{where}.scp_delete", "must be 0 or 1")
    step["scp_delete"] = scp_delete
    return step


def parse_steps(raw: Any, where: str = "data") -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise fail(where, "must be a non-empty list of steps")
    if len(raw) > MAX_STEPS:
        raise fail(where, f"has more than {MAX_STEPS} steps")
    return [parse_step(item, f"{where}[{index}]") for index, item in enumerate(raw)]


def public_step(step: dict[str, Any], uuid: str) -> dict[str, Any]:
    """A stored step as OpenC3 answers it (its plugin uuid and every field it has)."""
    shown = {key: step[key] for key in ("plugin_type", *_TEXT_FIELDS, "timeout", "pause", "scp_delete") if key in step}
    shown["uuid"] = uuid
    return shown
