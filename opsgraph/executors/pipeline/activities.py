"""Running a ServiceActivity: inputs rendered lazily, the plugin, and what happens after it.

- inputs: `component.data` values rendered with the level's variables just before the node runs
  (retry's new inputs override them); a variable that refers to itself fails the node;
- `timeout_config`: past its seconds the plugin is stopped and the node FAILED ("forced_fail") or
  FAILED then skipped ("forced_fail_and_skip"); the deadline is stored, so a restart keeps it;
- on failure: `auto_retry` (after `interval` seconds, up to `times`), else `error_ignorable`
  (FINISHED with error_ignored), else FAILED until an operator retries or skips it;
- forced_fail and revoke stop the plugin through `work.cancel`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsgraph.core.errors import OpsGraphError
from opsgraph.executors.pipeline import states
from opsgraph.executors.pipeline.plugins import PLUGINS, NodeWork, Plugin, PluginOutcome, inputs_of
from opsgraph.executors.pipeline.variables import VariableError
from opsgraph.models.tasks import TaskStep

if TYPE_CHECKING:
    from opsgraph.executors.pipeline.runtime import NodeRef, RunRuntime

log = logging.getLogger("opsgraph.pipeline")
REVOKED_REASON = "revoked"
TIMEOUT_REASON = "timeout"
STOP_GRACE_SECONDS = 5.0


def _options(ref: NodeRef, name: str) -> dict[str, Any]:
    value = ref.node.raw.get(name)
    return value if isinstance(value, dict) and value.get("enable") else {}


def render_inputs(rt: RunRuntime, ref: NodeRef) -> dict[str, Any]:
    component = ref.node.raw.get("component") or {}
    values = inputs_of(component.get("data"))
    overrides = ref.config.get("input_overrides")
    if isinstance(overrides, dict):
        values.update(overrides)
    rendered = ref.level.scope.render(values)
    return rendered if isinstance(rendered, dict) else {}


async def run_activity(rt: RunRuntime, ref: NodeRef, *, resumed: bool) -> None:
    code = str((ref.node.raw.get("component") or {}).get("code"))
    plugin = PLUGINS.get(code)
    async with rt.lock:
        if resumed and ref.state != states.RUNNING:
            return
        if not resumed and (ref.state != states.READY or rt.run.root_state != states.RUNNING):
            return
        future = None
        if plugin is None:
            future = rt.stage([rt.fail(ref, f"plugin {code!r} is not installed on this server")])
        elif not resumed:
            try:
                inputs = render_inputs(rt, ref)
            except VariableError as exc:
                future = rt.stage([rt.fail(ref, str(exc))])
            else:
                timeout = _options(ref, "timeout_config")
                deadline = (
                    (datetime.now(tz=UTC) + timedelta(seconds=int(timeout["seconds"]))).isoformat() if timeout else None
                )
                step = rt.running(
                    ref,
                    inputs=inputs,
                    schedule={},
                    outputs={},
                    ex_data="",
                    deadline=deadline,
                    waiting=plugin.waits_for_people,
                )
                future = rt.stage([step])
        if plugin is not None and ref.state == states.RUNNING:
            rt.stops[ref.id] = asyncio.Event()
            rt.callbacks.setdefault(ref.id, asyncio.Queue())  # a callback may have arrived first
    if future is not None:
        await future
    if plugin is None or ref.state != states.RUNNING:
        return
    outcome = await _call_plugin(rt, ref, plugin, resumed=resumed)
    async with rt.lock:
        future = _conclude(rt, ref, outcome)
    await future
    if ref.state == states.FAILED and ref.config.get("auto_retry_at"):
        await resume_auto_retry(rt, ref)


async def _call_plugin(rt: RunRuntime, ref: NodeRef, plugin: Plugin, *, resumed: bool) -> PluginOutcome | str:
    stop = rt.stops[ref.id]
    config = ref.config

    async def persist(schedule: dict[str, Any]) -> None:
        # Written straight away and without an event: the node's state has not changed. Later
        # commits of this step save the same in-memory config, schedule included.
        async with rt.lock:
            config = rt.recorder.touch(ref.step, schedule=schedule).config
        await TaskStep.filter(id=ref.step.id).update(config=config)

    work = NodeWork(
        task_id=rt.task.id,
        business_id=rt.task.business_id,
        node_id=ref.id,
        inputs=dict(config.get("inputs") or {}),
        executor=rt.run.executor or rt.task.creator,
        loop=int(config.get("loop", 1)),
        retry=int(config.get("retry", 0)),
        version=str(config.get("version", "")),
        schedule=dict(config.get("schedule") or {}),
        resumed=resumed,
        cancel=stop,
        settings=rt.settings,
        persist_schedule=persist,
        callbacks=rt.callbacks.get(ref.id) or asyncio.Queue(),
    )
    deadline = config.get("deadline")
    remaining = (datetime.fromisoformat(deadline) - datetime.now(tz=UTC)).total_seconds() if deadline else None
    job = asyncio.ensure_future(plugin.run(work))
    try:
        done, _ = await asyncio.wait({job}, timeout=max(remaining, 0.0) if remaining is not None else None)
    except asyncio.CancelledError:
        job.cancel()
        raise
    if job not in done:
        rt.stop_reasons.setdefault(ref.id, TIMEOUT_REASON)
        stop.set()
        await asyncio.wait({job}, timeout=STOP_GRACE_SECONDS)
        if not job.done():
            job.cancel()
        await asyncio.gather(job, return_exceptions=True)
        return TIMEOUT_REASON
    try:
        return job.result()
    except asyncio.CancelledError:
        if ref.id in rt.stop_reasons:
            return PluginOutcome(False, error="stopped")
        raise
    except OpsGraphError as exc:
        return PluginOutcome(False, error=exc.message)
    except Exception as exc:
        log.exception("plugin %s failed on task %s node %s", plugin.code, rt.task.id, ref.id)
        return PluginOutcome(False, error=f"internal error: {type(exc).__name__}: {exc}")


def _conclude(rt: RunRuntime, ref: NodeRef, outcome: PluginOutcome | str) -> asyncio.Future[None]:
    """Under the lock: the node's end state, and the flow moving on when it may."""
    reason = rt.stop_reasons.pop(ref.id, None)
    loop = ref.config.get("loop", 1)
    produced = outcome.outputs if isinstance(outcome, PluginOutcome) else {}
    if rt.run.root_state == states.REVOKED or reason == REVOKED_REASON:
        outputs = {**produced, "_result": False, "_loop": loop}
        return rt.stage([rt.recorder.touch(ref.step, states.REVOKED, outputs=outputs, waiting=False)])
    if reason is not None and reason != TIMEOUT_REASON:  # forced_fail: the operator's message
        return rt.stage([rt.fail(ref, reason, outputs=produced, waiting=False)])
    if outcome == TIMEOUT_REASON or reason == TIMEOUT_REASON:
        timeout = _options(ref, "timeout_config")
        message = f"node execution timeout: it ran longer than {timeout.get('seconds')} seconds"
        if timeout.get("action") == "forced_fail_and_skip":
            return _finish(rt, ref, {**produced, "_result": False, "_loop": loop}, skip=True, ex_data=message)
        return rt.stage([rt.fail(ref, message, outputs=produced, waiting=False)])
    assert isinstance(outcome, PluginOutcome)
    if outcome.ok:
        return _finish(rt, ref, {**outcome.outputs, "_result": True, "_loop": loop})
    error = outcome.error or "the plugin reported a failure"
    retry = _options(ref, "auto_retry")
    used = int(ref.config.get("auto_retries", 0))
    if retry and used < int(retry.get("times", 1)):
        at = datetime.now(tz=UTC) + timedelta(seconds=int(retry.get("interval", 0)))
        return rt.stage([rt.fail(ref, error, outputs=outcome.outputs, waiting=False, auto_retry_at=at.isoformat())])
    if ref.node.raw.get("error_ignorable") is True:
        outputs = {**outcome.outputs, "_result": False, "_loop": loop}
        return _finish(rt, ref, outputs, error_ignored=True, ex_data=error)
    return rt.stage([rt.fail(ref, error, outputs=outcome.outputs, waiting=False)])


def _finish(rt: RunRuntime, ref: NodeRef, outputs: dict[str, Any], **changes: Any) -> asyncio.Future[None]:
    step = rt.recorder.touch(ref.step, states.FINISHED, outputs=outputs, waiting=False, **changes)
    touched: list[TaskStep] = [step, *rt.advance(ref, list(ref.node.outgoing))]
    return rt.stage(touched)


async def resume_auto_retry(rt: RunRuntime, ref: NodeRef) -> None:
    """Wait out the retry interval (revoke or an operator's action ends the wait), then retry."""
    at = ref.config.get("auto_retry_at")
    if not at:
        return
    stop = asyncio.Event()
    rt.stops[ref.id] = stop
    remaining = (datetime.fromisoformat(str(at)) - datetime.now(tz=UTC)).total_seconds()
    if remaining > 0:
        waiter = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({waiter}, timeout=remaining)
        finally:
            waiter.cancel()
    async with rt.lock:
        rt.stops.pop(ref.id, None)
        reason = rt.stop_reasons.pop(ref.id, None)
        if ref.state != states.FAILED or not ref.config.get("auto_retry_at") or rt.run.root_state == states.REVOKED:
            return
        if reason is not None:  # an operator stepped in (forced_fail): no more automatic retries
            future = rt.stage([rt.recorder.touch(ref.step, auto_retry_at=None)])
        else:
            rt.remember(ref)
            step = rt.recorder.touch(
                ref.step,
                states.READY,
                retry=int(ref.config.get("retry", 0)) + 1,
                auto_retries=int(ref.config.get("auto_retries", 0)) + 1,
                auto_retry_at=None,
                ex_data="",
            )
            future = rt.stage([step])
    await future
    rt.wake.set()
