"""A service's workflow: checked and normalised when saved, read when a ticket moves.

Definition (what createService/updateService store, one immutable version per save):
    {"fields": [submit fields],                   # "title" is added when missing
     "states": [{"id", "name", "type": START|NORMAL|APPROVAL|SIGN|PARALLEL|CONVERGE|END,
                 "processors_type": PERSON|STARTER|GENERAL|OPEN, "processors": [...],
                 "fields": [...], "is_multi", "is_sequential", "terminate_on_reject",
                 "finish_condition": {"type": "and"|"or", "expressions": [{key, condition, value}]},
                 "distribute_type": PROCESS|CLAIM_THEN_PROCESS|DISTRIBUTE_THEN_PROCESS,
                 "assignors_type": PERSON|STARTER|GENERAL, "assignors": [...]}],
     "transitions": [{"from", "to", "name", "conditions": [{key, condition, value}],
                      "condition_type": "and"|"or", "default"}]}

Rules (a refusal names the state or transition): one START and one END; states reachable from
START, END reachable from every state; no cycles (a ticket always ends); a state with several
ways out has a condition on each but one `default`, except a PARALLEL state, whose unconditional
ways out all run until they meet at its CONVERGE state (parallel.py). GENERAL processors are business roles
(maintainer, operator, viewer) of the ticket's business; OPEN (anyone who can see the ticket) only
on NORMAL states. Conditions are structured `{key, condition, value}` triples (bk-itsm's
METHOD_CHOICES), evaluated by `condition_holds` — nothing is parsed or evaluated as code.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from opsgraph.core.auth.principal import ROLE_RANK
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.tickets import StateType
from opsgraph.resolvers.tickets.fields import _text, check_definitions
from opsgraph.resolvers.tickets.parallel import GATEWAYS, TYPE_ALIASES, check_gateway_ways, match_converges

MAX_STATES = 100
PROCESSOR_TYPES = frozenset({"PERSON", "STARTER", "GENERAL", "OPEN"})
DISTRIBUTE_TYPES = frozenset({"PROCESS", "CLAIM_THEN_PROCESS", "DISTRIBUTE_THEN_PROCESS"})
OPERATORS = frozenset({"==", "!=", ">", "<", ">=", "<=", "in", "notin", "issuperset", "notissuperset"})
SIGN_VARIABLES = ("PROCESS_COUNT", "PASS_COUNT", "REJECT_COUNT", "PASS_RATE", "REJECT_RATE")
APPROVE_RESULT, APPROVE_REMARK = "approve_result", "approve_remark"
# Every APPROVAL and SIGN node carries these two (bk-itsm's APPROVAL_FIELDS: a RADIO true/false, a remark).
APPROVAL_FIELDS: list[dict[str, Any]] = [
    {
        "key": APPROVE_RESULT,
        "name": "审批结果",
        "type": "RADIO",
        "desc": "true approves, false refuses",
        "required": True,
        "choices": [{"key": "true", "name": "通过"}, {"key": "false", "name": "拒绝"}],
        "regex": "",
        "meta": {},
    },
    {
        "key": APPROVE_REMARK,
        "name": "审批意见",
        "type": "TEXT",
        "desc": "required when refusing",
        "required": False,
        "choices": [],
        "regex": "",
        "meta": {},
    },
]
TITLE_FIELD = {
    "key": "title",
    "name": "标题",
    "type": "STRING",
    "desc": "请输入标题",
    "required": True,
    "choices": [],
    "regex": "",
    "meta": {},
}


def _fail(message: str, field: str = "workflow") -> ValidationFailed:
    return ValidationFailed(message, field=field, code="INVALID_WORKFLOW")


def check_workflow(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail("workflow must be an object {fields, states, transitions}")
    fields = check_definitions(raw.get("fields"), "workflow.fields")
    if not any(f["key"] == "title" for f in fields):
        fields.insert(0, dict(TITLE_FIELD))
    states = _states(raw.get("states"))
    transitions = _transitions(raw.get("transitions"), states)
    converge = _check_graph(states, transitions)
    return {"fields": fields, "states": list(states.values()), "transitions": transitions, "converge": converge}


def _states(raw: Any) -> dict[int, dict[str, Any]]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_STATES:
        raise _fail(f"workflow.states must list 2..{MAX_STATES} states (a START and an END at least)")
    states: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(raw):
        at = f"workflow.states[{index}]"
        if not isinstance(item, dict):
            raise _fail(f"{at} must be an object", at)
        state_id = item.get("id")
        if isinstance(state_id, bool) or not isinstance(state_id, int) or not 0 < state_id < 2**31:
            raise _fail(f"{at}.id must be a positive integer", at)
        if state_id in states:
            raise _fail(f"state {state_id} is defined twice", at)
        raw_type = str(item.get("type") or "").upper()
        try:
            kind = StateType(TYPE_ALIASES.get(raw_type, raw_type))
        except ValueError as exc:
            kinds = ", ".join(k.value for k in StateType)
            raise _fail(f"state {state_id}: type must be one of {kinds} (or ROUTER-P, COVERAGE)", at) from exc
        state: dict[str, Any] = {
            "id": state_id,
            "name": _text(item.get("name") or kind.value.title(), f"{at}.name", limit=256),
            "type": kind.value,
        }
        if kind in {StateType.NORMAL, StateType.APPROVAL, StateType.SIGN}:
            state.update(_processing(item, state_id, kind, at))
        states[state_id] = state
    for kind in (StateType.START, StateType.END):
        count = sum(1 for s in states.values() if s["type"] == kind)
        if count != 1:
            raise _fail(f"a workflow has exactly one {kind} state, this one has {count}")
    return states


def _processing(item: dict[str, Any], state_id: int, kind: StateType, at: str) -> dict[str, Any]:
    """Who processes the state, its own fields, and the approval / sign settings."""
    processors_type = str(item.get("processors_type") or "PERSON").upper()
    if processors_type not in PROCESSOR_TYPES:
        raise _fail(f"state {state_id}: processors_type must be one of {sorted(PROCESSOR_TYPES)}", at)
    raw = item.get("processors") or []
    if isinstance(raw, str):
        raw = [p for p in raw.split(",") if p.strip()]
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise _fail(f"state {state_id}: processors must be a list of names", at)
    processors = list(dict.fromkeys(p.strip() for p in raw))
    # An empty PERSON list is allowed: each ticket names the people (create_ticket state_processors).
    if processors_type == "GENERAL" and not processors:
        raise _fail(f"state {state_id}: GENERAL processors name at least one role", at)
    if processors_type == "GENERAL" and not set(processors) <= set(ROLE_RANK):
        raise _fail(f"state {state_id}: GENERAL processors are business roles {sorted(ROLE_RANK)}", at)
    if processors_type in {"STARTER", "OPEN"}:
        processors = []
    if processors_type == "OPEN" and kind != StateType.NORMAL:
        raise _fail(f"state {state_id}: an {kind} state needs named processors, not OPEN", at)
    fields = check_definitions(item.get("fields"), f"{at}.fields")
    if kind in {StateType.APPROVAL, StateType.SIGN} and any(
        f["key"] in {APPROVE_RESULT, APPROVE_REMARK} for f in fields
    ):
        raise _fail(f"state {state_id}: {APPROVE_RESULT} and {APPROVE_REMARK} are built in", at)
    state: dict[str, Any] = {"processors_type": processors_type, "processors": processors, "fields": fields}
    state.update(_distribution(item, state_id, kind, at))
    if kind in {StateType.APPROVAL, StateType.SIGN}:
        state["is_multi"] = kind == StateType.SIGN or bool(item.get("is_multi", False))
        state["is_sequential"] = bool(item.get("is_sequential", False))
        state["terminate_on_reject"] = bool(item.get("terminate_on_reject", False))
        state["finish_condition"] = _finish_condition(item.get("finish_condition"), state_id, at)
    return state


def _distribution(item: dict[str, Any], state_id: int, kind: StateType, at: str) -> dict[str, Any]:
    """bk-itsm's distribute_type: processed at once (PROCESS), claimed by one of the processors
    first (CLAIM_THEN_PROCESS: the step is RECEIVING), or handed to processors by an assignor first
    (DISTRIBUTE_THEN_PROCESS: DISTRIBUTING, `assignors` act)."""
    distribute = str(item.get("distribute_type") or "PROCESS").upper()
    if distribute not in DISTRIBUTE_TYPES:
        raise _fail(f"state {state_id}: distribute_type must be one of {sorted(DISTRIBUTE_TYPES)}", at)
    if distribute == "PROCESS":
        return {"distribute_type": distribute}
    if kind == StateType.SIGN or item.get("is_multi"):
        raise _fail(f"state {state_id}: every processor signs it, so it is not {distribute}", at)
    if distribute == "CLAIM_THEN_PROCESS":
        return {"distribute_type": distribute}
    assignors_type = str(item.get("assignors_type") or "PERSON").upper()
    if assignors_type not in {"PERSON", "STARTER", "GENERAL"}:
        raise _fail(f"state {state_id}: assignors_type must be PERSON, STARTER or GENERAL", at)
    raw = item.get("assignors") or []
    if isinstance(raw, str):
        raw = [p for p in raw.split(",") if p.strip()]
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise _fail(f"state {state_id}: assignors must be a list of names", at)
    assignors = [] if assignors_type == "STARTER" else list(dict.fromkeys(p.strip() for p in raw))
    if assignors_type != "STARTER" and not assignors:
        raise _fail(f"state {state_id}: DISTRIBUTE_THEN_PROCESS names its assignors", at)
    if assignors_type == "GENERAL" and not set(assignors) <= set(ROLE_RANK):
        raise _fail(f"state {state_id}: GENERAL assignors are business roles {sorted(ROLE_RANK)}", at)
    return {"distribute_type": distribute, "assignors_type": assignors_type, "assignors": assignors}


def _finish_condition(raw: Any, state_id: int, at: str) -> dict[str, Any] | None:
    """When a SIGN (or multi APPROVAL) node ends before everyone signed; None: when all have."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(f"state {state_id}: finish_condition must be {{type, expressions}}", at)
    expressions = _conditions(raw.get("expressions"), f"state {state_id} finish_condition", at)
    for expression in expressions:
        if expression["key"] not in SIGN_VARIABLES:
            raise _fail(f"state {state_id}: finish_condition keys are {list(SIGN_VARIABLES)}", at)
    return {"type": _logic(raw.get("type"), at), "expressions": expressions}


def _logic(raw: Any, at: str) -> str:
    value = str(raw or "and").lower()
    if value not in {"and", "or"}:
        raise _fail("a condition type is and or or", at)
    return value


def _conditions(raw: Any, what: str, at: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(f"{what}: conditions must be a list of {{key, condition, value}}", at)
    result = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            raise _fail(f"{what}: each condition is {{key, condition, value}}", at)
        operator = str(item.get("condition") or "==")
        if operator not in OPERATORS:
            raise _fail(f"{what}: unknown condition {operator!r} (one of {sorted(OPERATORS)})", at)
        result.append({"key": item["key"], "condition": operator, "value": item.get("value")})
    return result


def _transitions(raw: Any, states: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise _fail("workflow.transitions must list the ways between states")
    result = []
    for index, item in enumerate(raw):
        at = f"workflow.transitions[{index}]"
        if not isinstance(item, dict):
            raise _fail(f"{at} must be an object", at)
        source, target = item.get("from"), item.get("to")
        if source not in states or target not in states:
            raise _fail(f"transition {index}: from and to must name states ({source!r} → {target!r})", at)
        what = f"transition {source} → {target}"
        if states[source]["type"] == StateType.END:
            raise _fail(f"{what}: nothing leaves the END state", at)
        if states[target]["type"] == StateType.START:
            raise _fail(f"{what}: nothing enters the START state", at)
        result.append(
            {
                "from": source,
                "to": target,
                "name": _text(item.get("name"), f"{at}.name", limit=128),
                "conditions": _conditions(item.get("conditions"), what, at),
                "condition_type": _logic(item.get("condition_type"), at),
                "default": bool(item.get("default", False)),
            }
        )
    return result


def _check_graph(states: dict[int, dict[str, Any]], transitions: list[dict[str, Any]]) -> dict[str, int]:
    """Refuse a bad graph; return each PARALLEL state's CONVERGE state."""
    outgoing: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for transition in transitions:
        outgoing[transition["from"]].append(transition)
    start = next(s["id"] for s in states.values() if s["type"] == StateType.START)
    end = next(s["id"] for s in states.values() if s["type"] == StateType.END)
    for state_id, state in states.items():
        ways = outgoing.get(state_id, [])
        if state_id != end and not ways:
            raise _fail(f"state {state_id} ({state['name']}) has no way out")
        if state_id == start and (len(ways) != 1 or ways[0]["conditions"]):
            raise _fail("the START state has exactly one unconditional way out")
        if state["type"] in GATEWAYS:
            check_gateway_ways(state, ways)
        elif len(ways) > 1:
            defaults = [w for w in ways if w["default"] or not w["conditions"]]
            if len(defaults) != 1 or (defaults[0]["conditions"] and not defaults[0]["default"]):
                raise _fail(
                    f"state {state_id} ({state['name']}) has {len(ways)} ways out: each needs a condition "
                    "except exactly one default"
                )
        elif len(ways) == 1 and ways[0]["conditions"]:
            raise _fail(f"state {state_id} ({state['name']}): a single way out takes no condition")
    # Reachable from START, reaching END, no cycle: a depth-first walk with colours.
    colour: dict[int, int] = {}

    def visit(state_id: int) -> None:
        colour[state_id] = 1
        for way in outgoing.get(state_id, []):
            if colour.get(way["to"]) == 1:
                raise _fail(f"transition {state_id} → {way['to']} closes a loop: a ticket must always end")
            if way["to"] not in colour:
                visit(way["to"])
        colour[state_id] = 2

    visit(start)
    unreachable = sorted(set(states) - set(colour))
    if unreachable:
        raise _fail(f"state {unreachable[0]} ({states[unreachable[0]]['name']}) cannot be reached from START")
    return match_converges(states, outgoing)


def state_fields(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields an operator fills at this state (approval nodes: the built-in two first)."""
    own: list[dict[str, Any]] = state.get("fields", [])
    if state["type"] in {StateType.APPROVAL, StateType.SIGN}:
        return [*APPROVAL_FIELDS, *own]
    return own


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parts(value: Any) -> set[str]:
    items = value if isinstance(value, list) else str(value if value is not None else "").split(",")
    return {str(item).strip() for item in items if str(item).strip()}


def condition_holds(condition: dict[str, Any], variables: dict[str, Any]) -> bool:
    """One `{key, condition, value}` against the ticket's values; an unknown key never matches."""
    if condition["key"] not in variables:
        return False
    actual, wanted, operator = variables[condition["key"]], condition["value"], condition["condition"]
    if operator in {"==", "!="}:
        a, b = _number(actual), _number(wanted)
        same = (a == b) if a is not None and b is not None else str(actual) == str(wanted)
        return same if operator == "==" else not same
    if operator in {">", "<", ">=", "<="}:
        a, b = _number(actual), _number(wanted)
        if a is None or b is None:
            return False
        return {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[operator]
    if operator in {"in", "notin"}:
        inside = str(actual) in _parts(wanted)
        return inside if operator == "in" else not inside
    superset = _parts(actual) >= _parts(wanted)
    return superset if operator == "issuperset" else not superset


def conditions_hold(conditions: list[dict[str, Any]], logic: str, variables: dict[str, Any]) -> bool:
    results = [condition_holds(c, variables) for c in conditions]
    return all(results) if logic == "and" else any(results)
