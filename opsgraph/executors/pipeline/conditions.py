"""Gateway conditions in boolrule's syntax, as bamboo evaluates them.

bamboo renders each `evaluate` with the variables first (`${n} > 10` → `12 > 10`), then tests the
text with boolrule and no context, where a bare word stands for itself (`abc == "abc"` is true).
We do the same with the published boolrule: the context we pass answers every name with the name.

Differences from bamboo's vendored copy, kept on purpose and documented: `issuperset` is spelled
`⊇` in the published grammar (we accept both), `notissuperset` has no equivalent there and is
refused with a clear message, and a number never equals a quoted number (`3 == "3"` is false;
bamboo coerces): write both sides alike, e.g. `"${n}" == "3"` or `${n} == 3`.
"""

from __future__ import annotations

import re
import warnings

from pyparsing import ParseBaseException

from opsgraph.executors.pipeline.variables import references

with warnings.catch_warnings():
    # boolrule builds its grammar with pyparsing's pre-3.0 names, which warn once at import.
    warnings.simplefilter("ignore", DeprecationWarning)
    from boolrule import BoolRule, MissingVariableException, UnknownOperatorException

_SUPERSET = re.compile(r"\bissuperset\b", re.IGNORECASE)
_NOT_SUPERSET = re.compile(r"\bnotissuperset\b", re.IGNORECASE)
HINT = "see boolrule's expressions: https://boolrule.readthedocs.io/en/latest/expressions.html"
MAX_CONDITION = 2000  # characters, rendered; pyparsing recurses once per `and` / `or` clause
TOO_DEEP = "the condition has too many clauses or is nested too deeply"


class ConditionError(ValueError):
    """A condition that cannot be parsed or tested; the gateway fails with this message."""


class _BareWords:
    """boolrule's context: an unquoted word means the word itself, as in bamboo."""

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, name: str) -> str:
        return name


def _normalise(text: str) -> str:
    if len(text) > MAX_CONDITION:
        raise ConditionError(f"a condition may be at most {MAX_CONDITION} characters long")
    if _NOT_SUPERSET.search(text):
        raise ConditionError("the `notissuperset` operator is not supported; negate an `issuperset` branch instead")
    return _SUPERSET.sub("⊇", text)


def check_syntax(evaluate: str) -> None:
    """Refuse a condition boolrule cannot parse, whatever its variables will hold."""
    placeholder = evaluate
    for start, end, _ in sorted(references(evaluate), reverse=True):
        placeholder = placeholder[:start] + "1" + placeholder[end:]
    try:
        BoolRule(_normalise(placeholder))
    except ParseBaseException as exc:
        raise ConditionError(f"cannot parse {evaluate!r} (stopped at column {exc.col}); {HINT}") from exc
    except RecursionError as exc:
        raise ConditionError(TOO_DEEP) from exc


def test(rendered: str) -> bool:
    """Whether a rendered condition holds."""
    text = _normalise(rendered)
    shown = rendered if len(rendered) <= 200 else rendered[:200] + "…"
    try:
        return bool(BoolRule(text).test(_BareWords()))
    except ParseBaseException as exc:
        raise ConditionError(
            f"evaluate[{shown}] cannot be parsed (stopped at column {exc.col}): check that every variable exists "
            f"and the expression is supported; {HINT}"
        ) from exc
    except (MissingVariableException, UnknownOperatorException, TypeError, ValueError) as exc:
        raise ConditionError(f"evaluate[{shown}] failed: {exc}") from exc
    except RecursionError as exc:
        raise ConditionError(TOO_DEEP) from exc
