"""The GraphQL surface: root Query/Mutation composed from per-domain parts, with the limits on.

`schema.graphql` at the repository root is this schema's SDL; a test fails when they drift.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from opsgraph.core.errors import OpsGraphError
from opsgraph.core.settings import load_query_limits
from opsgraph.schema.extensions.domain_errors import DomainErrors
from opsgraph.schema.extensions.parser_cache import TolerantParserCache
from opsgraph.schema.extensions.query_cost import QueryCostLimiter
from opsgraph.schema.extensions.require_authentication import RequireAuthentication
from opsgraph.schema.mutations.agents import AgentMutations
from opsgraph.schema.mutations.business import BusinessMutations
from opsgraph.schema.mutations.cloud_areas import CloudAreaMutations
from opsgraph.schema.mutations.hosts import HostMutations
from opsgraph.schema.mutations.identity import IdentityMutations
from opsgraph.schema.mutations.job_templates import JobTemplateCronMutations
from opsgraph.schema.mutations.jobs import ScriptAccountMutations
from opsgraph.schema.mutations.security import SecurityMutations
from opsgraph.schema.mutations.sets_modules import SetModuleMutations
from opsgraph.schema.mutations.tasks import TaskMutations
from opsgraph.schema.mutations.transfers import TransferMutations
from opsgraph.schema.queries.identity import IdentityQuery
from opsgraph.schema.queries.jobs import JobsQuery
from opsgraph.schema.queries.tasks import TaskQuery
from opsgraph.schema.queries.topology import TopologyQuery
from opsgraph.schema.subscriptions.tasks import TaskSubscription
from opsgraph.schema.types.topology import BusinessType, CloudAreaType, HostType, ModuleType, SetType


@strawberry.type
class Query(TopologyQuery, IdentityQuery, TaskQuery, JobsQuery):
    pass


@strawberry.type
class Mutation(
    IdentityMutations,
    BusinessMutations,
    SetModuleMutations,
    HostMutations,
    TransferMutations,
    TaskMutations,
    ScriptAccountMutations,
    JobTemplateCronMutations,
    CloudAreaMutations,
    AgentMutations,
    SecurityMutations,
):
    pass


@strawberry.type
class Subscription(TaskSubscription):
    pass


class OpsGraphSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log only unexpected failures: domain and validation errors are the caller's, not ours."""
        unexpected = [
            e for e in errors if e.original_error is not None and not isinstance(e.original_error, OpsGraphError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    limits = load_query_limits()
    return OpsGraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[BusinessType, SetType, ModuleType, HostType, CloudAreaType],
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            DomainErrors,
            lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
            lambda: TolerantParserCache(maxsize=limits.cache_size),
            lambda: QueryDepthLimiter(max_depth=limits.max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
            lambda: ValidationCache(maxsize=limits.cache_size),
            RequireAuthentication,
            lambda: QueryCostLimiter(max_cost=limits.max_cost),
        ],
    )


schema = build_schema()
