"""Service tree records kept for OpenC3's connector: private nodes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry


@strawberry.type(name="PrivateTreeNode", description="A user's private node; OpenC3 tree id 4000000000 + id.")
class PrivateTreeNodeType:
    id: int
    user: str
    edited_by: str
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PrivateTreeNodeType:
        return cls(id=row["id"], user=row["user"], edited_by=row["edited_by"], updated_at=row["updated_at"])
