"""The outbound `callback_protocol` of tasks started through the `job` paths.

The body itself (bk-job's {job_instance_id, status, step_instances}) is rendered by
executors/callback_bodies.py, so that a worker process, which does not load this layer, sends it too.
"""

from __future__ import annotations

from opsgraph.executors.callback_bodies import BK_JOB

PROTOCOL = BK_JOB
