"""Monitoring mutations: strategies (import, enable, delete), alarms (acknowledge, close — answered
with a partition of the ids), shields, ingestion sources. Uptime and collectors:
mutations/monitoring_checks.py."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.monitoring import alarm_actions
from opsgraph.resolvers.monitoring import strategies as strategy_actions
from opsgraph.resolvers.monitoring.ingest_webhook import create_source
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import pk, pks
from opsgraph.schema.types.monitoring import AlarmStrategyType


@strawberry.input(description="conf_list items in the documented v2 shape (export_alarm_strategy's success items).")
class ImportAlarmStrategiesInput:
    business_id: strawberry.ID
    conf_list: JSON


@strawberry.type
class ImportResultPayload:
    result: JSON | None = strawberry.field(default=None, description="Per item: what succeeded and what failed, why.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteMonitorSourceInput:
    monitor_source_id: strawberry.ID


@strawberry.type
class DeletedPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetAlarmStrategyEnabledInput:
    strategy_id: strawberry.ID
    enabled: bool


@strawberry.type
class AlarmStrategyPayload:
    strategy: AlarmStrategyType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AlarmIdsInput:
    alarm_ids: list[strawberry.ID]
    message: str = ""


@strawberry.type(description="Every id lands in exactly one list, as bk-monitor's ack answers.")
class AlarmPartitionPayload:
    done: list[strawberry.ID] = strawberry.field(default_factory=list)
    not_found: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Missing, or on a business you cannot see."
    )
    already: list[strawberry.ID] = strawberry.field(default_factory=list)
    not_applicable: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Not ABNORMAL, or you only have the viewer role on its business."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="scope: dimensions to match; strategy: strategyIds; alarm: alarmIds.")
class CreateAlarmShieldInput:
    business_id: strawberry.ID
    category: str
    end: datetime
    begin: datetime | None = None
    strategy_ids: list[strawberry.ID] | None = None
    dimensions: JSON | None = None
    alarm_ids: list[strawberry.ID] | None = None
    reason: str = ""
    cycle_config: JSON | None = strawberry.field(
        default=None,
        description="Periodic shield, bk-monitor's cycle_config: {type: 1 once | 2 daily | 3 weekly | 4 monthly, "
        "begin_time, end_time (HH:MM[:SS] on the business's clock), week_list (1 Monday..7), day_list (1..31)}.",
    )


@strawberry.type
class AlarmShieldPayload:
    shield_id: strawberry.ID | None = None
    bk_shield_id: int | None = None
    shielded_alarm_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteAlarmShieldInput:
    shield_id: strawberry.ID


@strawberry.input
class CreateAlarmIngestSourceInput:
    business_id: strawberry.ID
    name: str


@strawberry.type
class AlarmIngestSourcePayload:
    source_id: strawberry.ID | None = None
    name: str | None = None
    token: str | None = strawberry.field(default=None, description="Shown once: POST /api/monitor/alarms bearer token.")
    errors: list[UserError] = strawberry.field(default_factory=list)


def _alarm_ids(ids: list[int]) -> list[strawberry.ID]:
    return [strawberry.ID(encode_global_id("Alarm", i)) for i in ids]


def _partition(result: alarm_actions.Partition) -> AlarmPartitionPayload:
    return AlarmPartitionPayload(
        done=_alarm_ids(result.done),
        not_found=_alarm_ids(result.not_found),
        already=_alarm_ids(result.already),
        not_applicable=_alarm_ids(result.not_applicable),
    )


@strawberry.type
class MonitoringMutations:
    @strawberry.mutation(description="import_alarm_strategy: create (or, with monitor_id, replace) each item.")
    @returns_user_errors(ImportResultPayload)
    async def import_alarm_strategies(self, info: Info, input: ImportAlarmStrategiesInput) -> ImportResultPayload:
        result = await strategy_actions.import_sources(
            info.context.caller, pk(input.business_id, "Business"), input.conf_list
        )
        return ImportResultPayload(result=cast(JSON, result))

    @strawberry.mutation(description="A monitor source and its strategies; their alarms stay.")
    @returns_user_errors(DeletedPayload)
    async def delete_monitor_source(self, info: Info, input: DeleteMonitorSourceInput) -> DeletedPayload:
        await strategy_actions.delete_source(info.context.caller, pk(input.monitor_source_id, "MonitorSource"))
        return DeletedPayload(deleted_id=input.monitor_source_id)

    @strawberry.mutation
    @returns_user_errors(AlarmStrategyPayload)
    async def set_alarm_strategy_enabled(self, info: Info, input: SetAlarmStrategyEnabledInput) -> AlarmStrategyPayload:
        strategy = await strategy_actions.set_strategy_enabled(
            info.context.caller, pk(input.strategy_id, "AlarmStrategy"), input.enabled
        )
        row = (await type(strategy).filter(id=strategy.id).values())[0]
        return AlarmStrategyPayload(strategy=AlarmStrategyType.from_row(row))

    @strawberry.mutation(description="Acknowledge ABNORMAL alarms (operators of their business).")
    @returns_user_errors(AlarmPartitionPayload)
    async def acknowledge_alarms(self, info: Info, input: AlarmIdsInput) -> AlarmPartitionPayload:
        result = await alarm_actions.acknowledge(info.context.caller, pks(input.alarm_ids, "Alarm"), input.message)
        return _partition(result)

    @strawberry.mutation(description="Close ABNORMAL alarms by hand (operators of their business).")
    @returns_user_errors(AlarmPartitionPayload)
    async def close_alarms(self, info: Info, input: AlarmIdsInput) -> AlarmPartitionPayload:
        return _partition(await alarm_actions.close(info.context.caller, pks(input.alarm_ids, "Alarm"), input.message))

    @strawberry.mutation(
        description="A time-boxed shield (at most 30 days, a periodic one 366), in force between begin and end, "
        "and with cycleConfig only inside its daily / weekly / monthly window; covered open alarms are shielded "
        "while it is in force."
    )
    @returns_user_errors(AlarmShieldPayload)
    async def create_alarm_shield(self, info: Info, input: CreateAlarmShieldInput) -> AlarmShieldPayload:
        if input.dimensions is not None and not isinstance(input.dimensions, dict):
            raise ValidationFailed("dimensions must be an object", field="dimensions")
        shield, shielded = await alarm_actions.create_shield(
            info.context.caller,
            alarm_actions.ShieldSpec(
                business_id=pk(input.business_id, "Business"),
                category=input.category,
                begin=input.begin,
                end=input.end,
                strategy_ids=pks(input.strategy_ids or [], "AlarmStrategy"),
                dimensions=dict(input.dimensions or {}),
                alarm_ids=pks(input.alarm_ids or [], "Alarm"),
                reason=input.reason,
                cycle_config=input.cycle_config,
            ),
        )
        return AlarmShieldPayload(
            shield_id=strawberry.ID(encode_global_id("AlarmShield", shield.id)),
            bk_shield_id=shield.id,
            shielded_alarm_ids=_alarm_ids(shielded),
        )

    @strawberry.mutation
    @returns_user_errors(DeletedPayload)
    async def delete_alarm_shield(self, info: Info, input: DeleteAlarmShieldInput) -> DeletedPayload:
        await alarm_actions.delete_shield(info.context.caller, pk(input.shield_id, "AlarmShield"))
        return DeletedPayload(deleted_id=input.shield_id)

    @strawberry.mutation(description="An external alarm source of a business; its token is shown only here.")
    @returns_user_errors(AlarmIngestSourcePayload)
    async def create_alarm_ingest_source(
        self, info: Info, input: CreateAlarmIngestSourceInput
    ) -> AlarmIngestSourcePayload:
        source, token = await create_source(info.context.caller, pk(input.business_id, "Business"), input.name)
        return AlarmIngestSourcePayload(
            source_id=strawberry.ID(encode_global_id("AlarmIngestSource", source.id)), name=source.name, token=token
        )
