"""Accepting an agent's heartbeat: signature, freshness, replay guard, then the facts it reports.

The header is `<host_id>:<unix_ms>:<nonce>:<hmac>` (see core.agent_tokens.signature). A heartbeat
is refused when the signature is wrong (checked in constant time), when its timestamp is more than
MAX_SKEW_MS away from the server clock, or when it is not newer than the last accepted one: the
timestamp only moves forward, so a captured request cannot be played again. The forward move is one
conditional UPDATE, so two copies of one request racing each other cannot both pass.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opsgraph.core.agent_tokens import open_token, signature
from opsgraph.core.errors import AuthenticationError, ConfigurationError, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.models.agents import AgentState, AgentStatus
from opsgraph.resolvers.monitoring.agent_report import AgentReport, parse_report
from opsgraph.resolvers.monitoring.ingest_agent import store_report

MAX_SKEW_MS = 120_000
# Facts and monitoring sections (host metrics, collector output, uptime results, components).
MAX_BODY_BYTES = 512 * 1024
_HEADER = re.compile(r"^(\d{1,10}):(\d{1,15}):([0-9A-Za-z_-]{8,64}):([0-9a-f]{64})$")
_TEXT_LIMITS = {"version": 64, "hostname": 256, "os": 256, "kernel": 256}


class HeartbeatRefused(AuthenticationError):
    """Any reason to refuse a heartbeat (the HTTP layer answers 401)."""


@dataclass(frozen=True)
class SignedHeader:
    host_id: int
    unix_ms: int
    nonce: str
    mac: str


def parse_header(value: str | None) -> SignedHeader:
    found = _HEADER.match((value or "").strip())
    if found is None:
        raise HeartbeatRefused("missing or malformed X-OpsGraph-Agent header")
    host_id, unix_ms, nonce, mac = found.groups()
    return SignedHeader(int(host_id), int(unix_ms), nonce, mac)


def _facts(body: bytes, host_id: int) -> dict[str, Any]:
    """The reported facts, trimmed to the columns; anything malformed is refused (it was signed, so
    it is the agent's bug, not noise to store)."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise HeartbeatRefused("the body is not JSON") from exc
    if not isinstance(data, dict) or data.get("host_id") != host_id:
        raise HeartbeatRefused("the body does not name the host of the header")
    facts: dict[str, Any] = {}
    for name, limit in _TEXT_LIMITS.items():
        value = data.get(name, "")
        if not isinstance(value, str):
            raise HeartbeatRefused(f"{name} must be text")
        facts[name] = value[:limit]
    uptime = data.get("uptime")
    if uptime is not None and (not isinstance(uptime, int | float) or not math.isfinite(uptime)):
        raise HeartbeatRefused("uptime must be a number")
    facts["uptime"] = None if uptime is None else float(uptime)
    load = data.get("load") or []
    if not isinstance(load, list) or len(load) > 3 or not all(isinstance(v, int | float) for v in load):
        raise HeartbeatRefused("load must be up to three numbers")
    facts["load"] = [float(v) for v in load if math.isfinite(v)]
    return facts


async def record_heartbeat(header: str | None, body: bytes, settings: Settings) -> int:
    """Verify and store one heartbeat; returns the interval the agent should keep. Raises HeartbeatRefused."""
    if len(body) > MAX_BODY_BYTES:
        raise HeartbeatRefused("the body is too large")
    signed = parse_header(header)
    now_ms = int(time.time() * 1000)
    if abs(now_ms - signed.unix_ms) > MAX_SKEW_MS:
        raise HeartbeatRefused(f"the timestamp is more than {MAX_SKEW_MS // 1000} s away from the server clock")
    state = (
        await AgentState.filter(host_id=signed.host_id).only("id", "token_secret", "token_hash", "last_seen_ms").first()
    )
    if state is None or not state.token_secret:
        raise HeartbeatRefused("no agent is installed on this host")
    try:
        token = open_token(settings.secret_key, state.token_secret)
    except ConfigurationError as exc:
        raise HeartbeatRefused("the agent's token can no longer be read: reinstall the agent") from exc
    expected = signature(token, signed.host_id, signed.unix_ms, signed.nonce, body)
    if not hmac.compare_digest(expected, signed.mac):
        raise HeartbeatRefused("bad signature")
    if signed.unix_ms <= state.last_seen_ms:
        raise HeartbeatRefused("replayed or out-of-order heartbeat")
    facts = _facts(body, signed.host_id)
    report = _report(body)
    updated = await AgentState.filter(id=state.id, token_hash=state.token_hash, last_seen_ms__lt=signed.unix_ms).update(
        **facts,
        last_seen_ms=signed.unix_ms,
        last_heartbeat_at=datetime.now(UTC),
        status=AgentStatus.INSTALLED,  # a heartbeat signed with the current token proves the install
    )
    if not updated:  # another copy got there first, or the agent was uninstalled meanwhile
        raise HeartbeatRefused("replayed or out-of-order heartbeat")
    await store_report(signed.host_id, report)
    return settings.agent_heartbeat_seconds


def _report(body: bytes) -> AgentReport:
    """The monitoring sections (resolvers.monitoring.agent_report), refused like malformed facts."""
    try:
        return parse_report(json.loads(body))
    except ValidationFailed as exc:
        raise HeartbeatRefused(exc.message) from exc
