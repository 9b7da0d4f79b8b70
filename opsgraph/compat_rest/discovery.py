"""Route rows register themselves on import; this imports every row module of a dialect.

Each dialect keeps its framework in top-level modules and its endpoints in one subpackage per
system (`bk/cc/…`, `bk/job/…`, `huawei/hss/…`). Importing is idempotent, so several app factories
may call it.
"""

from __future__ import annotations

import importlib
import pkgutil


def import_endpoint_modules(package: str) -> None:
    root = importlib.import_module(package)
    for system in pkgutil.iter_modules(root.__path__, prefix=f"{package}."):
        if not system.ispkg:
            continue  # the dialect's own framework modules
        system_package = importlib.import_module(system.name)
        for module in pkgutil.walk_packages(system_package.__path__, prefix=f"{system.name}."):
            importlib.import_module(module.name)
