"""OpenC3's WebSockets: the live task log and the web terminal.

- `ws://…/slave/:slavename/ws?uuid=<task uuid or log uuid>` (the doc gives it without the
  `/api/job` prefix; both paths answer): the task's log as it is written, from the start, HTML-
  escaped with `<br>` line breaks as upstream's front end shows it, through the GraphQL
  `taskEvents` subscription (so a late client misses nothing). It ends when the task does.
- `ws://…/api/job/cmd/:treeid?node=a,b&sudo=user(&cols=&rows=)`: a login shell on a PTY on each
  machine; the client's frames are keystrokes, sent to all of them, and every line they complete
  is recorded (`/cmd/:treeid/log`) before its Enter is sent; a window-size frame
  (`["resize", cols, rows]` as tty.js sends it, or `{"type": "resize", "cols", "rows"}`) resizes
  every terminal. Output comes back as "<ip>: <line>". An interactive session is not a GraphQL
  operation, so this one handler calls the terminal resolver directly (permissions, audit and
  recording happen there).
Both authenticate like the dialect (cookie or appname/appkey headers); a cookie is honoured only
from this site's own pages (the Origin must match), so another site cannot ride on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from opsgraph.compat_rest.execute import error_from_graphql, load_operation, run_operation
from opsgraph.compat_rest.openc3.auth import COOKIE_KEY, C3Caller, authenticate
from opsgraph.compat_rest.openc3.request import C3Request
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.ids import encode_global_id
from opsgraph.core.request_body import is_same_origin, request_settings
from opsgraph.core.settings import Settings

UUID = re.compile(r"^[a-zA-Z0-9]+$")
IDLE_SECONDS = 1800
MAX_FRAME = 64 * 1024
MAX_WINDOW = 1000


async def ws_caller(websocket: WebSocket, settings: Settings) -> C3Caller | None:
    cookies = dict(websocket.cookies) if is_same_origin(websocket) else {}
    cookies = {COOKIE_KEY: cookies[COOKIE_KEY]} if COOKIE_KEY in cookies else {}
    probe = C3Request(
        method="GET",
        path=websocket.url.path,
        path_params={},
        query={},
        headers=Headers(scope=websocket.scope),
        cookies=cookies,
        body=b"",
    )
    try:
        return await authenticate(probe, settings, required=True)
    except OpsGraphError:
        return None


async def _events(caller: C3Caller, settings: Settings, task_id: int) -> AsyncIterator[dict[str, Any]]:
    from opsgraph.schema import schema
    from opsgraph.schema.context import GraphQLContext

    variables = {"taskId": encode_global_id("Task", task_id)}
    context = GraphQLContext.for_principal(caller.principal, settings)
    stream = await schema.subscribe(load_operation(__name__, "task_events.graphql"), variables, context)
    if not isinstance(stream, AsyncIterator):
        raise error_from_graphql(stream.errors[0]) if stream.errors else OpsGraphError("cannot follow the task")
    async for result in stream:
        if result.errors:
            raise error_from_graphql(result.errors[0])
        yield result.data["taskEvents"] if result.data else {}


def render(event: dict[str, Any]) -> str:
    payload = event.get("payload") or {}
    kind = event.get("kind")
    if kind == "LOG":
        ip = html.escape(str(payload.get("ip", "")))
        return "".join(f"[{ip}] {html.escape(line['text'])}<br>" for line in payload.get("lines", []))
    if kind == "STEP_STATUS":
        return f"== step {int(payload.get('position', 0)) + 1}: {html.escape(str(payload.get('status')))}<br>"
    if kind == "TASK_STATUS":
        error = f" ({html.escape(str(payload['error']))})" if payload.get("error") else ""
        return f"== task {html.escape(str(payload.get('status')))}{error}<br>"
    return ""


async def task_log(websocket: WebSocket) -> None:
    await websocket.accept()
    settings = request_settings(websocket)
    uuid = websocket.query_params.get("uuid", "")
    if not UUID.match(uuid):
        await _fail(websocket, "open log fail: uuid format error")
        return
    caller = await ws_caller(websocket, settings)
    if caller is None:
        await _fail(websocket, "open log fail: nocookie")
        return
    try:
        found = (
            await run_operation(
                load_operation(__name__, "task_log.graphql"), {"uuid": uuid[:12]}, caller.principal, settings
            )
        )["treeTaskByUuid"]
        if found is None or found["taskId"] is None:
            await _fail(websocket, f"open log fail: Non-existent uuid:{uuid[:12]}")
            return
        watcher = asyncio.ensure_future(_until_closed(websocket))
        try:
            async for event in _events(caller, settings, int(found["taskId"])):
                text = render(event)
                if text:
                    await websocket.send_text(text)
                if watcher.done():
                    return
        finally:
            watcher.cancel()
    except OpsGraphError as exc:
        await _fail(websocket, f"open log fail: {exc.message}")
        return
    except WebSocketDisconnect:
        return
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close()


async def _until_closed(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def _fail(websocket: WebSocket, message: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_text(message)
        await websocket.close(code=1008)


def window_size(cols: Any, rows: Any) -> tuple[int, int] | None:
    """(cols, rows) when both are whole numbers in 1..MAX_WINDOW, else None."""
    if isinstance(cols, bool) or isinstance(rows, bool):
        return None
    try:
        size = (int(str(cols)), int(str(rows)))
    except ValueError:
        return None
    return size if all(1 <= n <= MAX_WINDOW for n in size) else None


def resize_message(message: str) -> tuple[int, int] | None:
    """A window-size frame: tty.js's socket.io event `["resize", (id,) cols, rows]` (OpenC3's
    web shell) or `{"type": "resize", "cols": …, "rows": …}`; anything else is keystrokes."""
    if not message.startswith(("[", "{")) or len(message) > 256:
        return None
    try:
        frame = json.loads(message)
    except ValueError:
        return None
    if isinstance(frame, list) and len(frame) in (3, 4) and frame[0] == "resize":
        return window_size(frame[-2], frame[-1])
    if isinstance(frame, dict) and frame.get("type") == "resize":
        return window_size(frame.get("cols"), frame.get("rows"))
    return None


async def terminal(websocket: WebSocket) -> None:
    from opsgraph.executors.host_keys import DatabaseHostKeyStore
    from opsgraph.executors.terminal_shell import DEFAULT_SIZE, ShellFanout
    from opsgraph.resolvers.service_tree.terminal import TypedLines, open_terminal, record_line

    await websocket.accept()
    settings = request_settings(websocket)
    caller = await ws_caller(websocket, settings)
    if caller is None:
        await _fail(websocket, "open terminal fail: not logged in")
        return
    raw_tree = websocket.path_params.get("treeid", "")
    nodes = [n for n in re.split(r"[,\s]+", websocket.query_params.get("node", "")) if n]
    try:
        if not str(raw_tree).isdigit():
            raise OpsGraphError("check format fail treeid: a tree id")
        session = await open_terminal(
            caller.principal, settings, int(raw_tree), nodes, websocket.query_params.get("sudo", "")
        )
    except OpsGraphError as exc:
        await _fail(websocket, f"open terminal fail: {exc.message}")
        return
    keys = DatabaseHostKeyStore(strict=settings.ssh_strict_host_keys)
    size = window_size(websocket.query_params.get("cols"), websocket.query_params.get("rows")) or DEFAULT_SIZE
    shells = ShellFanout(session.targets, keys, connect_timeout=settings.ssh_connect_timeout, size=size)
    pump: asyncio.Future[None] | None = None
    try:
        for ip, reason in await shells.open():
            await websocket.send_text(f"{ip}: cannot connect: {reason}")
        pump = asyncio.ensure_future(_forward(websocket, shells))
        await websocket.send_text(f"connected: {', '.join(shells.reachable)} as {session.usr}")
        typed = TypedLines()
        while True:
            message = (await asyncio.wait_for(websocket.receive_text(), timeout=IDLE_SECONDS))[:MAX_FRAME]
            resized = resize_message(message)
            if resized is not None:
                shells.resize(*resized)
                continue
            for typed_keys, line in typed.feed(message):
                if line is not None:  # recorded before the Enter that runs it is sent
                    await record_line(session, line, shells.reachable)
                await shells.send(typed_keys)
    except (WebSocketDisconnect, TimeoutError, RuntimeError, KeyError):
        pass
    finally:
        if pump is not None:
            pump.cancel()
        await shells.close()
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close()


async def _forward(websocket: WebSocket, shells: Any) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        async for ip, text in shells.output():
            await websocket.send_text(f"{ip}: {text}")


def websocket_routes() -> list[BaseRoute]:
    return [
        WebSocketRoute("/api/job/slave/{slavename}/ws", task_log, name="openc3_task_log"),
        WebSocketRoute("/slave/{slavename}/ws", task_log, name="openc3_task_log_root"),
        WebSocketRoute("/api/job/cmd/{treeid}", terminal, name="openc3_terminal"),
    ]
