"""Uptime probes run by the server node: TCP connect (and optional exchange), UDP request/reply and
HTTP(S) requests, each bounded by the task's timeout. A probe never raises: it returns whether the
target was available, how long it took and, when not, why."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from opsgraph.models.monitoring_checks import UptimeProtocol

READ_LIMIT = 64 * 1024


@dataclass
class ProbeResult:
    target: str
    available: bool
    duration_ms: float
    error: str = ""


def response_matches(body: str, config: dict[str, Any]) -> bool:
    expected = config.get("response")
    if not expected:
        return True
    fmt = config.get("response_format") or "in"
    if fmt == "reg":
        return re.search(expected, body) is not None
    return (expected in body) if fmt == "in" else (expected not in body)


async def _tcp(host: str, port: int, config: dict[str, Any], timeout: float) -> str:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        if config.get("request"):
            writer.write(str(config["request"]).encode())
            await writer.drain()
        if config.get("response"):
            data = await asyncio.wait_for(reader.read(READ_LIMIT), timeout)
            if not response_matches(data.decode(errors="replace"), config):
                return "the response does not match"
        return ""
    finally:
        writer.close()


class _Reply(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def _udp(host: str, port: int, config: dict[str, Any], timeout: float) -> str:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Reply, remote_addr=(host, port))
    try:
        transport.sendto(str(config.get("request") or "ping").encode())
        data = await asyncio.wait_for(protocol.answer, timeout)
        return "" if response_matches(data.decode(errors="replace"), config) else "the response does not match"
    finally:
        transport.close()


async def _http(url: str, config: dict[str, Any], timeout: float) -> str:
    headers = {h["key"]: h["value"] for h in config.get("headers") or []}
    async with httpx.AsyncClient(verify=not config.get("insecure_skip_verify"), timeout=timeout) as client:
        response = await client.request(
            config.get("method") or "GET", url, headers=headers, content=config.get("request") or None
        )
    expected = config.get("response_code")
    if expected and str(response.status_code) != str(expected):
        return f"status {response.status_code}, expected {expected}"
    if not expected and response.status_code >= 400:
        return f"status {response.status_code}"
    return "" if response_matches(response.text[:READ_LIMIT], config) else "the response does not match"


async def probe(protocol: UptimeProtocol, target: str, config: dict[str, Any]) -> ProbeResult:
    timeout = max(float(config.get("timeout") or 3000) / 1000, 0.1)
    started = time.monotonic()
    try:
        if protocol is UptimeProtocol.HTTP:
            error = await asyncio.wait_for(_http(target, config, timeout), timeout + 1)
        else:
            host, _, port = target.rpartition(":")
            check = _tcp if protocol is UptimeProtocol.TCP else _udp
            error = await asyncio.wait_for(check(host, int(port), config, timeout), timeout + 1)
    except TimeoutError:
        error = f"no answer within {int(timeout * 1000)} ms"
    except (OSError, httpx.HTTPError, ValueError, UnicodeError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:256]
    elapsed = (time.monotonic() - started) * 1000
    return ProbeResult(target, not error, round(elapsed, 3), error)
