"""OpenC3 variables: `$name` or `${name}` (names `[a-zA-Z][a-zA-Z0-9_]+`) in a step's node list,
script arguments, scp paths and approvers — not in script bodies, as upstream (variable.pm).

Values come first from the task's `variable` hash, then from the job's stored variables; an empty
value counts as unset. Anything left unresolved fails with "variable undef:<names>".

Example:
    substitute("-v $version ${env}", {"version": "1.2"}, {"env": "prod"})    # "-v 1.2 prod"
    substitute("$ip", {}, {})                                                # VariableUndefined
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opsgraph.core.errors import ValidationFailed

NAME = r"[a-zA-Z][a-zA-Z0-9_]+"
REFERENCE = re.compile(rf"\$\{{({NAME})\}}|\$({NAME})\b")
AUTHORIZATION = "_authorization_"  # "true": starting the job needs control, not write


class VariableUndefined(ValidationFailed):
    code = "VARIABLE_UNDEFINED"


def _value(name: str, sources: tuple[Mapping[str, Any], ...]) -> str | None:
    for source in sources:
        value = source.get(name)
        if value is not None and value != "":
            return value if isinstance(value, str) else str(value)
    return None


def substitute(text: str, task_variables: Mapping[str, Any], job_variables: Mapping[str, Any]) -> str:
    if "$" not in text:
        return text
    undefined: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        value = _value(name, (task_variables, job_variables))
        if value is None:
            undefined.append(name)
            return match.group(0)
        return value

    result = REFERENCE.sub(replace, text)
    if undefined:
        raise VariableUndefined(f"variable undef:{','.join(dict.fromkeys(undefined))}", field="variable")
    return result


def check_task_variables(value: Any) -> dict[str, str]:
    """A task's `variable` hash: names as upstream allows them, scalar values (kept as text)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("check format fail variable: must be an object of name → value", field="variable")
    if len(value) > 200:
        raise ValidationFailed("check format fail variable: at most 200 variables", field="variable")
    checked: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", name) or len(name) > 64:
            raise ValidationFailed(f"check format fail variable: bad variable name {name!r}", field="variable")
        if isinstance(item, dict | list) or (isinstance(item, str) and len(item) > 64 * 1024):
            raise ValidationFailed(f"check format fail variable: {name} must be a short scalar", field="variable")
        checked[name] = "" if item is None else str(item).lower() if isinstance(item, bool) else str(item)
    return checked
