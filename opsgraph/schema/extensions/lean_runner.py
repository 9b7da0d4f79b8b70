"""strawberry's extensions runner, with each extension class's hooks prepared once, not per call.

For every operation strawberry asks all nine of our extensions for each lifecycle hook (operation,
parsing, validation, executing) and wraps every hook it finds in a new `contextlib` context manager
(a function copy through `functools.update_wrapper`, ~10 per request); for every result of a
subscription — every event, for every subscriber — it does the same for `on_stream_result` and calls
every extension's `get_results`. Here a hook is wrapped once per extension class, the extensions that
define a hook are found once per operation (one runner per operation), and only those run. Hooks run
in the same order and with the same semantics as strawberry's own (an exception is never suppressed
by the runner itself; sync use of an async hook is refused with strawberry's message).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

_Factory = Callable[..., Any]  # (extension, *args) -> a sync or async context manager
_Hook = tuple[_Factory, bool, SchemaExtension]  # factory, is_async, the extension
_factories: dict[tuple[type[SchemaExtension], str], tuple[_Factory, bool] | None] = {}


def _factory(extension_class: type[SchemaExtension], name: str) -> tuple[_Factory, bool] | None:
    """The class's hook `name` as a context-manager factory and whether it is async; None if the
    class does not define it. Built once per class and hook."""
    key = (extension_class, name)
    if key not in _factories:
        _factories[key] = _build_factory(getattr(extension_class, name), getattr(SchemaExtension, name))
    return _factories[key]


def _build_factory(hook: Callable[..., Any], default: Callable[..., Any]) -> tuple[_Factory, bool] | None:
    if hook is default:
        return None
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    if inspect.iscoroutinefunction(hook):

        @contextlib.asynccontextmanager
        async def awaited(extension: SchemaExtension, *args: Any) -> AsyncIterator[None]:
            await hook(extension, *args)
            yield

        return awaited, True

    @contextlib.contextmanager
    def called(extension: SchemaExtension, *args: Any) -> Iterator[None]:
        hook(extension, *args)
        yield

    return called, False


class _Hooks:
    """One lifecycle stage's hooks, entered in order, like strawberry's ExtensionContextManagerBase."""

    __slots__ = ("_args", "_async_stack", "_hooks", "_name", "_stack")

    def __init__(self, name: str, hooks: list[_Hook], args: tuple[Any, ...] = ()) -> None:
        self._name = name
        self._hooks = hooks
        self._args = args

    def __enter__(self) -> None:
        self._stack = contextlib.ExitStack()
        for factory, is_async, extension in self._hooks:
            if is_async:
                raise RuntimeError(f"SchemaExtension hook {extension}.{self._name} failed to complete synchronously.")
            self._stack.enter_context(factory(extension, *self._args))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> None:
        self._async_stack = contextlib.AsyncExitStack()
        for factory, is_async, extension in self._hooks:
            if is_async:
                await self._async_stack.enter_async_context(factory(extension, *self._args))
            else:
                self._async_stack.enter_context(factory(extension, *self._args))

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._async_stack.__aexit__(exc_type, exc, tb)


class LeanExtensionsRunner(SchemaExtensionsRunner):
    def __init__(self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None) -> None:
        super().__init__(execution_context, extensions)
        self._hooks: dict[str, list[_Hook]] = {}
        self._with_results: list[SchemaExtension] | None = None

    def _stage(self, name: str, *args: Any) -> Any:
        hooks = self._hooks.get(name)
        if hooks is None:
            hooks = self._hooks[name] = []
            for extension in self.extensions:
                found = _factory(type(extension), name)
                if found is not None:
                    hooks.append((found[0], found[1], extension))
        return _Hooks(name, hooks, args)

    def operation(self) -> Any:
        return self._stage("on_operation")

    def validation(self) -> Any:
        return self._stage("on_validate")

    def parsing(self) -> Any:
        return self._stage("on_parse")

    def executing(self) -> Any:
        return self._stage("on_execute")

    def on_stream_result(self, result: Any) -> Any:
        return self._stage("on_stream_result", result)

    def get_extensions_results_sync(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._extensions_with_results():
            if inspect.iscoroutinefunction(extension.get_results):
                raise RuntimeError("Cannot use async extension hook during sync execution")
            data.update(extension.get_results())  # type: ignore[arg-type]
        return data

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._extensions_with_results():
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data

    def _extensions_with_results(self) -> list[SchemaExtension]:
        if self._with_results is None:
            default = SchemaExtension.get_results
            self._with_results = [e for e in self.extensions if type(e).get_results is not default]
        return self._with_results
