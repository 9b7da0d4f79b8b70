#!/usr/bin/env python3
"""The OpsGraph agent: reports this host to the OpsGraph server with a signed heartbeat.

    python3 opsgraph_agent.py --config /opt/opsgraph-agent/<host id>/agent.json

The config (written by the server at install) is {"server", "host_id", "token", "interval"}. Every
`interval` seconds the agent POSTs {server}/api/agent/heartbeat with JSON facts about the host and the
header `X-OpsGraph-Agent: <host_id>:<unix_ms>:<nonce>:<hmac>`, where hmac is the hex HMAC-SHA256,
keyed by the token, of `<host_id>:<unix_ms>:<nonce>:<sha256 hex of the body>`. The server refuses
a wrong signature, an old timestamp and a replayed one.

It writes `agent.pid` next to its config, keeps going while the server is unreachable, and exits
cleanly on SIGTERM. It runs on the managed host, so it needs nothing but python3 (3.6 or newer):
standard library only, and it never imports opsgraph.
"""

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import platform
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

VERSION = "1.0.0"
HEADER = "X-OpsGraph-Agent"
PATH = "/api/agent/heartbeat"
PID_FILE = "agent.pid"
MIN_INTERVAL, MAX_INTERVAL = 1, 3600
REQUEST_TIMEOUT = 10.0
TICK = 0.2  # how often the sleeping loop looks at the stop flag
LOG_EVERY_FAILURES = 100  # while the server stays unreachable, say so once per this many attempts

_stopping = False


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    sys.stdout.write(f"{stamp} {message}\n")
    sys.stdout.flush()


def load_config(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle)
    if not isinstance(config, dict):
        raise ValueError("the config is not a JSON object")
    for key in ("server", "host_id", "token"):
        if not config.get(key):
            raise ValueError(f"the config has no {key!r}")
    if not str(config["server"]).startswith(("http://", "https://")):
        raise ValueError("server must be an http(s) URL")
    config["interval"] = clamp_interval(config.get("interval"), 15)
    return config


def clamp_interval(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(MIN_INTERVAL, min(MAX_INTERVAL, number))


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return f"{platform.system()} {platform.release()}"


def uptime() -> Optional[float]:
    fields = _read("/proc/uptime").split()
    try:
        return float(fields[0]) if fields else None
    except ValueError:
        return None


def load_average() -> List[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (OSError, AttributeError):
        return []


def facts(host_id: int) -> Dict[str, Any]:
    return {
        "host_id": host_id,
        "version": VERSION,
        "hostname": socket.gethostname(),
        "os": os_name(),
        "kernel": platform.release(),
        "uptime": uptime(),
        "load": load_average(),
    }


def signature_header(host_id: int, token: str, body: bytes) -> str:
    unix_ms = int(time.time() * 1000)
    nonce = os.urandom(8).hex()
    message = f"{host_id}:{unix_ms}:{nonce}:{hashlib.sha256(body).hexdigest()}"
    mac = hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{host_id}:{unix_ms}:{nonce}:{mac}"


def beat(config: Dict[str, Any]) -> int:
    """Send one heartbeat; the interval the server asks for. Raises on any failure."""
    host_id = int(config["host_id"])
    body = json.dumps(facts(host_id), separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(
        str(config["server"]).rstrip("/") + PATH,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "opsgraph-agent/" + VERSION,
            HEADER: signature_header(host_id, str(config["token"]), body),
        },
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        answer = json.loads(response.read().decode() or "{}")
    return clamp_interval(answer.get("interval") if isinstance(answer, dict) else None, int(config["interval"]))


def describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        detail = ""
        with contextlib.suppress(ValueError, OSError, AttributeError):
            detail = json.loads(error.read().decode()).get("error", "")
        return f"HTTP {error.code} {detail}".strip()
    if isinstance(error, urllib.error.URLError):
        return f"cannot reach the server: {error.reason}"
    return f"{type(error).__name__}: {error}"


def write_pid_file(path: str) -> None:
    temporary = f"{path}.{os.getpid()}"
    with open(temporary, "w") as handle:
        handle.write(f"{os.getpid()}\n")
    os.replace(temporary, path)


def remove_pid_file(path: str) -> None:
    """Only our own: a newer agent started in the same directory may have replaced it."""
    if _read(path).strip() == str(os.getpid()):
        with contextlib.suppress(OSError):
            os.remove(path)


def _stop(signum: int, frame: Any) -> None:
    global _stopping
    _stopping = True


def sleep_until(deadline: float) -> None:
    while not _stopping and time.monotonic() < deadline:
        time.sleep(min(TICK, max(0.0, deadline - time.monotonic())))


def run(config_path: str) -> int:
    try:
        config = load_config(config_path)
    except (OSError, ValueError) as error:
        log(f"cannot read the config {config_path}: {error}")
        return 2
    # Out of the installer's SSH session, so closing it never stops the agent; OSError: started
    # through setsid, already a session leader.
    with contextlib.suppress(OSError):
        os.setsid()
    pid_file = os.path.join(os.path.dirname(os.path.abspath(config_path)), PID_FILE)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    write_pid_file(pid_file)
    log(f"opsgraph agent {VERSION} started for host {config['host_id']}, reporting to {config['server']}")
    interval = int(config["interval"])
    failures = 0
    try:
        while not _stopping:
            started = time.monotonic()
            try:
                interval = beat(config)
                if failures:
                    log(f"heartbeat accepted again after {failures} failed attempts")
                failures = 0
            except Exception as error:  # any failure: keep beating, the server may come back
                failures += 1
                if failures == 1 or failures % LOG_EVERY_FAILURES == 0:
                    log(f"heartbeat failed (attempt {failures}): {describe(error)}")
            sleep_until(started + interval)
    finally:
        remove_pid_file(pid_file)
    log("opsgraph agent stopped")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="OpsGraph agent: heartbeats to the OpsGraph server")
    parser.add_argument("--config", required=True, help="path of agent.json")
    parser.add_argument("--version", action="version", version=VERSION)
    return run(parser.parse_args().config)


if __name__ == "__main__":
    sys.exit(main())
