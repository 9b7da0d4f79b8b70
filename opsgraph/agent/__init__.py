"""The agent program shipped to hosts, as the server sees it: its bytes, version and file names.

`opsgraph_agent.py` is package data that runs on the managed host (python3 stdlib only); nothing in
the server imports it, and it imports nothing from here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

AGENT_FILE = "opsgraph_agent.py"
CONFIG_FILE = "agent.json"
PID_FILE = "agent.pid"
LOG_FILE = "agent.log"
SIGNATURE_HEADER = "X-OpsGraph-Agent"
HEARTBEAT_PATH = "/api/agent/heartbeat"


@lru_cache(maxsize=1)
def agent_program() -> bytes:
    return resources.files(__package__).joinpath(AGENT_FILE).read_bytes()


@lru_cache(maxsize=1)
def agent_version() -> str:
    """The VERSION the shipped file declares (read, not imported: it is the host's program)."""
    found = re.search(rb'^VERSION = "([^"]+)"$', agent_program(), re.MULTILINE)
    return found.group(1).decode() if found else "unknown"
