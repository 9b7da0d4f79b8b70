"""A new user's session, run for real: README blocks executed the way a reader runs them.

- Shell blocks run with bash (`set -euo pipefail` added) in a temporary working copy that holds the
  repository's `scripts/` and `pyproject.toml` and a `.venv` made of links to the project's own
  virtualenv. Exported variables carry over from block to block, as in one terminal. A block's
  background jobs (`scripts/serve &`) stay in the process group the block started, which is
  terminated at the end.
- Python blocks run as a file with `.venv/bin/python` in that working copy, with that environment.
- GraphQL operations go to the README's own server (127.0.0.1:8000) like GraphiQL sends them: the
  whole block with an `operationName`; subscriptions over graphql-transport-ws, the token in
  `connection_init`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.readme.readme_blocks import Block

REPOSITORY = Path(__file__).resolve().parents[2]
HOST, PORT = "127.0.0.1", 8000  # where the README's server listens and its examples connect
BASE_URL = f"http://{HOST}:{PORT}"
LOCK = Path("/tmp/opsgraph-readme-examples.lock")  # one README session at a time on this machine
SHELL_TIMEOUT = 120.0
PYTHON_TIMEOUT = 60.0
SUBSCRIPTION_TIMEOUT = 60.0


class BlockFailed(AssertionError):
    pass


@contextmanager
def exclusive_port(timeout: float = 300) -> Iterator[None]:
    """Hold the README lock (other sessions of these tests wait) and insist port 8000 is free."""
    with open(LOCK, "a") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BlockFailed(f"another README example session held {LOCK} for {timeout} s") from None
                time.sleep(0.5)
        try:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((HOST, PORT))
                except OSError as exc:
                    raise BlockFailed(f"{HOST}:{PORT} is in use ({exc}); the README's server listens there") from exc
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def working_copy(root: Path) -> Path:
    """`scripts/`, `pyproject.toml` and a `.venv` of links to the project's virtualenv, with the
    install stamps `scripts/bootstrap` checks, so it runs the repository's code and installs nothing."""
    work = root / "clone"
    work.mkdir()
    shutil.copytree(REPOSITORY / "scripts", work / "scripts")
    shutil.copy2(REPOSITORY / "pyproject.toml", work / "pyproject.toml")
    venv = work / ".venv"
    venv.mkdir()
    for entry in (REPOSITORY / ".venv").iterdir():
        if not entry.name.startswith("."):
            (venv / entry.name).symlink_to(entry)
    digest = hashlib.sha256((work / "pyproject.toml").read_bytes()).hexdigest()
    for extras in ("base", "test"):
        (venv / f".installed-{extras}").write_text(f"{digest}\n")
    return work


class ReadmeSession:
    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work = work
        self.logs = work.parent / "logs"
        self.logs.mkdir(exist_ok=True)
        self.env = dict(env)  # the shell's exported environment, carried across blocks
        self.token: str | None = None
        self.process_groups: list[int] = []
        self.http = httpx.Client(base_url=BASE_URL, timeout=60)

    # -- shell and python ---------------------------------------------------------------------------------

    def run_shell(self, block: Block, extra_env: dict[str, str]) -> str:
        env_file = self.logs / f"{block.name}.env"
        log = self.logs / f"{block.name}.log"
        script = f"set -euo pipefail\n{block.code}\nenv -0 > {shlex.quote(str(env_file))}\n"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", script],
                cwd=self.work,
                env={**self.env, **extra_env},
                stdin=subprocess.DEVNULL,
                stdout=out,  # a file, not a pipe: background jobs keep it open
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.process_groups.append(process.pid)
        try:
            code = process.wait(timeout=SHELL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise BlockFailed(f"{block.name}: still running after {SHELL_TIMEOUT} s:\n{_tail(log)}") from None
        if code != 0:
            raise BlockFailed(f"{block.name}: exit status {code}:\n{_tail(log)}")
        self.env = _read_env(env_file)
        return log.read_text(errors="replace")

    def run_python(self, block: Block, extra_env: dict[str, str]) -> str:
        script = self.work / f"{block.name}.py"
        script.write_text(block.code)
        try:
            done = subprocess.run(
                [str(self.work / ".venv" / "bin" / "python"), script.name],
                cwd=self.work,
                env={**self.env, **extra_env},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=PYTHON_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise BlockFailed(f"{block.name}: still running after {PYTHON_TIMEOUT} s") from None
        if done.returncode != 0:
            output = done.stdout[-2000:] + done.stderr[-4000:]
            raise BlockFailed(f"{block.name}: exit status {done.returncode}:\n{output}")
        return done.stdout

    def stop(self) -> None:
        """Terminate what the blocks left running (the server), group by group, then kill stragglers."""
        self.http.close()
        for group in self.process_groups:
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for group in self.process_groups:
            while _group_alive(group) and time.monotonic() < deadline:
                time.sleep(0.1)
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)

    def server_log(self) -> str:
        return _tail(self.logs / "first-steps.log")

    # -- GraphQL --------------------------------------------------------------------------------------------

    def graphql(self, block: Block, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"query": block.code, "operationName": operation, "variables": variables}
        response = self.http.post("/graphql", json=body, headers=headers)
        if response.status_code != 200:
            raise BlockFailed(f"{operation}: HTTP {response.status_code}: {response.text[:2000]}")
        answer = response.json()
        if answer.get("errors"):
            raise BlockFailed(f"{operation}: {json.dumps(answer['errors'], ensure_ascii=False)[:3000]}")
        data: dict[str, Any] = answer["data"]
        failures = list(_user_errors(data))
        if failures:
            raise BlockFailed(f"{operation}: user errors {failures}")
        return data

    def subscribe(self, block: Block, operation: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
        """Every `next` payload's data until the server completes the subscription."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + SUBSCRIPTION_TIMEOUT
        url = f"ws://{HOST}:{PORT}/graphql"
        with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}}))
            ack = json.loads(ws.recv(timeout=10))
            if ack.get("type") != "connection_ack":
                raise BlockFailed(f"{operation}: connection_init answered {ack}")
            payload = {"query": block.code, "operationName": operation, "variables": variables}
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BlockFailed(f"{operation}: not complete after {SUBSCRIPTION_TIMEOUT} s: {received[-3:]}")
                message = json.loads(ws.recv(timeout=remaining))
                kind = message.get("type")
                if kind == "ping":
                    ws.send(json.dumps({"type": "pong"}))
                elif kind == "next":
                    if message["payload"].get("errors"):
                        raise BlockFailed(f"{operation}: {message['payload']['errors']}")
                    received.append(message["payload"]["data"])
                elif kind == "complete":
                    return received
                elif kind != "pong":
                    raise BlockFailed(f"{operation}: {message}")


def _user_errors(value: Any) -> Iterator[Any]:
    """Every non-empty `errors` list of a mutation payload (domain failures come back there)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "errors" and isinstance(item, list) and item:
                yield item
            else:
                yield from _user_errors(item)
    elif isinstance(value, list):
        for item in value:
            yield from _user_errors(item)


def _read_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for entry in path.read_bytes().split(b"\0"):
        name, sep, value = entry.decode(errors="surrogateescape").partition("=")
        if sep and name and name not in {"SHLVL", "_", "OLDPWD"}:
            env[name] = value
    return env


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path, size: int = 4000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""
