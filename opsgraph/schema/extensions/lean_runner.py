"""strawberry's extensions runner, with the per-result hooks of a stream looked up once per operation.

For every result of a subscription (every event, for every subscriber) strawberry asks all nine of
our extensions for an `on_stream_result` hook and for `get_results`, and wraps each generator hook
in a new `contextlib.contextmanager` (a function copy with `functools.update_wrapper`). Only
`DomainErrors` has such a hook and none has results, so most of that work is asking. Here the
extensions that define either are found once per operation (one runner per operation), each
generator hook is wrapped once per extension class, and a result runs only the hooks that exist.
Hooks run in the same order and with the same semantics as strawberry's own.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

_StreamHook = Callable[[SchemaExtension, Any], contextlib.AbstractContextManager[None]]


_factories: dict[type[SchemaExtension], _StreamHook | None] = {}


def _sync_stream_hook(extension_class: type[SchemaExtension]) -> _StreamHook | None:
    """The class's `on_stream_result` as a context-manager factory, if it is a plain generator."""
    if extension_class not in _factories:
        hook = extension_class.on_stream_result
        plain = inspect.isgeneratorfunction(hook)
        _factories[extension_class] = contextlib.contextmanager(hook) if plain else None  # type: ignore[arg-type]
    return _factories[extension_class]


def _defines(extension: SchemaExtension, name: str) -> bool:
    return getattr(type(extension), name) is not getattr(SchemaExtension, name)


class _SyncStreamHooks:
    """`async with` over the sync generator hooks of one result, like StreamResultContextManager."""

    __slots__ = ("_hooks", "_result", "_stack")

    def __init__(self, hooks: list[tuple[_StreamHook, SchemaExtension]], result: Any) -> None:
        self._hooks = hooks
        self._result = result
        self._stack = contextlib.ExitStack()

    async def __aenter__(self) -> None:
        for factory, extension in self._hooks:
            self._stack.enter_context(factory(extension, self._result))

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        return bool(self._stack.__exit__(exc_type, exc, tb))


class LeanExtensionsRunner(SchemaExtensionsRunner):
    _stream_hooks: list[tuple[_StreamHook, SchemaExtension]] | None = None
    _strawberrys_way = False  # an async or plain-callable stream hook: left to strawberry
    _with_results: list[SchemaExtension] | None = None

    def on_stream_result(self, result: Any) -> StreamResultContextManager:
        hooks = self._stream_hooks
        if hooks is None:
            hooks = self._stream_hooks = []
            for extension in self.extensions:
                if _defines(extension, "on_stream_result"):
                    factory = _sync_stream_hook(type(extension))
                    if factory is None:
                        self._strawberrys_way = True
                    else:
                        hooks.append((factory, extension))
        if self._strawberrys_way:
            return super().on_stream_result(result)
        return _SyncStreamHooks(hooks, result)  # type: ignore[return-value]

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        if self._with_results is None:
            self._with_results = [e for e in self.extensions if _defines(e, "get_results")]
        data: dict[str, Any] = {}
        for extension in self._with_results:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
