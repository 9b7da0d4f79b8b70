"""What every operation receives: the caller, per-request loaders, a request id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from opsgraph.core.auth.principal import Principal
from opsgraph.core.settings import Settings
from opsgraph.resolvers.loaders import Loaders


@dataclass
class OperationContext:
    principal: Principal | None
    settings: Settings
    loaders: Loaders = field(default_factory=Loaders)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
