"""A long subscription holds no per-event state.

graphql-core 3.3 builds each event's executor as a shallow copy of the subscription's, sharing its
memo of collected subfields; the memo is keyed by a field list collected anew for every event and
keeps that list alive, so a subscription that delivered N events holds N field collections until it
ends. OpsGraph's executor (the one `opsgraph.schema` runs every operation with) gives each event its
own memo. Both executors run the same subscription here; the stock one shows the growth, so the
check on ours can fail.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator

import strawberry
from graphql.execution.collect_fields import FieldDetails
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from opsgraph.schema import schema as opsgraph_schema
from opsgraph.schema.subscriptions.event_executor import OpsGraphExecutor

EVENTS = 300


@strawberry.type
class Tick:
    number: int
    label: str


@strawberry.type
class Query:
    ready: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, count: int) -> AsyncGenerator[Tick, None]:
        for number in range(count):
            yield Tick(number=number, label=f"tick {number}")


def live_field_details() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, FieldDetails))


async def field_details_held(executor: type[StrawberryGraphQLCoreExecutionContext]) -> int:
    """FieldDetails alive after EVENTS events, while the subscription is still open."""
    schema = strawberry.Schema(Query, subscription=Subscription, execution_context_class=executor)
    before = live_field_details()
    results = await schema.subscribe(f"subscription {{ ticks(count: {EVENTS + 1}) {{ number label }} }}")
    received = []
    async for result in results:
        assert not result.errors, result.errors
        assert result.data is not None
        received.append(result.data["ticks"]["number"])
        if len(received) == EVENTS:
            held = live_field_details() - before
            await results.aclose()
            break
    assert received == list(range(EVENTS))
    return held


async def test_events_leave_no_state_behind() -> None:
    assert opsgraph_schema.execution_context_class is OpsGraphExecutor
    stock = await field_details_held(StrawberryGraphQLCoreExecutionContext)
    ours = await field_details_held(OpsGraphExecutor)
    assert stock >= EVENTS, f"the stock executor kept {stock} FieldDetails over {EVENTS} events"
    assert ours < 20, f"OpsGraph's executor kept {ours} FieldDetails over {EVENTS} events"
