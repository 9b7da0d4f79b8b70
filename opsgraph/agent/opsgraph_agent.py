#!/usr/bin/env python3
"""The OpsGraph agent: reports this host to the OpsGraph server with a signed heartbeat.

    python3 opsgraph_agent.py --config /opt/opsgraph-agent/<host id>/agent.json

The config (written by the server at install) is {"server", "host_id", "token", "interval"}. Every
`interval` seconds the agent POSTs {server}/api/agent/heartbeat with JSON facts about the host and the
header `X-OpsGraph-Agent: <host_id>:<unix_ms>:<nonce>:<hmac>`, where hmac is the hex HMAC-SHA256,
keyed by the token, of `<host_id>:<unix_ms>:<nonce>:<sha256 hex of the body>`. The server refuses
a wrong signature, an old timestamp and a replayed one.

With each heartbeat it also reports monitoring data: host metrics (CPU, memory, disk per mount,
network per interface, load, uptime, process count), the output of the collectors deployed into
`collectors/` beside its config (scripts run every period; log files counted for keywords), the
results of the uptime checks the server's last reply asked for, and the components (redis, mysql,
nginx…) found listening on the host.

It writes `agent.pid` next to its config, keeps going while the server is unreachable, and exits
cleanly on SIGTERM. It runs on the managed host, so it needs nothing but python3 (3.6 or newer):
standard library only, and it never imports opsgraph.
"""

import argparse
import contextlib
import glob
import hashlib
import hmac
import json
import os
import platform
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

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


def beat(config: Dict[str, Any], monitor: "Optional[Monitor]" = None) -> int:
    """Send one heartbeat; the interval the server asks for. Raises on any failure."""
    host_id = int(config["host_id"])
    report = facts(host_id)
    if monitor is not None:
        report.update(monitor.report())
    body = json.dumps(report, separators=(",", ":"), sort_keys=True).encode()
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
    if not isinstance(answer, dict):
        answer = {}
    if monitor is not None:
        monitor.accepted(answer.get("checks") or [])
    return clamp_interval(answer.get("interval"), int(config["interval"]))


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


# --- monitoring: host metrics, collectors, uptime checks, components ------------------------------

REAL_FILESYSTEMS = {"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "vfat", "ntfs", "f2fs", "reiserfs", "jfs"}
MAX_DEVICES = 32
MAX_PENDING = 1500  # collector points / check results kept while the server is unreachable
COMPONENT_EVERY = 10.0  # seconds between two scans for listening components
SCRIPT_TIMEOUT = 30.0
LOG_READ_LIMIT = 4 * 1024 * 1024
COMPONENT_NAMES = {
    "redis-server": "redis",
    "mysqld": "mysql",
    "mariadbd": "mysql",
    "nginx": "nginx",
    "httpd": "apache",
    "apache2": "apache",
    "mongod": "mongodb",
    "memcached": "memcache",
    "postgres": "postgresql",
    "haproxy": "haproxy",
    "consul": "consul",
    "rabbitmq-server": "rabbitmq",
    "beam.smp": "rabbitmq",
}
COMPONENT_PORTS = {
    6379: "redis",
    3306: "mysql",
    5432: "postgresql",
    27017: "mongodb",
    11211: "memcache",
    9200: "elastic",
    2181: "zookeeper",
    9092: "kafka",
    5672: "rabbitmq",
    8500: "consul",
    1433: "mssql",
    1521: "oracle",
}
INTERPRETERS = {"shell": ["/bin/sh"], "python": ["python3"], "perl": ["perl"], "bat": [], "custom": []}
LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s+(-?[0-9.eE+-]+)\s*$")
LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def _numbers(path: str) -> Dict[str, int]:
    values = {}
    for line in _read(path).splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[name.strip()] = int(fields[0])
    return values


def cpu_times() -> Optional[List[int]]:
    first = _read("/proc/stat").splitlines()[:1]
    if not first or not first[0].startswith("cpu "):
        return None
    return [int(v) for v in first[0].split()[1:9]]


def disk_usage() -> List[Dict[str, Any]]:
    disks, seen = [], set()
    for line in _read("/proc/mounts").splitlines():
        fields = line.split()
        if len(fields) < 3 or (fields[2] not in REAL_FILESYSTEMS and fields[1] != "/") or fields[0] in seen:
            continue
        try:
            stats = os.statvfs(fields[1])
        except OSError:
            continue
        seen.add(fields[0])
        total = stats.f_blocks * stats.f_frsize
        free = stats.f_bavail * stats.f_frsize
        used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
        in_use = 100.0 * used / (used + free) if used + free else 0.0
        disks.append(
            {
                "device_name": fields[0][:256],
                "mount_point": fields[1][:256],
                "total": total,
                "used": used,
                "free": free,
                "in_use": round(in_use, 3),
            }
        )
        if len(disks) >= MAX_DEVICES:
            break
    return disks


def net_counters() -> Dict[str, List[int]]:
    counters = {}
    for line in _read("/proc/net/dev").splitlines()[2:]:
        name, _, rest = line.partition(":")
        fields = rest.split()
        if name.strip() != "lo" and len(fields) >= 10:
            counters[name.strip()[:256]] = [int(fields[0]), int(fields[1]), int(fields[8]), int(fields[9])]
    return dict(list(counters.items())[:MAX_DEVICES])


class HostSampler:
    """CPU and network rates are differences between two samples; the first sample has none."""

    def __init__(self) -> None:
        self.cpu = None  # type: Optional[List[int]]
        self.net = {}  # type: Dict[str, List[int]]
        self.at = 0.0

    def sample(self) -> Dict[str, Any]:
        now = time.monotonic()
        metrics = {}  # type: Dict[str, Any]
        cpu = cpu_times()
        if cpu is not None and self.cpu is not None:
            delta = [a - b for a, b in zip(cpu, self.cpu, strict=False)]
            total = float(sum(delta)) or 1.0
            idle = delta[3] + delta[4]
            metrics["cpu"] = {
                "usage": round(100.0 * (1 - idle / total), 3),
                "idle": round(100.0 * delta[3] / total, 3),
                "iowait": round(100.0 * delta[4] / total, 3),
                "user": round(100.0 * delta[0] / total, 3),
                "system": round(100.0 * delta[2] / total, 3),
            }
        mem = _numbers("/proc/meminfo")
        if mem.get("MemTotal"):
            total_mem = mem["MemTotal"] * 1024
            available = mem.get("MemAvailable", mem.get("MemFree", 0) + mem.get("Cached", 0)) * 1024
            metrics["mem"] = {
                "total": total_mem,
                "free": available,
                "used": total_mem - available,
                "pct_used": round(100.0 * (total_mem - available) / total_mem, 3),
            }
        metrics["disk"] = disk_usage()
        counters = net_counters()
        elapsed = now - self.at
        if self.net and elapsed > 0:
            metrics["net"] = [
                {
                    "device_name": name,
                    "speed_recv": round((c[0] - self.net[name][0]) / elapsed, 3),
                    "speed_packets_recv": round((c[1] - self.net[name][1]) / elapsed, 3),
                    "speed_sent": round((c[2] - self.net[name][2]) / elapsed, 3),
                    "speed_packets_sent": round((c[3] - self.net[name][3]) / elapsed, 3),
                }
                for name, c in counters.items()
                if name in self.net
            ]
        load = load_average()
        if len(load) == 3:
            metrics["load"] = {"load1": load[0], "load5": load[1], "load15": load[2]}
        procs = sum(1 for entry in os.listdir("/proc") if entry.isdigit()) if os.path.isdir("/proc") else 0
        metrics["env"] = {"uptime": uptime() or 0.0, "procs": procs}
        self.cpu, self.net, self.at = cpu, counters, now
        return metrics


def parse_output(text: str, spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Collector script output, one `metric{dim="v",…} value` (or `metric value`) per line."""
    points = []
    metrics, dims = set(spec.get("metrics") or []), set(spec.get("dimensions") or [])
    for line in text.splitlines()[:1000]:
        found = LINE.match(line)
        if not found or found.group(1) not in metrics:
            continue
        labels = {k: v for k, v in LABEL.findall(found.group(2) or "") if k in dims}
        try:
            value = float(found.group(3))
        except ValueError:
            continue
        points.append(
            {"table": spec["table"], "metric": found.group(1), "value": value, "dims": labels, "ts": int(time.time())}
        )
    return points


def run_script(directory: str, spec: Dict[str, Any]) -> str:
    script = os.path.join(directory, "{}.script".format(spec["id"]))
    run = str(spec.get("run") or "")
    env = dict(os.environ, bk_script_name=script, **{str(k): str(v) for k, v in (spec.get("params") or {}).items()})
    if run:
        command = ["/bin/sh", "-c", run.replace("${bk_script_name}", shlex.quote(script))]
    else:
        command = [*INTERPRETERS.get(spec.get("ext") or "shell", []), script]
    done = subprocess.run(
        command,
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        timeout=min(SCRIPT_TIMEOUT, float(spec.get("period") or 60)),
    )
    return done.stdout.decode("utf-8", "replace")


def line_matches(line: str, sep: str, conditions: List[Dict[str, Any]]) -> bool:
    columns = line.split(sep) if sep else [line]
    for condition in conditions:
        index = int(condition.get("index") or 0)
        text = line if index == 0 else (columns[index - 1] if index <= len(columns) else "")
        op, value = condition.get("op", "include"), str(condition.get("value", ""))
        ok = {
            "=": text == value,
            "!=": text != value,
            "include": value in text,
            "exclude": value not in text,
            "reg": re.search(value, text) is not None if op == "reg" else False,
        }.get(op, False)
        if not ok:
            return False
    return True


class LogCounter:
    """New lines of a log file since the last read (rotation resets the offset)."""

    def __init__(self) -> None:
        self.offsets = {}  # type: Dict[str, int]

    def count(self, spec: Dict[str, Any]) -> List[Dict[str, Any]]:
        path = spec["path"]
        try:
            size = os.path.getsize(path)
        except OSError:
            return []
        offset = self.offsets.get(path)
        if offset is None or size < offset:
            offset = size if offset is None else 0  # first sight: count from now on
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(LOG_READ_LIMIT)
        complete = data.rfind(b"\n") + 1
        self.offsets[path] = offset + complete
        lines = data[:complete].decode(spec.get("encoding") or "utf-8", "replace").splitlines()
        matched = sum(1 for line in lines if line_matches(line, spec.get("sep") or "", spec.get("conditions") or []))
        now = int(time.time())
        return [
            {"table": spec["table"], "metric": "lines", "value": len(lines), "dims": {}, "ts": now},
            {"table": spec["table"], "metric": "matched", "value": matched, "dims": {}, "ts": now},
        ]


def probe(check: Dict[str, Any]) -> Tuple[bool, str]:
    config, target = check.get("config") or {}, str(check.get("target") or "")
    timeout = max(float(config.get("timeout") or 3000) / 1000.0, 0.1)
    expected, fmt = config.get("response"), config.get("response_format") or "in"

    def matches(body: str) -> bool:
        if not expected:
            return True
        if fmt == "reg":
            return re.search(expected, body) is not None
        return (expected in body) if fmt == "in" else (expected not in body)

    try:
        if check.get("protocol") == "HTTP":
            context = ssl._create_unverified_context() if config.get("insecure_skip_verify") else None
            headers = {h["key"]: h["value"] for h in config.get("headers") or []}
            data = str(config["request"]).encode() if config.get("request") else None
            request = urllib.request.Request(target, data=data, method=config.get("method") or "GET", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                    status, body = response.status, response.read(65536).decode("utf-8", "replace")
            except urllib.error.HTTPError as error:
                status, body = error.code, ""
            wanted = str(config.get("response_code") or "")
            if (wanted and str(status) != wanted) or (not wanted and status >= 400):
                return False, f"status {status}"
            return (True, "") if matches(body) else (False, "the response does not match")
        host, _, port = target.rpartition(":")
        if check.get("protocol") == "UDP":
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(timeout)
                sock.sendto((config.get("request") or "ping").encode(), (host, int(port)))
                answer = sock.recvfrom(65536)[0].decode("utf-8", "replace")
            return (True, "") if matches(answer) else (False, "the response does not match")
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            if config.get("request"):
                sock.sendall(str(config["request"]).encode())
            if expected:
                answer = sock.recv(65536).decode("utf-8", "replace")
                return (True, "") if matches(answer) else (False, "the response does not match")
        return True, ""
    except (OSError, ValueError) as error:
        return False, (f"{type(error).__name__}: {error}")[:256]


def listening_components() -> List[Dict[str, Any]]:
    """Known components among the listening TCP sockets: by process name where /proc lets us see
    the owner, else by the component's well-known port."""
    sockets = {}  # inode -> port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in _read(table).splitlines()[1:]:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A":
                sockets[fields[9]] = int(fields[1].rsplit(":", 1)[1], 16)
    owners = {}  # type: Dict[str, Tuple[Optional[int], str]]
    for fd in glob.glob("/proc/[0-9]*/fd/*"):
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in sockets:
            owner = int(fd.split("/")[2])
            owners[link[8:-1]] = (owner, _read(f"/proc/{owner}/comm").strip())
    found = {}  # type: Dict[Tuple[str, int], Optional[int]]
    for inode, port in sockets.items():
        pid, command = owners.get(inode, (None, ""))
        name = COMPONENT_NAMES.get(command) or COMPONENT_PORTS.get(port)
        if name:
            found[(name, port)] = pid
    return [{"component": n, "port": p, "pid": pid} for (n, p), pid in sorted(found.items())][:100]


class Monitor:
    """What goes into each heartbeat besides the facts; pending items stay until a beat is accepted."""

    def __init__(self, directory: str) -> None:
        self.directory = os.path.join(directory, "collectors")
        self.sampler = HostSampler()
        self.logs = LogCounter()
        self.metrics = {}  # type: Dict[str, Any]
        self.pending = []  # type: List[Dict[str, Any]]
        self.results = []  # type: List[Dict[str, Any]]
        self.components = None  # type: Optional[List[Dict[str, Any]]]
        self.checks = []  # type: List[Dict[str, Any]]
        self.due = {}  # type: Dict[str, float]
        self.scanned = 0.0
        self.sent = (0, 0)

    def collect(self) -> None:
        now = time.time()
        try:
            self.metrics = self.sampler.sample()
        except (OSError, ValueError) as error:
            log(f"host metrics failed: {error}")
        for path in sorted(glob.glob(os.path.join(self.directory, "*.json"))):
            try:
                with open(path, encoding="utf-8") as handle:
                    spec = json.load(handle)
                key = "collector:{}".format(spec["id"])
                if now < self.due.get(key, 0):
                    continue
                self.due[key] = now + max(1, int(spec.get("period") or 60))
                if spec.get("kind") == "log":
                    self.pending.extend(self.logs.count(spec))
                else:
                    self.pending.extend(parse_output(run_script(self.directory, spec), spec))
            except (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError) as error:
                log(f"collector {os.path.basename(path)} failed: {error}")
        for check in self.checks:
            key = "check:{}:{}:{}".format(check.get("task_id"), check.get("node_id"), check.get("target"))
            if now < self.due.get(key, 0):
                continue
            self.due[key] = now + max(1, int(check.get("period") or 60))
            started = time.monotonic()
            available, reason = probe(check)
            self.results.append(
                {
                    "task_id": check["task_id"],
                    "node_id": check["node_id"],
                    "target": check["target"],
                    "available": 1 if available else 0,
                    "error": reason,
                    "ts": int(now),
                    "duration_ms": round((time.monotonic() - started) * 1000, 3),
                }
            )
        if now - self.scanned >= COMPONENT_EVERY:
            self.scanned = now
            try:
                self.components = listening_components()
            except (OSError, ValueError) as error:
                log(f"component scan failed: {error}")
        self.pending = self.pending[-MAX_PENDING:]
        self.results = self.results[-MAX_PENDING:]

    def report(self) -> Dict[str, Any]:
        self.sent = (len(self.pending), len(self.results))
        report = {"metrics": self.metrics}  # type: Dict[str, Any]
        if self.pending:
            report["collected"] = self.pending[: self.sent[0]]
        if self.results:
            report["checks"] = self.results[: self.sent[1]]
        if self.components is not None:
            report["components"] = self.components
        return report

    def accepted(self, checks: List[Dict[str, Any]]) -> None:
        """The server stored the report: drop what was sent, adopt the checks it asks for now."""
        self.pending = self.pending[self.sent[0] :]
        self.results = self.results[self.sent[1] :]
        self.components = None
        self.checks = [c for c in checks if isinstance(c, dict) and "task_id" in c and "target" in c]


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
    monitor = Monitor(os.path.dirname(os.path.abspath(config_path)))
    try:
        while not _stopping:
            started = time.monotonic()
            try:
                monitor.collect()
                interval = beat(config, monitor)
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
