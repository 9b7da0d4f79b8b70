"""`pause_node` (暂停): the node stays RUNNING until `node_callback` (or operate_node `callback`)
brings data; the data becomes its output `callback_data`. The UI's "continue" button is this
callback. After a restart it simply waits again."""

from __future__ import annotations

from opsgraph.executors.pipeline.plugins import NodeWork, Plugin, PluginOutcome, register_plugin


@register_plugin
class PauseNode(Plugin):
    code = "pause_node"
    name = "暂停"
    outputs = {"callback_data": "回调数据"}
    accepts_callback = True
    waits_for_people = True

    async def run(self, work: NodeWork) -> PluginOutcome:
        if not work.schedule.get("waiting"):
            await work.save_schedule(waiting=True)
        data = await work.wait_callback()
        return PluginOutcome(True, {"callback_data": data})
