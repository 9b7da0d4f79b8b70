"""`made_on_first_use`: an attribute of a per-request object that is built the first time it is read.

A request's `Loaders` offers ~60 DataLoaders (and the domains' loader groups) but a request reads a
handful: building them all cost ~0.4 ms per request, more than a small query's whole execution.
A non-data descriptor: the first read stores the value in the instance's `__dict__`, which every
later read finds first, so afterwards it is a plain attribute.

Example:
    class Loaders:
        host = made_on_first_use(lambda: _by_id_loader(Host))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class made_on_first_use(Generic[T]):  # lower case: it reads like a decorator where it is used
    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> made_on_first_use[T]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object | None, owner: type) -> Any:
        if instance is None:
            return self
        value = self.make()
        instance.__dict__[self.name] = value
        return value
