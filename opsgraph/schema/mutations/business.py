"""createBusiness, updateBusiness, setBusinessEnabled, deleteBusiness."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.topology import business as actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import IGNORE_UNKNOWN, columns_from_input, pk, unknown_attributes
from opsgraph.schema.types.topology import BusinessType


@strawberry.input
class CreateBusinessInput:
    name: str
    maintainer: str | None = strawberry.UNSET
    productor: str | None = strawberry.UNSET
    developer: str | None = strawberry.UNSET
    tester: str | None = strawberry.UNSET
    operator: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    life_cycle: str | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class UpdateBusinessInput:
    business_id: strawberry.ID
    name: str | None = strawberry.UNSET
    maintainer: str | None = strawberry.UNSET
    productor: str | None = strawberry.UNSET
    developer: str | None = strawberry.UNSET
    tester: str | None = strawberry.UNSET
    operator: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    life_cycle: str | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class SetBusinessEnabledInput:
    business_id: strawberry.ID
    enabled: bool


@strawberry.input
class DeleteBusinessInput:
    business_id: strawberry.ID


@strawberry.type
class BusinessPayload:
    business: BusinessType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteBusinessPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _payload(info: Info, business_id: int) -> BusinessPayload:
    info.context.loaders.business.clear(business_id)
    return BusinessPayload(business=BusinessType.from_row(await info.context.loaders.business.load(business_id)))


@strawberry.type
class BusinessMutations:
    @strawberry.mutation(description="Create a business with its built-in idle pool set. Superusers only.")
    @returns_user_errors(BusinessPayload)
    async def create_business(self, info: Info, input: CreateBusinessInput) -> BusinessPayload:
        columns, custom = columns_from_input(input)
        created = await actions.create_business(
            info.context.caller, columns, custom, unknown=unknown_attributes(input.ignore_unknown)
        )
        return await _payload(info, created.id)

    @strawberry.mutation
    @returns_user_errors(BusinessPayload)
    async def update_business(self, info: Info, input: UpdateBusinessInput) -> BusinessPayload:
        columns, custom = columns_from_input(input, exclude=frozenset({"business_id"}))
        business_id = pk(input.business_id, "Business")
        await actions.update_business(
            info.context.caller, business_id, columns, custom, unknown=unknown_attributes(input.ignore_unknown)
        )
        return await _payload(info, business_id)

    @strawberry.mutation(description="Archive (false) or re-enable (true) a business.")
    @returns_user_errors(BusinessPayload)
    async def set_business_enabled(self, info: Info, input: SetBusinessEnabledInput) -> BusinessPayload:
        business_id = pk(input.business_id, "Business")
        await actions.set_business_enabled(info.context.caller, business_id, input.enabled)
        return await _payload(info, business_id)

    @strawberry.mutation
    @returns_user_errors(DeleteBusinessPayload)
    async def delete_business(self, info: Info, input: DeleteBusinessInput) -> DeleteBusinessPayload:
        await actions.delete_business(info.context.caller, pk(input.business_id, "Business"))
        return DeleteBusinessPayload(deleted_id=input.business_id)
