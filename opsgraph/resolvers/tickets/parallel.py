"""Parallel branches in a ticket's workflow: a PARALLEL state (bk-itsm's 并行网关 "ROUTER-P") opens
every one of its ways out at once, and the CONVERGE state (汇聚网关 "COVERAGE") they meet at waits
until each branch has arrived before the flow goes on. Meanwhile the ticket has several current
steps, one per branch still being processed.

Saving a workflow matches each PARALLEL state with its CONVERGE state: every path out of it must
meet the same CONVERGE (a branch may hold its own nested PARALLEL…CONVERGE and exclusive choices,
but may not reach END or a different CONVERGE first), and every CONVERGE closes exactly one
PARALLEL. The match is stored in the definition (`converge`: {parallel id: converge id}).

At run time the gateways are `TicketNode`s too: the PARALLEL one FINISHED as soon as it forks;
the CONVERGE one created WAIT when the fork happens, counting arrivals in its `values`
({"expected": ways out, "arrived": n}), FINISHED when the last branch arrives.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.tickets import StateType

GATEWAYS = frozenset({StateType.PARALLEL, StateType.CONVERGE})
# bk-itsm's own names for the two gateway types, accepted on input.
TYPE_ALIASES = {"ROUTER-P": StateType.PARALLEL.value, "COVERAGE": StateType.CONVERGE.value}
_END = -1


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, field="workflow", code="INVALID_WORKFLOW")


def check_gateway_ways(state: dict[str, Any], ways: list[dict[str, Any]]) -> None:
    """A PARALLEL state takes 2+ unconditional ways out; a CONVERGE state exactly one."""
    label = f"state {state['id']} ({state['name']})"
    if any(w["conditions"] or w["default"] for w in ways):
        raise _fail(f"{label}: the ways out of a {state['type']} state take no condition and no default")
    if state["type"] == StateType.PARALLEL and len(ways) < 2:
        raise _fail(f"{label}: a PARALLEL state opens two or more branches")
    if state["type"] == StateType.CONVERGE and len(ways) != 1:
        raise _fail(f"{label}: a CONVERGE state has exactly one way out")


def match_converges(states: dict[int, dict[str, Any]], outgoing: dict[int, list[dict[str, Any]]]) -> dict[str, int]:
    """{parallel state id (as text, a JSON key): its converge state id}; refuses a bad nesting."""
    matched: dict[int, int] = {}

    def meeting_points(state_id: int, seen: frozenset[int]) -> set[int]:
        """The CONVERGE states (or END) the paths from `state_id` reach first."""
        if state_id in seen:  # loops are refused elsewhere; never recurse for ever
            return set()
        state = states[state_id]
        if state["type"] == StateType.CONVERGE:
            return {state_id}
        if state["type"] == StateType.END:
            return {_END}
        if state["type"] == StateType.PARALLEL:
            inner = converge_of(state_id)
            return meeting_points(outgoing[inner][0]["to"], seen | {state_id})
        found: set[int] = set()
        for way in outgoing.get(state_id, []):
            found |= meeting_points(way["to"], seen | {state_id})
        return found

    def converge_of(parallel_id: int) -> int:
        if parallel_id in matched:
            return matched[parallel_id]
        reached: set[int] = set()
        for way in outgoing.get(parallel_id, []):
            reached |= meeting_points(way["to"], frozenset({parallel_id}))
        state = states[parallel_id]
        if len(reached) != 1 or _END in reached:
            where = ", ".join("END" if r == _END else f"state {r}" for r in sorted(reached)) or "nothing"
            raise _fail(
                f"state {parallel_id} ({state['name']}): every branch of a PARALLEL state must meet at one "
                f"CONVERGE state; they reach {where}"
            )
        matched[parallel_id] = next(iter(reached))
        return matched[parallel_id]

    for state_id, state in states.items():
        if state["type"] == StateType.PARALLEL:
            converge_of(state_id)
    closing: dict[int, list[int]] = {}
    for parallel_id, converge_id in matched.items():
        closing.setdefault(converge_id, []).append(parallel_id)
    for state_id, state in states.items():
        if state["type"] == StateType.CONVERGE and len(closing.get(state_id, [])) != 1:
            opened = closing.get(state_id, [])
            raise _fail(
                f"state {state_id} ({state['name']}): a CONVERGE state closes exactly one PARALLEL state "
                f"(this one closes {len(opened)})"
            )
    return {str(p): c for p, c in matched.items()}
