"""Alarms pushed by external systems: `POST /api/monitor/alarms` with `Authorization: Bearer
<token>` of an ingestion source (createAlarmIngestSource shows the token once; only its SHA-256
is stored). The body is `{"alarms": [{name, level 1-3, status ABNORMAL|RECOVERED, content,
dimensions, ip, bk_cloud_id, alarm_type}]}`; every item is validated before anything is stored,
so a bad body changes nothing. Alarms dedupe per (source, name, dimensions)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import AuthenticationError, ValidationFailed
from opsgraph.models.monitoring_alarms import AlarmIngestSource, AlarmOrigin
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.monitoring.alarm_store import AlarmSignal, raise_alarm, recover_alarm
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

MAX_ALARMS = 500
_NAME = re.compile(r"^[\w .:/@-]{1,128}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_source(principal: Principal, business_id: int, name: str) -> tuple[AlarmIngestSource, str]:
    """A new source and its bearer token (returned once, never stored in clear)."""
    await get_business(principal, business_id, "maintainer")
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise ValidationFailed("name must be 1 to 128 letters, digits, spaces or .:/@-", field="name")
    token = "ogi_" + secrets.token_urlsafe(32)
    async with write_transaction(f"an ingestion source named {name!r} already exists"):
        source = await AlarmIngestSource.create(
            business_id=business_id, name=name.strip(), token_hash=token_hash(token), created_by=principal.username
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="alarm_ingest_source",
            op_desc=f"create alarm ingestion source {source.name}",
            business_id=business_id,
            inst_id=source.id,
        )
    return source, token


async def authenticate_source(authorization: str | None) -> AlarmIngestSource:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send Authorization: Bearer <ingestion token>")
    digest = token_hash(token.strip())
    source = await AlarmIngestSource.get_or_none(token_hash=digest)
    if source is None or not hmac.compare_digest(source.token_hash, digest):
        raise AuthenticationError("unknown ingestion token")
    return source


def _item(raw: Any, index: int) -> dict[str, Any]:
    where = f"alarms[{index}]"
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{where} must be an object", field=where)
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationFailed(f"{where}.name must be 1 to 128 plain characters", field=f"{where}.name")
    level = raw.get("level", 2)
    if level not in (1, 2, 3):
        raise ValidationFailed(f"{where}.level must be 1, 2 or 3", field=f"{where}.level")
    status = str(raw.get("status") or "ABNORMAL").upper()
    if status not in ("ABNORMAL", "RECOVERED"):
        raise ValidationFailed(f"{where}.status must be ABNORMAL or RECOVERED", field=f"{where}.status")
    dims = raw.get("dimensions") or {}
    if (
        not isinstance(dims, dict)
        or len(dims) > 20
        or not all(
            isinstance(k, str) and len(k) <= 64 and isinstance(v, str | int | float) and len(str(v)) <= 256
            for k, v in dims.items()
        )
    ):
        raise ValidationFailed(
            f"{where}.dimensions must map at most 20 names to short values", field=f"{where}.dimensions"
        )
    content = raw.get("content") or ""
    if not isinstance(content, str) or len(content) > 8192:
        raise ValidationFailed(f"{where}.content must be text of at most 8192 characters", field=f"{where}.content")
    ip = raw.get("ip") or ""
    cloud = raw.get("bk_cloud_id") or 0
    alarm_type = raw.get("alarm_type") or "custom"
    if not isinstance(ip, str) or len(ip) > 64 or not isinstance(cloud, int) or not isinstance(alarm_type, str):
        raise ValidationFailed(f"{where}: ip is text, bk_cloud_id a number, alarm_type text", field=where)
    return {
        "name": name,
        "level": level,
        "status": status,
        "dimensions": {k: str(v) for k, v in dims.items()},
        "content": content,
        "ip": ip,
        "bk_cloud_id": cloud,
        "alarm_type": alarm_type[:32],
    }


async def ingest(source: AlarmIngestSource, body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("alarms"), list):
        raise ValidationFailed('the body must be {"alarms": [...]}', field="alarms")
    if not 0 < len(body["alarms"]) <= MAX_ALARMS:
        raise ValidationFailed(f"send 1 to {MAX_ALARMS} alarms at once", field="alarms")
    items = [_item(raw, i) for i, raw in enumerate(body["alarms"])]
    results = []
    for item in items:
        signal = AlarmSignal(
            business_id=source.business_id,
            origin=AlarmOrigin.INGEST,
            identity=f"ingest:{source.id}:{item['name']}",
            level=item["level"],
            title=f"[{source.name}] {item['name']}",
            alarm_type=item["alarm_type"],
            content=item["content"],
            dimensions=item["dimensions"],
            ip=item["ip"],
            bk_cloud_id=item["bk_cloud_id"],
        )
        if item["status"] == "RECOVERED":
            alarm = await recover_alarm(signal.dedupe_key, "recovered by its source")
            results.append({"name": item["name"], "alarm_id": alarm.id if alarm else None, "status": "RECOVERED"})
        else:
            alarm, created = await raise_alarm(signal)
            results.append({"name": item["name"], "alarm_id": alarm.id, "status": "ABNORMAL", "new": created})
    return results
