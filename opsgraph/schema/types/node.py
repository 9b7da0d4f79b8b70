"""The Relay `Node` interface: every object has an opaque global `id`."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with an opaque global id; `node(id:)` fetches it.")
class Node:
    id: strawberry.ID
