"""SQL over the JSON property columns (`cmdb_instance.properties`, the topology tables' `attributes`),
for SQLite and PostgreSQL.

Only identifiers are spliced into SQL: table and column names are ours, and a property id is
checked against bk-cmdb's id rule (`^[a-zA-Z]\\w*$`, ≤128 characters) right here, whatever the
caller already checked. Values always travel as query parameters (Tortoise filters on the
annotation this module returns).
"""

from __future__ import annotations

from tortoise import connections
from tortoise.expressions import RawSQL

from opsgraph.resolvers.cmdb.attribute_types import BOOL, FLOAT, INT
from opsgraph.resolvers.cmdb.identifiers import is_safe_id

_OWN_IDENTIFIERS = frozenset({"cmdb_instance", "business", "set", "module", "host", "properties", "attributes"})


def _check(*identifiers: str) -> None:
    for name in identifiers:
        if name not in _OWN_IDENTIFIERS and not is_safe_id(name):
            raise ValueError(f"refusing to put {name!r} into SQL")


def is_sqlite() -> bool:
    return bool(connections.get("default").capabilities.dialect == "sqlite")


def value_sql(table: str, column: str, key: str, property_type: str) -> str:
    """The typed value of `column`.`key`: numbers compare as numbers, booleans as booleans, the rest as text."""
    _check(table, column, key)
    if is_sqlite():
        # json_extract keeps the JSON type: integers, reals, 0/1 for booleans, text.
        return f'json_extract("{table}"."{column}", \'$.{key}\')'
    text = f'("{table}"."{column}"->>\'{key}\')'
    if property_type == INT:
        return f"CAST({text} AS BIGINT)"
    if property_type == FLOAT:
        return f"CAST({text} AS DOUBLE PRECISION)"
    if property_type == BOOL:
        return f"CAST({text} AS BOOLEAN)"
    return text


def value_expression(table: str, column: str, key: str, property_type: str) -> RawSQL:
    return RawSQL(value_sql(table, column, key, property_type))


def remove_key_statement(table: str, column: str, key: str, scope_column: str) -> str:
    """UPDATE dropping `key` from `column` of the rows whose `scope_column` equals the one parameter."""
    _check(table, column, key, scope_column)
    if is_sqlite():
        return (
            f'UPDATE "{table}" SET "{column}" = json_remove("{column}", \'$.{key}\') '
            f'WHERE "{scope_column}" = ? AND json_extract("{column}", \'$.{key}\') IS NOT NULL'
        )
    return (
        f'UPDATE "{table}" SET "{column}" = ("{column}"::jsonb - \'{key}\') '
        f'WHERE "{scope_column}" = $1 AND ("{column}"::jsonb ? \'{key}\')'
    )


def remove_key_everywhere_statement(table: str, column: str, key: str) -> str:
    """The same for a whole table (the topology tables hold one model each)."""
    _check(table, column, key)
    if is_sqlite():
        return (
            f'UPDATE "{table}" SET "{column}" = json_remove("{column}", \'$.{key}\') '
            f"WHERE json_extract(\"{column}\", '$.{key}') IS NOT NULL"
        )
    return f'UPDATE "{table}" SET "{column}" = ("{column}"::jsonb - \'{key}\') WHERE ("{column}"::jsonb ? \'{key}\')'
