"""Alarms without strategies: an agent that stops beating, a task that fails, an external system
pushing through the authenticated ingestion webhook; and `alarmEvents`, replayable after reconnect."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from typing import Any

import httpx
from gql import GraphQLRequest

from tests.agents.support import agent_pid, install_and_wait, wait_agents, wait_gone
from tests.executors.support import RUN_SCRIPT, ws_client
from tests.monitoring.support import MonitorLab, alarms, wait_for
from tests.support.topology import run_mutation

CREATE_SOURCE = """
mutation($input: CreateAlarmIngestSourceInput!) {
  createAlarmIngestSource(input: $input) { sourceId name token errors { code field message } }
}"""
EVENTS = """
subscription($b: ID!, $after: Int) {
  alarmEvents(businessId: $b, afterSeq: $after) { seq bkAlarmId kind payload at }
}"""


def test_heartbeat_loss_raises_and_the_next_heartbeat_recovers(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    ip = lab.ips[2]
    host_id = lab.hosts[ip]["bkHostId"]
    pid = agent_pid(lab.root, host_id)
    os.kill(pid, signal.SIGTERM)
    wait_gone(pid)

    def lost() -> list[dict[str, Any]]:
        return [a for a in alarms(lab.gql, origins=["HEARTBEAT"], statuses=["ABNORMAL"]) if a["ip"] == ip]

    alarm = wait_for("a heartbeat-loss alarm", lost)[0]
    assert alarm["bkHostId"] == host_id
    assert alarm["alarmType"] == "base_alarm"
    login = {"ip": ip, "sshPort": lab.pool.port, "username": lab.user.name, "password": lab.user.password}
    task = install_and_wait(lab.gql, lab.business, [login], operation="REINSTALL")
    assert task["status"] == "SUCCESS", task
    wait_agents(lab.gql, [ip], lambda agent: bool(agent and agent["alive"]))
    recovered = wait_for(
        "recovery", lambda: [a for a in alarms(lab.gql, alarmIds=[alarm["id"]]) if a["status"] == "RECOVERED"]
    )
    assert recovered[0]["endTime"]


def test_a_failed_task_raises_an_alarm(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    payload = run_mutation(
        lab.gql,
        RUN_SCRIPT,
        {"input": {"businessId": lab.business.id, "hostIds": [lab.hosts[lab.ips[0]]["id"]], "content": "exit 3"}},
    )
    assert payload["errors"] == [], payload
    task_id = str(payload["task"]["jobInstanceId"])
    found = wait_for(
        "a task-failure alarm",
        lambda: [a for a in alarms(lab.gql, origins=["TASK"]) if a["dimensions"].get("task_id") == task_id],
    )
    assert len(found) == 1
    assert found[0]["status"] == "ABNORMAL"
    assert found[0]["level"] == 2
    assert found[0]["title"].endswith("执行失败")
    assert f"task {task_id}" in found[0]["content"]


def _post(lab: MonitorLab, token: str | None, body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{lab.server.url}/api/monitor/alarms", json=body, headers=headers, timeout=10)


def test_ingestion_webhook_is_authenticated_validated_and_deduplicated(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    name = f"zabbix-{uuid.uuid4().hex[:6]}"
    created = lab.gql.ok(CREATE_SOURCE, {"input": {"businessId": lab.business.id, "name": name}})
    token = created["createAlarmIngestSource"]["token"]
    assert token.startswith("ogi_")
    alarm = {"name": "disk full", "level": 1, "content": "/var at 97%", "dimensions": {"mount": "/var"}}
    assert _post(lab, None, {"alarms": [alarm]}).status_code == 401
    assert _post(lab, "ogi_wrong", {"alarms": [alarm]}).status_code == 401
    refused = _post(lab, token, {"alarms": [alarm, {**alarm, "level": 7}]})
    assert refused.status_code == 400
    assert refused.json()["field"] == "alarms[1].level"
    assert [a for a in alarms(lab.gql, origins=["INGEST"]) if name in a["title"]] == []  # nothing stored
    first = _post(lab, token, {"alarms": [alarm]}).json()["result"][0]
    again = _post(lab, token, {"alarms": [alarm]}).json()["result"][0]
    assert first["new"]
    assert not again["new"]
    assert first["alarm_id"] == again["alarm_id"]
    stored = [a for a in alarms(lab.gql, origins=["INGEST"]) if name in a["title"]]
    assert len(stored) == 1
    assert stored[0]["eventCount"] == 2
    assert stored[0]["level"] == 1
    done = _post(lab, token, {"alarms": [{**alarm, "status": "RECOVERED"}]}).json()["result"][0]
    assert done["status"] == "RECOVERED"
    assert done["alarm_id"] == first["alarm_id"]


async def _read(lab: MonitorLab, after: int | None, until: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    request = GraphQLRequest(EVENTS, variable_values={"b": lab.business.id, "after": after})
    async with ws_client(lab.server, lab.gql.token) as session:
        stream = session.subscribe(request)
        try:
            async for result in stream:
                events.append(result["alarmEvents"])
                if until(events):
                    return events
        finally:
            await stream.aclose()
    return events


async def test_alarm_events_replay_after_a_reconnect(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    name = f"events-{uuid.uuid4().hex[:6]}"
    token = lab.gql.ok(CREATE_SOURCE, {"input": {"businessId": lab.business.id, "name": name}})[
        "createAlarmIngestSource"
    ]["token"]
    raised = (await asyncio.to_thread(_post, lab, token, {"alarms": [{"name": "probe"}]})).json()["result"][0]

    def has(kind: str, alarm_id: int) -> Any:
        return lambda events: any(e["kind"] == kind and e["bkAlarmId"] == alarm_id for e in events)

    first = await asyncio.wait_for(_read(lab, 0, has("RAISED", raised["alarm_id"])), 30)
    seqs = [e["seq"] for e in first]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    last = first[-1]["seq"]
    # While nobody listens, the alarm recovers; the reconnect replays from `last` and misses nothing.
    await asyncio.to_thread(_post, lab, token, {"alarms": [{"name": "probe", "status": "RECOVERED"}]})
    second = await asyncio.wait_for(_read(lab, last, has("RECOVERED", raised["alarm_id"])), 30)
    assert second[0]["seq"] > last
    assert all(e["seq"] > last for e in second)
    assert second[-1]["payload"]["status"] == "RECOVERED"
    assert second[-1]["at"]
    # Live delivery: subscribed first, then an event happens.
    title = f"[{name}] live"
    reader = asyncio.create_task(
        _read(lab, second[-1]["seq"], lambda events: any(e["payload"]["title"] == title for e in events))
    )
    await asyncio.sleep(1.0)
    live = (await asyncio.to_thread(_post, lab, token, {"alarms": [{"name": "live"}]})).json()["result"][0]
    got = [e for e in await asyncio.wait_for(reader, 30) if e["payload"]["title"] == title]
    assert got[0]["bkAlarmId"] == live["alarm_id"]
    assert got[0]["kind"] == "RAISED"
