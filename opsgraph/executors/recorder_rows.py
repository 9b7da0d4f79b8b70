"""The recorder's rows written as data: one `executemany` per statement, no model object per row.

A batch of 100 hosts' changes went through `bulk_update`, which renders one `CASE id WHEN … THEN …`
expression per column through the query builder on every batch (most of the recorder's CPU), and
its events were built as `TaskEvent` model instances only to be inserted. Here each statement is
rendered once per model, set of columns and backend (the ORM's own executor caches the UPDATE; the
INSERT is cached below) and the values go to the driver as plain parameter lists. Values are
converted by the models' own fields (`to_db_value`), so rows read back exactly as ORM writes would.

Both functions must run inside the caller's transaction: they use the connection it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from opsgraph.models.tasks import EventKind

_insert_sql: dict[tuple[type[BaseDBAsyncClient], type[Model], tuple[str, ...]], str] = {}


@dataclass(slots=True)
class EventRow:
    """A task event as the recorder queues it (a `TaskEvent` row, without the model object)."""

    task_id: int
    seq: int
    kind: EventKind
    payload: dict[str, Any]
    created_at: datetime


def _connection(model: type[Model]) -> BaseDBAsyncClient:
    return model._meta.db  # inside a transaction: the transaction's connection


async def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Any]) -> None:
    """INSERT `rows` (objects with an attribute per field of `fields`) into `model`'s table."""
    if not rows:
        return
    db = _connection(model)
    meta = model._meta
    key = (type(db), model, tuple(fields))
    sql = _insert_sql.get(key)
    if sql is None:
        executor = db.executor_class(model=model, db=db)
        columns = [meta.fields_db_projection[f] for f in fields]
        query = db.query_class.into(meta.basetable).columns(*columns)
        sql = _insert_sql[key] = str(query.insert(*[executor.parameter(i) for i in range(len(columns))]))
    converters = [meta.fields_map[f].to_db_value for f in fields]
    values = [[convert(getattr(row, f), row) for convert, f in zip(converters, fields, strict=True)] for row in rows]
    await db.execute_many(sql, values)


async def update_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Model]) -> None:
    """UPDATE `fields` of each of `rows` (by primary key) to the value it holds."""
    if not rows:
        return
    db = _connection(model)
    meta = model._meta
    sql = db.executor_class(model=model, db=db).get_update_sql(fields, None)  # rendered once, cached by the ORM
    converters = [meta.fields_map[f].to_db_value for f in fields]
    to_pk = meta.pk.to_db_value
    values = [
        [*(convert(getattr(row, f), row) for convert, f in zip(converters, fields, strict=True)), to_pk(row.pk, row)]
        for row in rows
    ]
    await db.execute_many(sql, values)
