"""createCloudArea (bk-cmdb create_cloud_area)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.topology.cloud_areas import create_cloud_area
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.topology import CloudAreaType


@strawberry.input
class CreateCloudAreaInput:
    name: str


@strawberry.type
class CreateCloudAreaPayload:
    cloud_area: CloudAreaType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CloudAreaMutations:
    @strawberry.mutation(description="Add a cloud area (superuser only: areas span businesses).")
    @returns_user_errors(CreateCloudAreaPayload)
    async def create_cloud_area(self, info: Info, input: CreateCloudAreaInput) -> CreateCloudAreaPayload:
        area = await create_cloud_area(info.context.caller, input.name)
        return CreateCloudAreaPayload(cloud_area=CloudAreaType.from_row({"id": area.id, "name": area.name}))
