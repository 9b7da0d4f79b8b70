"""What the subcommands share: binding a handler, running admin actions on the database, rendering output."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from opsgraph.core.db import apply_migrations, database
from opsgraph.core.settings import Settings, get_settings

# A parsed command's handler: returns the process exit status.
Handler = Callable[[argparse.Namespace], int]
# An `admin …` action: runs with the database open and returns what to print.
AdminAction = Callable[[argparse.Namespace, Settings], Awaitable[str]]


def admin_handler(action: AdminAction) -> Handler:
    """Settings from the environment, the database migrated and open, the action's output printed."""

    def run(args: argparse.Namespace) -> int:
        settings = get_settings()
        print(asyncio.run(with_database(settings, lambda: action(args, settings))))
        return 0

    return run


async def with_database(settings: Settings, action: Callable[[], Awaitable[str]]) -> str:
    from opsgraph.resolvers.topology.bootstrap import ensure_builtin_records

    await apply_migrations(settings.database_url)
    async with database(settings.database_url):
        await ensure_builtin_records()
        return await action()


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def render_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=_json_value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def render_time(value: datetime | str | None) -> str:
    """A timestamp to the second, or '-' when unset."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.isoformat(sep=" ", timespec="seconds")


def render_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return render_time(value)
    return str(value)


def render_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "(none)") -> str:
    """Left-aligned columns separated by two spaces; `empty` when there are no rows."""
    cells = [[render_cell(value) for value in row] for row in rows]
    if not cells:
        return empty
    widths = [max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    lines = [headers, *cells]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def render_fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """`name: value` lines with the values aligned."""
    items = [(name, render_cell(value)) for name, value in pairs]
    width = max((len(name) for name, _ in items), default=0) + 1
    return "\n".join(f"{name + ':':<{width}} {value}" for name, value in items)
