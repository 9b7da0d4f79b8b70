"""The documented v2 collector shapes, validated and normalised.

Script collector (import_script_collector's collector_conf_list item): {bk_biz_id, name (the
result table, unique in the business), description, charset, fields [{name, description, type
double|long|string, monitor_type metric|dimension, unit}], script_type file|cmd, script_ext,
params_schema [{name, description}], script_run_cmd, script_content_base64, start_cmd,
collect_interval (minutes, default 1), raw_data_interval}. OpsGraph extension:
`collect_interval_seconds` for periods under a minute.

Log collector (import_log_collector's collector_conf): {data_set (the result table), data_desc,
data_encode UTF-8|GBK, sep, log_path, conditions, fields}. The agent counts new lines of the file
per period (`lines`) and those matching every condition (`matched`), for keyword alarms. A
condition is {index (1-based column split by `sep`; 0 or absent: the whole line), op: "=" | "!=" |
"include" | "exclude" | "reg", value}; upstream leaves its shape undocumented.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from opsgraph.core.errors import ValidationFailed

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
SCRIPT_EXTS = ("shell", "bat", "python", "perl", "powershell", "vbs", "custom")
FIELD_TYPES = ("double", "long", "string", "int", "float")
LOG_OPS = ("=", "!=", "include", "exclude", "reg")
MAX_SCRIPT = 256 * 1024


def _bad(message: str, where: str) -> ValidationFailed:
    return ValidationFailed(message, field=where)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise _bad(f"{where} must be an identifier (letters, digits, _; at most 64)", where)
    return value


def _interval(raw: dict[str, Any], where: str) -> int:
    minutes = raw.get("collect_interval", 1)
    seconds = raw.get("collect_interval_seconds")
    try:
        period = int(seconds) if seconds not in (None, "") else int(minutes or 1) * 60
    except (TypeError, ValueError) as exc:
        raise _bad(f"{where}.collect_interval must be an integer", f"{where}.collect_interval") from exc
    if not 1 <= period <= 86400:
        raise _bad(f"{where}.collect_interval must be between 1 second and a day", f"{where}.collect_interval")
    return period


def script_config(raw: Any, where: str) -> tuple[dict[str, Any], int]:
    """(normalised config, period in seconds)."""
    if not isinstance(raw, dict):
        raise _bad(f"{where} must be an object", where)
    name = _name(raw.get("name"), f"{where}.name")
    fields = raw.get("fields")
    if not isinstance(fields, list) or not fields or len(fields) > 50:
        raise _bad(f"{where}.fields must list 1 to 50 fields", f"{where}.fields")
    clean_fields = []
    for i, item in enumerate(fields):
        at = f"{where}.fields[{i}]"
        if not isinstance(item, dict):
            raise _bad(f"{at} must be an object", at)
        kind = item.get("monitor_type", "metric")
        if kind not in ("metric", "dimension"):
            raise _bad(f"{at}.monitor_type must be metric or dimension", f"{at}.monitor_type")
        field_type = item.get("type", "double")
        if field_type not in FIELD_TYPES:
            raise _bad(f"{at}.type must be double, long or string", f"{at}.type")
        if kind == "metric" and field_type == "string":
            raise _bad(f"{at}: a metric must be numeric (double or long)", f"{at}.type")
        clean_fields.append(
            {
                "name": _name(item.get("name"), f"{at}.name"),
                "description": str(item.get("description") or "")[:256],
                "type": field_type,
                "monitor_type": kind,
                "unit": str(item.get("unit") or "")[:32],
            }
        )
    if not any(f["monitor_type"] == "metric" for f in clean_fields):
        raise _bad(f"{where}.fields needs at least one metric", f"{where}.fields")
    script_type = raw.get("script_type") or "file"
    if script_type not in ("file", "cmd"):
        raise _bad(f"{where}.script_type must be file or cmd", f"{where}.script_type")
    ext = raw.get("script_ext") or "shell"
    if ext not in SCRIPT_EXTS:
        raise _bad(f"{where}.script_ext must be one of {', '.join(SCRIPT_EXTS)}", f"{where}.script_ext")
    content = ""
    if script_type == "file":
        encoded = raw.get("script_content_base64")
        if not isinstance(encoded, str) or not encoded:
            raise _bad(f"{where}.script_content_base64 is required for a file script", f"{where}.script_content_base64")
        try:
            content = base64.b64decode("".join(encoded.split()), validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise _bad(
                f"{where}.script_content_base64 is not base64 of UTF-8 text", f"{where}.script_content_base64"
            ) from exc
        if not content.strip() or len(content) > MAX_SCRIPT:
            raise _bad(f"{where}: the script must be 1 byte to {MAX_SCRIPT} bytes", f"{where}.script_content_base64")
    else:
        start_cmd = raw.get("start_cmd")
        if not isinstance(start_cmd, str) or not start_cmd.strip() or len(start_cmd) > 4096:
            raise _bad(f"{where}.start_cmd is required for a cmd script", f"{where}.start_cmd")
    params = raw.get("params_schema") or []
    if not isinstance(params, list) or not all(
        isinstance(p, dict) and NAME.match(str(p.get("name", ""))) for p in params
    ):
        raise _bad(f"{where}.params_schema must be a list of {{name, description}}", f"{where}.params_schema")
    config = {
        "name": name,
        "description": str(raw.get("description") or "")[:1024],
        "charset": raw.get("charset") or "UTF8",
        "fields": clean_fields,
        "script_type": script_type,
        "script_ext": ext,
        "params_schema": [{"name": p["name"], "description": str(p.get("description") or "")} for p in params],
        "script_run_cmd": str(raw.get("script_run_cmd") or "")[:4096],
        "script_content_base64": base64.b64encode(content.encode()).decode() if content else "",
        "start_cmd": raw.get("start_cmd") if script_type == "cmd" else None,
        "collect_interval": max(_interval(raw, where) // 60, 1),
        "raw_data_interval": int(raw.get("raw_data_interval") or 30),
    }
    return config, _interval(raw, where)


def log_config(raw: Any, where: str) -> tuple[dict[str, Any], int]:
    if not isinstance(raw, dict):
        raise _bad(f"{where} must be an object", where)
    name = _name(raw.get("data_set"), f"{where}.data_set")
    path = raw.get("log_path")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 1024 or "\n" in path:
        raise _bad(f"{where}.log_path must be an absolute path", f"{where}.log_path")
    encoding = raw.get("data_encode") or "UTF-8"
    if encoding not in ("UTF-8", "GBK", "UTF8"):
        raise _bad(f"{where}.data_encode must be UTF-8 or GBK", f"{where}.data_encode")
    sep = raw.get("sep")
    if not isinstance(sep, str) or not sep or len(sep) > 8:
        raise _bad(f"{where}.sep is required (1 to 8 characters)", f"{where}.sep")
    conditions = raw.get("conditions") or []
    if not isinstance(conditions, list) or len(conditions) > 20:
        raise _bad(f"{where}.conditions must be a list", f"{where}.conditions")
    clean = []
    for i, item in enumerate(conditions):
        at = f"{where}.conditions[{i}]"
        if (
            not isinstance(item, dict)
            or item.get("op", "include") not in LOG_OPS
            or not isinstance(item.get("value"), str)
        ):
            raise _bad(f"{at} must be {{index, op ({', '.join(LOG_OPS)}), value}}", at)
        if item.get("op") == "reg":
            try:
                re.compile(item["value"])
            except re.error as exc:
                raise _bad(f"{at}.value is not a valid regular expression", f"{at}.value") from exc
        index = item.get("index", 0)
        if not isinstance(index, int) or not 0 <= index <= 100:
            raise _bad(f"{at}.index must be a column number", f"{at}.index")
        clean.append({"index": index, "op": item.get("op", "include"), "value": item["value"][:1024]})
    fields = raw.get("fields") or []
    if not isinstance(fields, list):
        raise _bad(f"{where}.fields must be a list", f"{where}.fields")
    config = {
        "data_set": name,
        "data_desc": str(raw.get("data_desc") or "")[:1024],
        "data_encode": encoding,
        "sep": sep,
        "log_path": path,
        "conditions": clean,
        "fields": [f for f in fields if isinstance(f, dict)][:50],
    }
    return config, _interval(raw, where)
