"""Plugins (bk-sops "components"): what a ServiceActivity node does, registered by component code.

Adding a plugin is one new module in this package: a subclass of `Plugin` decorated with
`@register_plugin`. Every module here is imported by `load_plugins()`, so nothing else changes.

A plugin's `run(work)` does the node's work and returns an outcome. Waiting is just awaiting
(`await work.wait_callback()`, `await asyncio.sleep`): the engine persists the node as RUNNING
first. Whatever a plugin must remember across a server restart goes through
`await work.save_schedule(...)`; after a restart `run` is called again with `work.resumed` true and
`work.schedule` as saved, and picks up from there (e.g. waits for the job it had started instead of
starting another).

Example:
    @register_plugin
    class Echo(Plugin):
        code = "echo"
        name = "echo"

        async def run(self, work: NodeWork) -> PluginOutcome:
            return PluginOutcome(True, {"echoed": work.inputs.get("text", "")})
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

PRESET_OUTPUTS = {"_result": "执行结果", "_loop": "循环次数"}


@dataclass
class PluginOutcome:
    ok: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class NodeWork:
    """One execution of one node, as a plugin sees it."""

    task_id: int
    business_id: int | None
    node_id: str
    inputs: dict[str, Any]
    executor: str
    loop: int
    retry: int
    version: str
    schedule: dict[str, Any]
    resumed: bool
    cancel: asyncio.Event
    settings: Any
    persist_schedule: Callable[[dict[str, Any]], Awaitable[None]]
    callbacks: asyncio.Queue[Any]

    async def save_schedule(self, **values: Any) -> None:
        """Remember values across a restart (committed before this returns)."""
        self.schedule.update(values)
        await self.persist_schedule(dict(self.schedule))

    async def wait_callback(self) -> Any:
        """Wait for `node_callback` / `operate_node callback`; returns its data. Cancel ends the wait."""
        getter = asyncio.ensure_future(self.callbacks.get())
        stopper = asyncio.ensure_future(self.cancel.wait())
        try:
            await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if getter.done():
            return getter.result()
        getter.cancel()
        raise asyncio.CancelledError("the node was stopped while waiting for its callback")


class Plugin:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    # Output key → display name (get_task_node_detail shows them with `preset: true`).
    outputs: ClassVar[dict[str, str]] = {}
    # Whether the node waits for `node_callback` (only such nodes accept it).
    accepts_callback: ClassVar[bool] = False
    # Whether the node waits for people (a callback, an approval): canonically WAITING meanwhile.
    waits_for_people: ClassVar[bool] = False

    def check(self, data: dict[str, Any]) -> str | None:
        """A problem with the node's `component.data` found when the template is saved, or None.
        Values may still be `${…}` references here; only what is certain to fail is refused."""
        return None

    async def run(self, work: NodeWork) -> PluginOutcome:
        raise NotImplementedError


PLUGINS: dict[str, Plugin] = {}
P = TypeVar("P", bound=type[Plugin])


def register_plugin(cls: P) -> P:
    if not cls.code or cls.code in PLUGINS:
        raise ValueError(f"plugin {cls.__name__}: code {cls.code!r} is empty or registered twice")
    PLUGINS[cls.code] = cls()
    return cls


def load_plugins() -> dict[str, Plugin]:
    """Import every plugin module of this package (idempotent)."""
    for module in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
    return PLUGINS


def inputs_of(data: Any) -> dict[str, Any]:
    """`component.data` ({key: {hook, value}}) as plain values, before rendering."""
    if not isinstance(data, dict):
        return {}
    return {key: (item.get("value") if isinstance(item, dict) else item) for key, item in data.items()}
