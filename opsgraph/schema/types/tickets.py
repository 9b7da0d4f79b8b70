"""ITSM in the graph: ServiceCatalog, Service (with its Workflow version), Ticket, TicketStep
(a node the ticket reached), TicketSignature and TicketLog. Built from `.values()` rows; every
relationship goes through `info.context.loaders.tickets`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.models.tickets import ACTIVE_NODE_STATUSES, NodeStatus, StateType, TicketStatus
from opsgraph.resolvers.tickets.fields import display_value
from opsgraph.resolvers.tickets.loaders import TicketLoaders
from opsgraph.resolvers.tickets.operations import node_operations
from opsgraph.resolvers.tickets.ticket_operations import ticket_operations
from opsgraph.resolvers.tickets.workflows import state_fields
from opsgraph.schema.connection import Connection, connection_from_rows
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.tasks import TaskType
from opsgraph.schema.types.topology import BusinessType

Row = dict[str, Any]

strawberry.enum(TicketStatus, name="TicketStatus", description="bk-itsm current_status.")
strawberry.enum(NodeStatus, name="TicketStepStatus", description="bk-itsm node status.")
strawberry.enum(StateType, name="WorkflowStateType")


def _loaders(info: Info) -> TicketLoaders:
    loaders: TicketLoaders = info.context.loaders.tickets
    return loaders


@strawberry.type(name="FieldChoice")
class FieldChoiceType:
    key: str
    name: str


@strawberry.type(name="TicketFieldDefinition", description="A form field (bk-itsm field types).")
class FieldDefinitionType:
    key: str
    name: str
    type: str = strawberry.field(description="STRING, TEXT, INT, DATE, DATETIME, SELECT, MULTISELECT, RADIO, …")
    desc: str
    required: bool
    choices: list[FieldChoiceType]
    regex: str = strawberry.field(description="A named rule: EMPTY, NUMBER, EMAIL, PHONE, IP.")
    meta: JSON

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> FieldDefinitionType:
        return cls(
            key=item["key"],
            name=item["name"],
            type=item["type"],
            desc=item["desc"],
            required=item["required"],
            choices=[FieldChoiceType(key=c["key"], name=c["name"]) for c in item["choices"]],
            regex=item["regex"],
            meta=item["meta"],
        )


@strawberry.type(name="TicketFieldValue")
class FieldValueType:
    key: str
    name: str
    type: str
    value: JSON
    display_value: JSON = strawberry.field(description="Choice keys shown by their names.")


@strawberry.type(name="WorkflowState")
class WorkflowStateType:
    state_id: int
    name: str
    type: StateType
    processors_type: str | None
    processors: list[str]
    is_multi: bool
    is_sequential: bool
    terminate_on_reject: bool
    finish_condition: JSON | None
    fields: list[FieldDefinitionType] = strawberry.field(description="What its processors fill (approvals: built in).")

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> WorkflowStateType:
        return cls(
            state_id=state["id"],
            name=state["name"],
            type=StateType(state["type"]),
            processors_type=state.get("processors_type"),
            processors=list(state.get("processors", [])),
            is_multi=bool(state.get("is_multi", False)),
            is_sequential=bool(state.get("is_sequential", False)),
            terminate_on_reject=bool(state.get("terminate_on_reject", False)),
            finish_condition=state.get("finish_condition"),
            fields=[FieldDefinitionType.from_dict(f) for f in state_fields(state)],
        )


@strawberry.type(name="WorkflowTransition")
class WorkflowTransitionType:
    from_state: int
    to_state: int
    name: str
    conditions: JSON = strawberry.field(description="[{key, condition, value}]")
    condition_type: str
    is_default: bool


@strawberry.type(name="Workflow", description="One immutable version of a service's flow.")
class WorkflowType:
    workflow_id: int
    version: int
    fields: list[FieldDefinitionType] = strawberry.field(description="The submit form.")
    states: list[WorkflowStateType]
    transitions: list[WorkflowTransitionType]

    @classmethod
    def from_row(cls, row: Row) -> WorkflowType:
        definition = row["definition"]
        return cls(
            workflow_id=row["id"],
            version=row["version"],
            fields=[FieldDefinitionType.from_dict(f) for f in definition["fields"]],
            states=[WorkflowStateType.from_dict(s) for s in definition["states"]],
            transitions=[
                WorkflowTransitionType(
                    from_state=t["from"],
                    to_state=t["to"],
                    name=t["name"],
                    conditions=t["conditions"],
                    condition_type=t["condition_type"],
                    is_default=t["default"],
                )
                for t in definition["transitions"]
            ],
        )


@strawberry.type(name="ServiceCatalog")
class ServiceCatalogType(Node):
    catalog_id: int
    key: str
    name: str
    desc: str
    level: int
    parent_id: int | None

    @classmethod
    def from_row(cls, row: Row) -> ServiceCatalogType:
        return cls(
            id=strawberry.ID(encode_global_id("ServiceCatalog", row["id"])),
            catalog_id=row["id"],
            key=row["key"],
            name=row["name"],
            desc=row["desc"],
            level=row["level"],
            parent_id=row["parent_id"],
        )

    @strawberry.field
    async def children(self, info: Info) -> list[ServiceCatalogType]:
        rows = await _loaders(info).catalogs_by_parent.load(self.catalog_id)
        return [ServiceCatalogType.from_row(r) for r in rows]

    @strawberry.field(description="Enabled services in this catalog (not the built-in ones).")
    async def services(self, info: Info) -> list[ServiceType]:
        rows = await _loaders(info).services_by_catalog.load(self.catalog_id)
        return [ServiceType.from_row(r) for r in rows]


@strawberry.type(name="Service")
class ServiceType(Node):
    service_id: int
    catalog_id: int
    name: str
    desc: str
    service_type: str = strawberry.field(description="request, change, event or question.")
    revocable: bool = strawberry.field(description="Whether its tickets may be withdrawn by their creator.")
    is_builtin: bool
    enabled: bool
    workflow_id: int = strawberry.field(description="The current workflow version; new tickets use it.")

    @classmethod
    def from_row(cls, row: Row) -> ServiceType:
        return cls(
            id=strawberry.ID(encode_global_id("Service", row["id"])),
            service_id=row["id"],
            catalog_id=row["catalog_id"],
            name=row["name"],
            desc=row["desc"],
            service_type=row["service_type"],
            revocable=row["revocable"],
            is_builtin=row["is_builtin"],
            enabled=row["enabled"],
            workflow_id=row["workflow_id"],
        )

    @strawberry.field
    async def catalog(self, info: Info) -> ServiceCatalogType:
        return ServiceCatalogType.from_row(await _loaders(info).catalog.load(self.catalog_id))

    @strawberry.field
    async def workflow(self, info: Info) -> WorkflowType:
        return WorkflowType.from_row(await _loaders(info).workflow.load(self.workflow_id))


@strawberry.type(name="TicketSignature", description="One processor's answer on an approval or sign step.")
class TicketSignatureType:
    processor: str
    approved: bool
    comment: str
    created_at: datetime


@strawberry.type(name="TicketStep", description="A state the ticket reached (bk-itsm current_steps).")
class TicketStepType:
    state_id: int
    name: str
    type: StateType
    status: NodeStatus
    processors_type: str
    processors: list[str]
    approve_result: bool | None
    operator: str = strawberry.field(description="Who finished it.")
    comment: str
    values: JSON = strawberry.field(description="What was submitted at this step: field key → value.")
    started_at: datetime
    finished_at: datetime | None
    node_pk: strawberry.Private[int]
    flow_id: strawberry.Private[int]
    ticket_status: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row, flow_id: int, ticket_status: str) -> TicketStepType:
        return cls(
            state_id=row["state_id"],
            name=row["name"],
            type=StateType(row["type"]),
            status=NodeStatus(row["status"]),
            processors_type=row["processors_type"],
            processors=list(row["processors"]),
            approve_result=row["approve_result"],
            operator=row["operator"],
            comment=row["comment"],
            values=row["values"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            node_pk=row["id"],
            flow_id=flow_id,
            ticket_status=ticket_status,
        )

    async def _state(self, info: Info) -> dict[str, Any]:
        flow = await _loaders(info).workflow.load(self.flow_id)
        return next((s for s in flow["definition"]["states"] if s["id"] == self.state_id), {"type": "START"})

    @strawberry.field(description="What its processors fill in to process it.")
    async def fields(self, info: Info) -> list[FieldDefinitionType]:
        state = await self._state(info)
        return [FieldDefinitionType.from_dict(f) for f in state_fields(state)] if "fields" in state else []

    @strawberry.field(description="Operations it takes now: TRANSITION, CLAIM, DISTRIBUTE, DELIVER, TERMINATE.")
    async def operations(self, info: Info) -> list[str]:
        state = await self._state(info)
        return node_operations(self.ticket_status, self.status.value, bool(state.get("is_multi")))

    @strawberry.field
    async def signatures(self, info: Info) -> list[TicketSignatureType]:
        rows = await _loaders(info).signatures_by_node.load(self.node_pk)
        return [
            TicketSignatureType(
                processor=r["processor"], approved=r["approved"], comment=r["comment"], created_at=r["created_at"]
            )
            for r in rows
        ]


@strawberry.type(name="TicketLog")
class TicketLogType:
    id: int
    operator: str
    action: str
    message: str
    source: str = strawberry.field(description="WEB, API or SYS.")
    state_id: int | None
    operate_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> TicketLogType:
        return cls(
            id=row["id"],
            operator=row["operator"],
            action=row["action"],
            message=row["message"],
            source=row["source"],
            state_id=row["state_id"],
            operate_at=row["operate_at"],
        )


@strawberry.type(name="Ticket")
class TicketType(Node):
    ticket_id: int
    sn: str
    title: str
    status: TicketStatus
    service_id: int
    flow_id: int = strawberry.field(description="The workflow version it runs.")
    bk_biz_id: int | None
    creator: str
    values: JSON = strawberry.field(description="The submitted fields: key → value.")
    approve_result: bool | None = strawberry.field(description="Once ended: FINISHED and every approval approved.")
    end_reason: str
    callback_url: str
    origin_kind: str = strawberry.field(description="JOB_STEP or PIPELINE_NODE for approvals of runs, else empty.")
    origin_task_id: int | None
    origin_ref: str
    decision_acknowledged: bool = strawberry.field(
        description="Approvals of runs: the waiting run has taken the decision (false while it still has to)."
    )
    updated_by: str
    created_at: datetime
    updated_at: datetime
    end_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> TicketType:
        return cls(
            id=strawberry.ID(encode_global_id("Ticket", row["id"])),
            ticket_id=row["id"],
            sn=row["sn"],
            title=row["title"],
            status=TicketStatus(row["current_status"]),
            service_id=row["service_id"],
            flow_id=row["flow_id"],
            bk_biz_id=row["business_id"],
            creator=row["creator"],
            values=row["values"],
            approve_result=row["approve_result"],
            end_reason=row["end_reason"],
            callback_url=row["callback_url"],
            origin_kind=row["origin_kind"],
            origin_task_id=row["origin_task_id"],
            origin_ref=row["origin_ref"],
            decision_acknowledged=row["decision_acknowledged"],
            updated_by=row["updated_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            end_at=row["end_at"],
        )

    @strawberry.field(description="SUSPEND, UNSUSPEND, WITHDRAW, TERMINATE: what the ticket's status allows.")
    def operations(self) -> list[str]:
        return ticket_operations(self.status.value)

    @strawberry.field
    async def service(self, info: Info) -> ServiceType:
        return ServiceType.from_row(await _loaders(info).service.load(self.service_id))

    @strawberry.field(description="Null when the ticket names none or you have no role on it.")
    async def business(self, info: Info) -> BusinessType | None:
        if self.bk_biz_id is None or not info.context.caller.can(self.bk_biz_id):
            return None
        row = await info.context.loaders.business.load(self.bk_biz_id)
        return BusinessType.from_row(row) if row else None

    @strawberry.field(description="The submit form with its values.")
    async def fields(self, info: Info) -> list[FieldValueType]:
        flow = await _loaders(info).workflow.load(self.flow_id)
        values = self.values if isinstance(self.values, dict) else {}
        return [
            FieldValueType(
                key=d["key"],
                name=d["name"],
                type=d["type"],
                value=values.get(d["key"], ""),
                display_value=display_value(d, values.get(d["key"], "")),
            )
            for d in flow["definition"]["fields"]
        ]

    @strawberry.field(description="Every state reached, in order.")
    async def steps(self, info: Info) -> list[TicketStepType]:
        rows = await _loaders(info).nodes_by_ticket.load(self.ticket_id)
        return [TicketStepType.from_row(r, self.flow_id, self.status.value) for r in rows]

    @strawberry.field(description="The steps waiting to be processed.")
    async def current_steps(self, info: Info) -> list[TicketStepType]:
        return [s for s in await self.steps(info) if s.status in ACTIVE_NODE_STATUSES]

    @strawberry.field(description="What happened, oldest first.")
    async def logs(self, info: Info, first: int, after: str | None = None) -> Connection[TicketLogType]:
        rows = await _loaders(info).logs_by_ticket.load(self.ticket_id)
        maximum = int(info.context.settings.max_page_size)
        return connection_from_rows(rows, first=first, after=after, maximum=maximum, build=TicketLogType.from_row)

    @strawberry.field(description="The run this approval gates (JOB_STEP tickets), when you may see it.")
    async def task(self, info: Info) -> TaskType | None:
        if self.origin_kind != "JOB_STEP" or self.origin_task_id is None:
            return None
        row = await info.context.loaders.task.load(self.origin_task_id)
        if row is None or (row["business_id"] is not None and not info.context.caller.can(row["business_id"])):
            return None
        return TaskType.from_row(row)
