"""Per-request DataLoaders: every relationship in the graph is fetched through one of these,
so a query's SQL count does not grow with the number of rows it returns.

Loaders return `.values()` rows (plain dicts): model instances cost 3–4× more on big lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from aiodataloader import DataLoader
from tortoise import connections
from tortoise.models import Model

from opsgraph.models.agents import AgentState
from opsgraph.models.cmdb_events import EventSubscription
from opsgraph.models.cmdb_groups import DynamicGroup
from opsgraph.models.jobs import Account, Cron, JobStep, JobTemplate, Script, ScriptVersion
from opsgraph.models.messaging import MessageDelivery
from opsgraph.models.security import ScanFile, SecurityFinding
from opsgraph.models.tasks import Task, TaskHostResult, TaskStep
from opsgraph.models.topology import Business, CloudArea, Host, HostModule, Module, Set
from opsgraph.resolvers.agents.status import PUBLIC_COLUMNS as AGENT_PUBLIC_COLUMNS
from opsgraph.resolvers.cmdb.loaders import CmdbLoaders
from opsgraph.resolvers.cmdb_events.stats import SUBSCRIPTION_PUBLIC_COLUMNS, pending_deliveries
from opsgraph.resolvers.first_use import made_on_first_use
from opsgraph.resolvers.host_loaders import hosts_loader
from opsgraph.resolvers.jobs.accounts import PUBLIC_COLUMNS as ACCOUNT_PUBLIC_COLUMNS
from opsgraph.resolvers.pipelines.loaders import PipelineLoaders
from opsgraph.resolvers.security.scan_files import PUBLIC_COLUMNS as SCAN_FILE_PUBLIC_COLUMNS
from opsgraph.resolvers.tickets.loaders import TicketLoaders

Row = dict[str, Any]
BatchFn = Callable[[list[int]], Awaitable[list[Any]]]


def _by_id_loader(model: type[Model], columns: Sequence[str] = ()) -> DataLoader:
    """`columns` limits what is read (e.g. never an account's secret); empty = every column."""

    async def batch(ids: list[int]) -> list[Row | None]:
        rows = {row["id"]: row for row in await model.filter(id__in=ids).values(*columns)}
        return [rows.get(pk) for pk in ids]

    return DataLoader(batch, max_batch_size=5000)


def _unique_key_loader(model: type[Model], key: str, columns: Sequence[str] = ()) -> DataLoader:
    """One row (or None) per value of a unique column, e.g. a host's agent by host id."""

    async def batch(keys: list[int]) -> list[Row | None]:
        rows = {row[key]: row for row in await model.filter(**{f"{key}__in": keys}).values(*columns)}
        return [rows.get(k) for k in keys]

    return DataLoader(batch, max_batch_size=5000)


def _grouped_loader(model: type[Model], key: str, order: str = "id", columns: Sequence[str] = ()) -> DataLoader:
    async def batch(keys: list[int]) -> list[list[Row]]:
        groups: dict[int, list[Row]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": keys}).order_by(order).values(*columns):
            groups[row[key]].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(batch, max_batch_size=5000)


async def _module_ids_by_host(host_ids: list[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    rows = await HostModule.filter(host_id__in=host_ids).order_by("module_id").values("host_id", "module_id")
    for row in rows:
        groups[row["host_id"]].append(row["module_id"])
    return [groups.get(pk, []) for pk in host_ids]


async def latest_per_parent(
    model: type[Model], parent_column: str, parent_ids: Sequence[int], *, limit: int, before_id: int | None
) -> dict[int, list[Row]]:
    """The newest `limit` rows of each parent in ONE statement (ROW_NUMBER() OVER a partition):
    paging children of many parents without one query per parent. Identifiers are our own."""
    connection = connections.get("default")
    table = model._meta.db_table
    values: list[Any] = [*parent_ids]
    if before_id is not None:
        values.append(before_id)
    values.append(limit)
    sqlite = connection.capabilities.dialect == "sqlite"
    marks = [("?" if sqlite else f"${i + 1}") for i in range(len(values))]
    parents = ", ".join(marks[: len(parent_ids)])
    before_clause = f'AND "id" < {marks[len(parent_ids)]}' if before_id is not None else ""
    sql = (
        f'SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "{parent_column}" ORDER BY "id" DESC) AS "rn" '
        f'FROM "{table}" WHERE "{parent_column}" IN ({parents}) {before_clause}) AS "ranked" '
        f'WHERE "rn" <= {marks[-1]} ORDER BY "id" DESC'
    )
    rows = await connection.execute_query_dict(sql, values)
    groups: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        row.pop("rn", None)
        groups[int(row[parent_column])].append(_decode_row(model, row))
    return groups


def _decode_row(model: type[Model], row: Row) -> Row:
    """Raw rows carry database types (JSON text, SQLite datetimes as text): convert like `.values()`."""
    for name, column in model._meta.fields_db_projection.items():
        if column in row and row[column] is not None:
            row[column] = model._meta.fields_map[name].to_python_value(row[column])
    return row


def windowed_loader(model: type[Model], parent_column: str, limit: int, before_id: int | None) -> DataLoader:
    async def batch(parent_ids: list[int]) -> list[list[Row]]:
        groups = await latest_per_parent(model, parent_column, parent_ids, limit=limit, before_id=before_id)
        return [groups.get(pk, []) for pk in parent_ids]

    return DataLoader(batch, max_batch_size=1000)


async def _current_script_versions(script_ids: list[int]) -> list[Row | None]:
    """The newest version of each script: one query for the numbers, one for the content."""
    newest: dict[int, Row] = {}
    for row in await ScriptVersion.filter(script_id__in=script_ids).values("id", "script_id", "version"):
        if row["script_id"] not in newest or row["version"] > newest[row["script_id"]]["version"]:
            newest[row["script_id"]] = row
    ids = [row["id"] for row in newest.values()]
    rows = {row["script_id"]: row for row in await ScriptVersion.filter(id__in=ids).values()} if ids else {}
    return [rows.get(pk) for pk in script_ids]


class Loaders:
    """Created once per request (never shared between principals). Each loader is made on first
    use (see `first_use`): a request reads a few of them."""

    business = made_on_first_use(lambda: _by_id_loader(Business))
    set = made_on_first_use(lambda: _by_id_loader(Set))
    module = made_on_first_use(lambda: _by_id_loader(Module))
    host = made_on_first_use(lambda: _by_id_loader(Host))
    cloud_area = made_on_first_use(lambda: _by_id_loader(CloudArea))
    sets_by_business = made_on_first_use(lambda: _grouped_loader(Set, "business_id"))
    modules_by_set = made_on_first_use(lambda: _grouped_loader(Module, "set_id"))
    modules_by_business = made_on_first_use(lambda: _grouped_loader(Module, "business_id"))
    hosts_by_business = made_on_first_use(lambda: hosts_loader("business", None))
    hosts_by_module = made_on_first_use(lambda: hosts_loader("module", None))
    task = made_on_first_use(lambda: _by_id_loader(Task))
    task_step = made_on_first_use(lambda: _by_id_loader(TaskStep))
    steps_by_task = made_on_first_use(lambda: _grouped_loader(TaskStep, "task_id", order="position"))
    results_by_step = made_on_first_use(lambda: _grouped_loader(TaskHostResult, "step_id"))
    findings_by_task = made_on_first_use(lambda: _grouped_loader(SecurityFinding, "task_id"))
    scan_file = made_on_first_use(lambda: _by_id_loader(ScanFile, SCAN_FILE_PUBLIC_COLUMNS))
    module_ids_by_host = made_on_first_use(lambda: DataLoader(_module_ids_by_host, max_batch_size=5000))
    # Work objects (jobs). Account rows never carry the secret column.
    script = made_on_first_use(lambda: _by_id_loader(Script))
    account = made_on_first_use(lambda: _by_id_loader(Account, ACCOUNT_PUBLIC_COLUMNS))
    job_template = made_on_first_use(lambda: _by_id_loader(JobTemplate))
    cron = made_on_first_use(lambda: _by_id_loader(Cron))
    scripts_by_business = made_on_first_use(lambda: _grouped_loader(Script, "business_id"))
    accounts_by_business = made_on_first_use(
        lambda: _grouped_loader(Account, "business_id", columns=ACCOUNT_PUBLIC_COLUMNS)
    )
    job_templates_by_business = made_on_first_use(lambda: _grouped_loader(JobTemplate, "business_id"))
    crons_by_business = made_on_first_use(lambda: _grouped_loader(Cron, "business_id"))
    script_versions_by_script = made_on_first_use(lambda: _grouped_loader(ScriptVersion, "script_id"))
    current_script_version = made_on_first_use(lambda: DataLoader(_current_script_versions, max_batch_size=5000))
    # a template step's pinned version
    script_version = made_on_first_use(lambda: _by_id_loader(ScriptVersion))
    steps_by_template = made_on_first_use(lambda: _grouped_loader(JobStep, "template_id", order="position"))
    # Agents: never the token or a proxy's stored login.
    agent_by_host = made_on_first_use(lambda: _unique_key_loader(AgentState, "host_id", AGENT_PUBLIC_COLUMNS))
    # sops: templates, versions, runs by task, periodic tasks
    pipelines = made_on_first_use(PipelineLoaders)
    # ITSM: catalogs, services, workflows, tickets
    tickets = made_on_first_use(TicketLoaders)
    # CMDB dynamic groups and event subscriptions (the subscription's signing secret never loads).
    dynamic_group = made_on_first_use(lambda: _by_id_loader(DynamicGroup))
    event_subscription = made_on_first_use(lambda: _by_id_loader(EventSubscription, SUBSCRIPTION_PUBLIC_COLUMNS))
    pending_deliveries = made_on_first_use(lambda: DataLoader(pending_deliveries, max_batch_size=5000))
    # Messages: each one's receivers (outbox rows), in the order they were given.
    deliveries_by_message = made_on_first_use(lambda: _grouped_loader(MessageDelivery, "message_id"))
    # CMDB model layer: models, attributes, instances of any model, instance links.
    cmdb = made_on_first_use(CmdbLoaders)

    def __init__(self) -> None:
        self._windowed: dict[tuple[str, str, int, int | None], DataLoader] = {}
        self._hosts: dict[tuple[str, tuple[str, ...] | None], DataLoader] = {}

    def newest(self, model: type[Model], parent_column: str, limit: int, before_id: int | None) -> DataLoader:
        """One loader per (relationship, page size, cursor): siblings asking the same page share a batch."""
        key = (model.__name__, parent_column, limit, before_id)
        if key not in self._windowed:
            self._windowed[key] = windowed_loader(model, parent_column, limit, before_id)
        return self._windowed[key]

    def hosts_with(self, relation: str, columns: tuple[str, ...] | None) -> DataLoader:
        """Hosts by module ("module") or business ("business") id, reading only `columns` (None: every
        column; see host_loaders); one loader per column set, so sibling lists share one query."""
        key = (relation, columns)
        if key not in self._hosts:
            self._hosts[key] = hosts_loader(relation, columns)
        return self._hosts[key]

    def prime_many(self, loader: DataLoader, rows: Iterable[Row]) -> None:
        for row in rows:
            loader.prime(row["id"], row)

    async def modules_of_host(self, host_id: int) -> list[Row]:
        module_ids: Sequence[int] = await self.module_ids_by_host.load(host_id)
        return [row for row in await self.module.load_many(module_ids) if row is not None]
