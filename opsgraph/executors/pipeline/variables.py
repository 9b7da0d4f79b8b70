"""`${KEY}` references, resolved lazily and transitively just before a node runs.

A reference may sit inside any string (`"/data/${SUB}/x"`) or be a one-line expression
(`${int(X)+1}`, `${KEY.split(",")}`, `${value["10.0.0.1"]}`). bk-sops renders these with Mako;
here a plain `${KEY}` (or dotted `${_system.task_id}`) is a lookup and anything else goes to
simpleeval's sandbox, so user text is never executed as Python.

As in bamboo, a string that is exactly one reference keeps the value's type (`"${n}"` → 3), and a
reference that cannot be rendered (unknown name, failing expression) stays as written. A variable
that refers back to itself is an error: it names the chain.

Example:
    scope = Scope({"${n}": {"value": "2"}, "${m}": {"value": "${int(n)+1}"}}, system={})
    scope.render("m is ${m}")        # "m is 3"
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression, NameNotDefined

_IDENTIFIER_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
MAX_EXPRESSION = 2000
MAX_DEPTH = 50  # how deep one variable may refer to others
OUTPUTS_SOURCE = "component_outputs"
SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "len": len,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sum": sum,
    "sorted": sorted,
    "list": list,
    "dict": dict,
    "tuple": tuple,
    "set": set,
}


class VariableError(ValueError):
    """A reference that can never resolve (a cycle): the node using it fails with this message."""


class _Unresolved(Exception):
    """Internal: this reference cannot be rendered now; keep its text."""


def references(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, expression) of each `${…}` in `text`; braces and quotes inside are skipped over."""
    index = text.find("${")
    while index != -1:
        depth, position, quote = 1, index + 2, ""
        while position < len(text) and depth:
            char = text[position]
            if quote:
                if char == "\\":
                    position += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            position += 1
        if depth:
            return  # no closing brace: the rest is literal text
        yield index, position, text[index + 2 : position - 1]
        index = text.find("${", position)


class Scope:
    """The variables one pipeline level sees: its constants, the values its parent passed down
    (a SubProcess node's `constants`), `_system`, and the outputs of nodes that already ran."""

    def __init__(
        self,
        constants: dict[str, dict[str, Any]],
        system: dict[str, Any],
        *,
        outputs_of: Callable[[str], dict[str, Any] | None] = lambda node_id: None,
        parent: Scope | None = None,
        passed: dict[str, Any] | None = None,
    ) -> None:
        self.constants = constants
        self.system = system
        self.outputs_of = outputs_of
        self.parent = parent
        self.passed = passed or {}
        self._resolving: list[str] = []

    # -- lookups ----------------------------------------------------------------------------------------

    def value(self, name: str) -> Any:
        """The value of `${name}`; raises `_Unresolved` when there is no such variable."""
        if name == "_system":
            return self.system
        key = "${" + name + "}"
        if key in self._resolving:
            chain = " → ".join([*self._resolving[self._resolving.index(key) :], key])
            raise VariableError(f"variable {key} refers to itself: {chain}")
        if len(self._resolving) >= MAX_DEPTH:
            raise VariableError(f"variable {key} is nested more than {MAX_DEPTH} references deep")
        self._resolving.append(key)
        try:
            return self._lookup(key)
        finally:
            self._resolving.pop()

    def _lookup(self, key: str) -> Any:
        if key in self.passed and self.parent is not None:
            passed = self.passed[key]
            raw = passed.get("value") if isinstance(passed, dict) else passed
            return self.parent.render(raw)
        constant = self.constants.get(key)
        if not isinstance(constant, dict):
            raise _Unresolved(key)
        if constant.get("source_type") == OUTPUTS_SOURCE:
            produced = self._output_value(constant)
            if produced is not _MISSING:
                return produced
        return self.render(constant.get("value"))

    def _output_value(self, constant: dict[str, Any]) -> Any:
        """A `component_outputs` constant takes the output of its source node once that node ran."""
        source = constant.get("source_info")
        if not isinstance(source, dict):
            return _MISSING
        for node_id, keys in source.items():
            outputs = self.outputs_of(str(node_id))
            if outputs is None:
                continue
            for output_key in keys if isinstance(keys, list) else [keys]:
                if output_key in outputs:
                    return outputs[output_key]
        return _MISSING

    # -- rendering ---------------------------------------------------------------------------------------

    def render(self, value: Any) -> Any:
        """Strings with references rendered; lists and dicts rendered item by item."""
        if isinstance(value, str):
            return self._render_text(value)
        if isinstance(value, list):
            return [self.render(item) for item in value]
        if isinstance(value, dict):
            return {key: self.render(item) for key, item in value.items()}
        return value

    def render_text(self, text: str) -> str:
        """Every reference substituted as text (gateway conditions are text for boolrule)."""
        return self._substitute(text)

    def _render_text(self, text: str) -> Any:
        found = list(references(text))
        if not found:
            return text
        if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(text):
            try:
                return self.evaluate(found[0][2])
            except _Unresolved:
                return text
        return self._substitute(text, found)

    def _substitute(self, text: str, found: list[tuple[int, int, str]] | None = None) -> str:
        parts: list[str] = []
        last = 0
        for start, end, expression in found if found is not None else list(references(text)):
            parts.append(text[last:start])
            try:
                parts.append(_as_text(self.evaluate(expression)))
            except _Unresolved:
                parts.append(text[start:end])
            last = end
        parts.append(text[last:])
        return "".join(parts)

    def evaluate(self, expression: str) -> Any:
        expression = expression.strip()
        if _IDENTIFIER_PATH.fullmatch(expression):
            first, *rest = expression.split(".")
            current = self.value(first)
            for part in rest:
                if not isinstance(current, dict) or part not in current:
                    raise _Unresolved(expression)
                current = current[part]
            return current
        if len(expression) > MAX_EXPRESSION:
            raise _Unresolved(expression)
        return self._sandboxed(expression)

    def _sandboxed(self, expression: str) -> Any:
        def name(node: ast.Name) -> Any:
            try:
                return self.value(node.id)
            except _Unresolved as exc:
                raise NameNotDefined(node.id, expression) from exc

        evaluator = EvalWithCompoundTypes(names=name, functions=SAFE_FUNCTIONS)
        try:
            return evaluator.eval(expression)
        except VariableError:
            raise
        except (InvalidExpression, SyntaxError, ArithmeticError, ValueError, TypeError, KeyError, IndexError) as exc:
            # As with Mako in bamboo: an expression that cannot be rendered stays as written.
            raise _Unresolved(expression) from exc
        except (AttributeError, RecursionError, MemoryError) as exc:
            raise _Unresolved(expression) from exc


class _Missing:
    pass


_MISSING: Any = _Missing()


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
