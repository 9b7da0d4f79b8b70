"""The executor of every operation (strawberry's, with two changes for subscription events).

1. Retention (a graphql-core 3.3 bug, worked around here): `Executor.build_per_event_executor`
   makes each event's executor with `copy(self)`, a shallow copy, so every event shares the
   subscription's `_relevant_sub_fields` memo. That memo is keyed by the identity of the field
   list, and the root field list is collected anew for every event, so each event adds an entry —
   holding the list alive on purpose — that is never hit again and never dropped: after 1,000 events
   a subscription holds 1,000 field collections, and 1,000 subscriptions hold millions of objects
   that every full garbage collection walks. Each event's executor gets a memo of its own here; it
   goes with the event.

2. Sharing: subscribers of one task mostly send the same document and receive the same events. When
   the event object is shared (`shared_events`) and its type is context-free — no field of it, or of
   any type under it, has a resolver that could read the caller's context — the result for one
   (document, variables, event) is computed once and handed to every subscriber. Who may subscribe
   at all is still decided per subscriber, by the subscription resolver (`get_task` for
   `taskEvents`), before any event is executed for it; any other type is executed per subscriber.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_enum_type,
    is_object_type,
    is_scalar_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_RESULTS_KEPT = 2048
# (id(schema), id(operation), variables, id(event)) → (operation, event, result); the entry keeps the
# operation and the event alive, so neither id can be reused by another object while it exists (the
# schema lives as long as the process).
_results: OrderedDict[tuple[int, int, str, int], tuple[Any, Any, ExecutionResult]] = OrderedDict()
_context_free: dict[tuple[int, str], bool] = {}


class OpsGraphExecutor(StrawberryGraphQLCoreExecutionContext):
    _variables_key: str | None = None
    _per_event = False

    def build_per_event_executor(self, payload: Any) -> OpsGraphExecutor:
        if self._variables_key is None:
            self._variables_key = json.dumps(self.variable_values.coerced, sort_keys=True, default=repr)
        if self._shareable(payload):
            kept = _results.get(self._result_key(payload))
            if kept is not None:
                # Another subscriber of this document already has the event's result: no executor
                # copy for this one (graphql-core's copy is most of a cached event's cost).
                return _KnownResult(kept[2])  # type: ignore[return-value]
        executor: OpsGraphExecutor = super().build_per_event_executor(payload)  # type: ignore[assignment]
        executor._relevant_sub_fields = {}
        executor._per_event = True
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if not (self._per_event and self._shareable(self.root_value)):
            return super().execute_operation(serially)
        key = self._result_key(self.root_value)
        kept = _results.get(key)
        if kept is not None:
            return kept[2]
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            return self._keep_awaited(key, result)
        if isinstance(result, ExecutionResult):
            _keep(key, self.operation, self.root_value, result)
        return result

    def _result_key(self, event: Any) -> tuple[int, int, str, int]:
        assert self._variables_key is not None
        return (id(self.schema), id(self.operation), self._variables_key, id(event))

    async def _keep_awaited(self, key: tuple[int, int, str, int], pending: Any) -> ExecutionResult:
        result: ExecutionResult = await pending
        _keep(key, self.operation, self.root_value, result)
        return result

    def _shareable(self, event: Any) -> bool:
        definition = getattr(type(event), "__strawberry_definition__", None)
        if definition is None or not getattr(definition, "name", None):
            return False
        cache_key = (id(self.schema), definition.name)
        if cache_key not in _context_free:
            named = self.schema.get_type(definition.name)
            _context_free[cache_key] = named is not None and context_free(self.schema, named, set())
        return _context_free[cache_key]


class _KnownResult:
    """Stands in for a per-event executor whose result is already known (graphql-core only calls
    `execute_operation` on it)."""

    __slots__ = ("result",)

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self.result


def _keep(key: tuple[int, int, str, int], operation: Any, event: Any, result: ExecutionResult) -> None:
    if result.errors:
        return  # errors are reported per subscriber
    _results[key] = (operation, event, result)
    while len(_results) > _RESULTS_KEPT:
        _results.popitem(last=False)


def context_free(schema: GraphQLSchema, named: GraphQLNamedType, seen: set[str]) -> bool:
    """Whether every field of `named` (and of the types under it) is a plain attribute of its object."""
    if is_scalar_type(named) or is_enum_type(named):
        return True
    if not is_object_type(named):
        return False  # interfaces and unions resolve their type, possibly from the context
    assert isinstance(named, GraphQLObjectType)
    if named.name in seen:
        return True
    seen.add(named.name)
    for field in named.fields.values():
        definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or definition.base_resolver is not None:
            return False
        if definition.permission_classes or definition.extensions:
            return False
        if not context_free(schema, get_named_type(field.type), seen):
            return False
    return True
