"""How many children the widest parent has, per topology connection: the cost limit's bounds.

`businesses(first: 500) { sets(first: 500) … }` can return no more sets per business than the
business with the most sets has; the cost limit multiplies by these figures instead of the page
caps when the caps alone exceed it (schema/extensions/query_cost.py). One constant statement
computes them all; the figures are kept for a few seconds per process, so a burst of large queries
costs one statement, and growth is seen within `REFRESH_SECONDS`.

Example:
    bounds = await topology_fan_out()
    bounds[("Business", "sets")]   # 12: no business has more than 12 sets
"""

from __future__ import annotations

import asyncio
import time

from tortoise import connections

REFRESH_SECONDS = 5.0

# Constant SQL (no input goes into it). "set" is quoted: it is a keyword in both dialects.
_FAN_OUT_SQL = """
SELECT
  (SELECT COUNT(*) FROM business) AS businesses,
  (SELECT COUNT(*) FROM cloud_area) AS cloud_areas,
  (SELECT COUNT(*) FROM host) AS hosts,
  (SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM "set" GROUP BY business_id) AS s) AS sets_per_business,
  (SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM module GROUP BY set_id) AS m) AS modules_per_set,
  (SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM host_module GROUP BY module_id) AS hm) AS hosts_per_module,
  (SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM host GROUP BY business_id) AS hb) AS hosts_per_business
"""

# (GraphQL parent type, connection field) → the figure bounding it.
_CONNECTIONS = {
    ("Query", "businesses"): "businesses",
    ("Query", "cloudAreas"): "cloud_areas",
    ("Query", "hosts"): "hosts",
    ("Business", "sets"): "sets_per_business",
    ("Set", "modules"): "modules_per_set",
    ("Module", "hosts"): "hosts_per_module",
    ("Business", "hosts"): "hosts_per_business",
}

_cached: tuple[float, dict[tuple[str, str], int]] | None = None
_lock = asyncio.Lock()


async def topology_fan_out() -> dict[tuple[str, str], int]:
    global _cached
    async with _lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] > REFRESH_SECONDS:
            rows = await connections.get("default").execute_query_dict(_FAN_OUT_SQL)
            row = rows[0] if rows else {}
            _cached = (now, {key: int(row.get(column) or 0) for key, column in _CONNECTIONS.items()})
        return _cached[1]
