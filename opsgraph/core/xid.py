"""Short, sortable, unique string ids in the shape bk-cmdb gives custom queries and groups:
20 lowercase base32hex characters (4 bytes of seconds since the epoch, 8 random bytes), like xid.

Example:
    >>> len(new_xid())
    20
"""

from __future__ import annotations

import base64
import secrets
import time


def new_xid() -> str:
    raw = int(time.time()).to_bytes(4, "big") + secrets.token_bytes(8)
    return base64.b32hexencode(raw).decode().lower().rstrip("=")
