"""Typed access to a BlueKing request's parameters, with the errors bk clients expect.

Values come from the JSON body (typed) or the query string (always text, repeated keys become
lists), so every getter coerces: `bk_biz_id=2` in a query and `"bk_biz_id": "2"` in a body both
read as the int 2, as CMDB accepts them.

Example:
    biz_id = params.get_int("bk_biz_id")                  # required: MISSING_FIELD if absent
    start = params.get_int("start", 0)                    # optional with a default
    set_id = params.get_int("bk_set_id", required=False)  # int | None
    page = params.sub("page")                             # nested object; errors say "page.limit"
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, TypeVar, overload

from opsgraph.core.errors import ValidationFailed

_D = TypeVar("_D")
_T = TypeVar("_T")
_INT_TEXT = re.compile(r"[+-]?\d+")
_TRUE_TEXT = frozenset({"true", "1", "yes", "on"})
_FALSE_TEXT = frozenset({"false", "0", "no", "off"})


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


class Params(Mapping[str, Any]):
    """A read-only mapping of parameters (credentials already removed) with typed getters."""

    def __init__(
        self, values: Mapping[str, Any], *, query_keys: frozenset[str] = frozenset(), prefix: str = ""
    ) -> None:
        self._values = dict(values)
        self._query_keys = query_keys
        self._prefix = prefix

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"

    def field(self, name: str) -> str:
        """The name used in error messages, e.g. `page.limit` inside `sub("page")`."""
        return self._prefix + name

    def has(self, name: str) -> bool:
        """Present and not null (JSON null counts as absent, as in CMDB)."""
        return self._values.get(name) is not None

    def to_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def _get(self, name: str, coerce: Callable[[Any, str], _T], default: Any, required: bool | None) -> Any:
        if required is None:
            required = default is REQUIRED
        value = self._values.get(name)
        if value is None:
            if required:
                raise ValidationFailed(f"{self.field(name)} is required", field=self.field(name), code="MISSING_FIELD")
            return None if default is REQUIRED else default
        return coerce(value, self.field(name))

    @overload
    def get_int(self, name: str, *, required: Literal[True] = ...) -> int: ...
    @overload
    def get_int(self, name: str, *, required: Literal[False]) -> int | None: ...
    @overload
    def get_int(self, name: str, default: _D, *, required: Literal[False] = ...) -> int | _D: ...
    def get_int(self, name: str, default: Any = REQUIRED, *, required: bool | None = None) -> Any:
        return self._get(name, to_int, default, required)

    @overload
    def get_str(self, name: str, *, required: Literal[True] = ...) -> str: ...
    @overload
    def get_str(self, name: str, *, required: Literal[False]) -> str | None: ...
    @overload
    def get_str(self, name: str, default: _D, *, required: Literal[False] = ...) -> str | _D: ...
    def get_str(self, name: str, default: Any = REQUIRED, *, required: bool | None = None) -> Any:
        return self._get(name, to_str, default, required)

    @overload
    def get_bool(self, name: str, *, required: Literal[True] = ...) -> bool: ...
    @overload
    def get_bool(self, name: str, *, required: Literal[False]) -> bool | None: ...
    @overload
    def get_bool(self, name: str, default: _D, *, required: Literal[False] = ...) -> bool | _D: ...
    def get_bool(self, name: str, default: Any = REQUIRED, *, required: bool | None = None) -> Any:
        return self._get(name, to_bool, default, required)

    @overload
    def get_list(self, name: str, *, required: Literal[True] = ...) -> list[Any]: ...
    @overload
    def get_list(self, name: str, *, required: Literal[False]) -> list[Any] | None: ...
    @overload
    def get_list(self, name: str, default: _D, *, required: Literal[False] = ...) -> list[Any] | _D: ...
    def get_list(self, name: str, default: Any = REQUIRED, *, required: bool | None = None) -> Any:
        return self._get(name, self._to_list, default, required)

    @overload
    def get_int_list(self, name: str, *, required: Literal[True] = ...) -> list[int]: ...
    @overload
    def get_int_list(self, name: str, *, required: Literal[False]) -> list[int] | None: ...
    @overload
    def get_int_list(self, name: str, default: _D, *, required: Literal[False] = ...) -> list[int] | _D: ...
    def get_int_list(self, name: str, default: Any = REQUIRED, *, required: bool | None = None) -> Any:
        def coerce(value: Any, field: str) -> list[int]:
            return [to_int(item, f"{field}[{i}]") for i, item in enumerate(self._to_list(value, field))]

        return self._get(name, coerce, default, required)

    @overload
    def get_dict(self, name: str, *, required: Literal[True] = ...) -> dict[str, Any]: ...
    @overload
    def get_dict(self, name: str, *, required: Literal[False]) -> dict[str, Any] | None: ...
    @overload
    def get_dict(self, name: str, default: _D, *, required: Literal[False] = ...) -> dict[str, Any] | _D: ...
    def get_dict(self, name: str, default: Any = REQUIRED, *, required: bool | None = None) -> Any:
        return self._get(name, to_dict, default, required)

    def sub(self, name: str, *, required: bool = False) -> Params:
        """A nested object as Params (empty when absent and not required)."""
        values = self._get(name, to_dict, {}, required)
        return Params(values, prefix=f"{self.field(name)}.")

    def _to_list(self, value: Any, field: str) -> list[Any]:
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                parsed = _json_text(value, field)
                if isinstance(parsed, list):
                    return parsed
            elif field.removeprefix(self._prefix) in self._query_keys:
                # A one-element list in a query string is just `?bk_host_id=1`.
                return [value]
        raise ValidationFailed(f"{field} must be a list", field=field)


def to_int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be an integer", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    raise ValidationFailed(f"{field} must be an integer", field=field)


def to_str(value: Any, field: str) -> str:
    if isinstance(value, str):
        return value
    # Numbers where text is documented (bk_supplier_account 0 vs "0") are common in real callers.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValidationFailed(f"{field} must be a string", field=field)


def to_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_TEXT | _FALSE_TEXT:
        return value.strip().lower() in _TRUE_TEXT
    raise ValidationFailed(f"{field} must be a boolean", field=field)


def to_dict(value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        value = _json_text(value, field)
    if isinstance(value, dict):
        return value
    raise ValidationFailed(f"{field} must be an object", field=field)


def _json_text(value: str, field: str) -> Any:
    """JSON text inside a query-string value (`?ip={"data":[...]}`)."""
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed(f"{field} is not valid JSON", field=field) from exc
