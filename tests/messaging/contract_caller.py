"""Run `send_message` in a process of its own, the way another part of OpsGraph calls it: open the
database given on the command line, send the JSON keyword arguments read from stdin, print the
outcomes as JSON (or the refusal as {"error": code}).

A fresh process per call: Tortoise's model registry belongs to a process and cannot switch between
SQLite and PostgreSQL within one, as the two backends of the test session would need.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from typing import Any

from opsgraph.core.db import close_database, open_database
from opsgraph.core.errors import OpsGraphError
from opsgraph.resolvers.messaging.send import send_message


async def call(database_url: str, arguments: dict[str, Any]) -> Any:
    await open_database(database_url)
    try:
        outcomes = await send_message(**arguments)
    except OpsGraphError as exc:
        return {"error": exc.code}
    finally:
        await close_database()
    return [dataclasses.asdict(outcome) for outcome in outcomes]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(call(sys.argv[1], json.loads(sys.stdin.read())))))
