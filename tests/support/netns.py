"""Running a process in a network namespace of its own, with a loopback interface and nothing else:
every connection it opens fails at once (127.0.0.0/8 is its own, empty loopback: refused; any
other address: no route) and no packet of it can leave the machine. Sockets it inherits keep the
namespace they were made in, and Unix sockets on the file system are reachable from any namespace,
so a server inside still listens on a socket its parent bound on the host's loopback (`opsgraph
serve --fd`) and reaches PostgreSQL through its Unix socket.

`unshare --net` (util-linux) needs CAP_SYS_ADMIN (root, here); `ip` (iproute2) brings `lo` up.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import cache

# `sh -c` runs in the new namespace: `lo` up, then the command replaces the shell (same process,
# so terminating the process terminates the command itself).
_ENTER = 'ip link set lo up && exec "$@"'


@cache
def unavailable_reason() -> str | None:
    """None when a network namespace can be made here; otherwise what is missing."""
    missing = [tool for tool in ("unshare", "ip") if shutil.which(tool) is None]
    if missing:
        return f"no network namespace for contained servers: {' and '.join(missing)} not found (util-linux, iproute2)"
    try:
        done = subprocess.run(contained(["true"]), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no network namespace for contained servers: `unshare --net` failed: {exc}"
    if done.returncode != 0:
        return (
            "no network namespace for contained servers: `unshare --net` needs root or CAP_SYS_ADMIN: "
            f"{done.stderr.strip()[:300]}"
        )
    return None


def contained(command: Sequence[str]) -> list[str]:
    """`command`, run in a new network namespace that has only a loopback interface (up)."""
    return ["unshare", "--net", "sh", "-c", _ENTER, "netns", *command]
