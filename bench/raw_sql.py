"""The floor for the host search: the same filter as one hand-written SQL count plus one page query,
run with the standard library's sqlite3 on the server's own database file (read-only, WAL lets it
read while the server runs). What remains above this figure is ORM, GraphQL and HTTP.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

_WHERE = """
FROM host h
WHERE h.business_id = ?
  AND h.id IN (SELECT hm.host_id FROM host_module hm WHERE hm.module_id IN (
        SELECT m.id FROM module m WHERE m.set_id IN (SELECT s.id FROM "set" s WHERE s.name IN ({names}))))
  AND (CAST(json_extract(h.attributes, '$.{key}') AS TEXT) != ? OR json_extract(h.attributes, '$.{key}') IS NULL)
"""


class RawHostSearch:
    """`set.bk_set_name $in names` AND `host.<key> $ne value`, ordered by id, one offset page."""

    def __init__(self, database: Path, business_id: int, set_names: list[str], key: str, value: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"attribute key {key!r} is not an identifier")  # it is spliced into the SQL
        self.connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        self.connection.row_factory = sqlite3.Row
        self.where = _WHERE.format(names=", ".join("?" for _ in set_names), key=key)
        self.parameters: list[Any] = [business_id, *set_names, value]

    def run(self, start: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        (total,) = self.connection.execute(f"SELECT COUNT(*) {self.where}", self.parameters).fetchone()
        page = self.connection.execute(
            f"SELECT h.* {self.where} ORDER BY h.id LIMIT ? OFFSET ?", [*self.parameters, limit, start]
        )
        return int(total), [dict(row) for row in page]

    def close(self) -> None:
        self.connection.close()
