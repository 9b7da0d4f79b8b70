"""An uptime task's `collector_conf.config`, validated and normalised (bk-monitor v2 shapes).

TCP/UDP: {ip_list, port, period (minutes, default 1), timeout (ms, default 3000), response,
response_format in|nin|reg (default in), request (UDP payload / TCP data to send)}.
HTTP: {urls (one URL, or a list), method, headers ([{key, value}] or an object), insecure_skip_verify,
response_code ("" = any status below 400), response, response_format, request (body), timeout, period}.
OpsGraph extension: `period_seconds` (5..86400) overrides `period` for checks more frequent than a minute.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.monitoring_checks import UptimeProtocol

FORMATS = ("in", "nin", "reg")
METHODS = ("GET", "POST", "PUT", "HEAD", "PATCH", "DELETE", "OPTIONS")
MAX_TARGETS = 100


def _bad(message: str, where: str) -> ValidationFailed:
    return ValidationFailed(message, field=where)


def protocol_of(value: Any, where: str = "protocol") -> UptimeProtocol:
    try:
        return UptimeProtocol(str(value or "").upper())
    except ValueError as exc:
        raise _bad(f"{where} must be TCP, UDP or HTTP", where) from exc


def _int(value: Any, where: str, low: int, high: int, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(f"{where} must be an integer", where)
    try:
        number = int(value)
    except ValueError as exc:
        raise _bad(f"{where} must be an integer", where) from exc
    if not low <= number <= high:
        raise _bad(f"{where} must be between {low} and {high}", where)
    return number


def _text(value: Any, where: str, limit: int = 4096) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(f"{where} must be text of at most {limit} characters", where)
    return value


def normalise_config(protocol: UptimeProtocol, raw: Any, where: str = "config") -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _bad(f"{where} must be an object", where)
    period = _int(raw.get("period"), f"{where}.period", 1, 1440, 1) * 60
    if raw.get("period_seconds") not in (None, ""):
        period = _int(raw.get("period_seconds"), f"{where}.period_seconds", 1, 86400, period)
    response_format = raw.get("response_format") or "in"
    if response_format not in FORMATS:
        raise _bad(f"{where}.response_format must be in, nin or reg", f"{where}.response_format")
    response = _text(raw.get("response"), f"{where}.response")
    if response is not None and response_format == "reg":
        try:
            re.compile(response)
        except re.error as exc:
            raise _bad(f"{where}.response is not a valid regular expression", f"{where}.response") from exc
    config: dict[str, Any] = {
        "period": period // 60 or 1,
        "period_seconds": period,
        "timeout": _int(raw.get("timeout"), f"{where}.timeout", 100, 60000, 3000),
        "response": response,
        "response_format": response_format,
        "request": _text(raw.get("request"), f"{where}.request"),
    }
    if protocol is UptimeProtocol.HTTP:
        urls = raw.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not urls or len(urls) > MAX_TARGETS:
            raise _bad(f"{where}.urls must name 1 to {MAX_TARGETS} URLs", f"{where}.urls")
        for url in urls:
            parts = urlsplit(url) if isinstance(url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048:
                raise _bad(f"{where}.urls must be http(s) URLs, got {url!r}", f"{where}.urls")
        method = str(raw.get("method") or "GET").upper()
        if method not in METHODS:
            raise _bad(f"{where}.method must be one of {', '.join(METHODS)}", f"{where}.method")
        headers = raw.get("headers") or []
        if isinstance(headers, dict):
            headers = [{"key": k, "value": v} for k, v in headers.items()]
        if not isinstance(headers, list) or not all(
            isinstance(h, dict) and isinstance(h.get("key"), str) and isinstance(h.get("value"), str) for h in headers
        ):
            raise _bad(f"{where}.headers must be a list of {{key, value}}", f"{where}.headers")
        code = raw.get("response_code")
        config |= {
            "urls": urls,
            "method": method,
            "headers": headers[:50],
            "insecure_skip_verify": bool(raw.get("insecure_skip_verify", False)),
            "response_code": "" if code in (None, "") else str(_int(code, f"{where}.response_code", 100, 599, 200)),
        }
        return config
    ips = raw.get("ip_list")
    if not isinstance(ips, list) or not ips or len(ips) > MAX_TARGETS:
        raise _bad(f"{where}.ip_list must name 1 to {MAX_TARGETS} addresses", f"{where}.ip_list")
    for ip in ips:
        try:
            ipaddress.ip_address(str(ip))
        except ValueError as exc:
            raise _bad(f"{where}.ip_list holds {ip!r}, not an IP address", f"{where}.ip_list") from exc
    port = raw.get("port")
    if port is None or port == "":
        raise _bad(f"{where}.port is required", f"{where}.port")
    config |= {"ip_list": [str(ip) for ip in ips], "port": _int(port, f"{where}.port", 1, 65535, 0)}
    return config


def targets(protocol: UptimeProtocol, config: dict[str, Any]) -> list[str]:
    if protocol is UptimeProtocol.HTTP:
        return list(config["urls"])
    return [f"{ip}:{config['port']}" for ip in config["ip_list"]]
