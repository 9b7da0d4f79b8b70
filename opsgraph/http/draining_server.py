"""uvicorn's server, with the application's work drained *before* connections are closed.

uvicorn's shutdown closes every connection (WebSockets get close code 1012) and only then runs the
lifespan shutdown, so a `taskEvents` subscriber used to be cut off before the CANCELLED events of
the tasks the shutdown stopped. Here the app's `state.before_shutdown` hook runs first: tasks end
and their final events reach the open subscriptions, which complete cleanly; then uvicorn closes.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

import uvicorn

log = logging.getLogger("opsgraph.http")
DRAIN_TIMEOUT = 30.0


class DrainingServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        state = getattr(app, "state", None)
        hook: Callable[[], Awaitable[None]] | None = getattr(state, "before_shutdown", None)
        if hook is not None and not self.force_exit:
            for server in self.servers:
                server.close()  # no new connections while draining
            try:
                await asyncio.wait_for(hook(), DRAIN_TIMEOUT)
            except TimeoutError:
                log.warning("draining took longer than %s s; closing connections anyway", DRAIN_TIMEOUT)
            except Exception:
                log.exception("draining before shutdown failed; closing connections anyway")
        await super().shutdown(sockets)
