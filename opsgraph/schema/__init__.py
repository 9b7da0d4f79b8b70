"""The GraphQL surface: root Query/Mutation composed from per-domain parts, with the limits on.

`schema.graphql` at the repository root is this schema's SDL; a test fails when they drift.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from opsgraph.core.errors import OpsGraphError
from opsgraph.core.log_format import one_line
from opsgraph.core.settings import load_query_limits
from opsgraph.schema.extensions.alias_count import AliasLimit
from opsgraph.schema.extensions.domain_errors import DomainErrors
from opsgraph.schema.extensions.duplicate_fields import DuplicateFieldLimit
from opsgraph.schema.extensions.guarded_validation_cache import GuardedValidationCache
from opsgraph.schema.extensions.lean_runner import LeanExtensionsRunner
from opsgraph.schema.extensions.parser_cache import TolerantParserCache
from opsgraph.schema.extensions.query_cost import QueryCostLimiter
from opsgraph.schema.extensions.query_depth import QueryDepthLimit
from opsgraph.schema.extensions.require_authentication import RequireAuthentication
from opsgraph.schema.mutations.agents import AgentMutations
from opsgraph.schema.mutations.business import BusinessMutations
from opsgraph.schema.mutations.cloud_areas import CloudAreaMutations
from opsgraph.schema.mutations.cmdb_associations import CmdbAssociationMutations
from opsgraph.schema.mutations.cmdb_events import EventSubscriptionMutations
from opsgraph.schema.mutations.cmdb_groups import DynamicGroupMutations
from opsgraph.schema.mutations.cmdb_instances import CmdbInstanceMutations
from opsgraph.schema.mutations.cmdb_models import CmdbModelMutations
from opsgraph.schema.mutations.directory import DirectoryMutations
from opsgraph.schema.mutations.hosts import HostMutations
from opsgraph.schema.mutations.identity import IdentityMutations
from opsgraph.schema.mutations.job_templates import JobTemplateCronMutations
from opsgraph.schema.mutations.jobs import ScriptAccountMutations
from opsgraph.schema.mutations.messaging import MessagingMutations
from opsgraph.schema.mutations.monitoring import MonitoringMutations
from opsgraph.schema.mutations.monitoring_checks import MonitoringCheckMutations
from opsgraph.schema.mutations.periodic_tasks import PeriodicTaskMutations
from opsgraph.schema.mutations.pipelines import PipelineMutations
from opsgraph.schema.mutations.privileges import PrivilegeMutations
from opsgraph.schema.mutations.security import SecurityMutations
from opsgraph.schema.mutations.sets_modules import SetModuleMutations
from opsgraph.schema.mutations.tasks import TaskMutations
from opsgraph.schema.mutations.tickets import TicketMutations
from opsgraph.schema.mutations.transfers import TransferMutations
from opsgraph.schema.plain_fields import resolve_plain_fields_directly
from opsgraph.schema.queries.cmdb import CmdbQuery
from opsgraph.schema.queries.cmdb_events import EventSubscriptionQuery
from opsgraph.schema.queries.cmdb_groups import DynamicGroupQuery
from opsgraph.schema.queries.directory import DirectoryQuery
from opsgraph.schema.queries.identity import IdentityQuery
from opsgraph.schema.queries.jobs import JobsQuery
from opsgraph.schema.queries.messaging import MessagingQuery
from opsgraph.schema.queries.monitoring import MonitoringQuery
from opsgraph.schema.queries.pipelines import PipelineQuery
from opsgraph.schema.queries.privileges import PrivilegeQuery
from opsgraph.schema.queries.tasks import TaskQuery
from opsgraph.schema.queries.tickets import TicketQuery
from opsgraph.schema.queries.topology import TopologyQuery
from opsgraph.schema.service_tree import ServiceTreeMutations, ServiceTreeQueries
from opsgraph.schema.subscriptions.event_executor import OpsGraphExecutor
from opsgraph.schema.subscriptions.monitoring import MonitoringSubscription
from opsgraph.schema.subscriptions.tasks import TaskSubscription
from opsgraph.schema.types.cmdb_instances import InstanceType
from opsgraph.schema.types.cmdb_values import SCALARS as CMDB_SCALARS
from opsgraph.schema.types.cmdb_values import VALUE_TYPES
from opsgraph.schema.types.topology import BusinessType, CloudAreaType, HostType, ModuleType, SetType

log = logging.getLogger("opsgraph.graphql")


@strawberry.type
class Query(
    TopologyQuery,
    IdentityQuery,
    TaskQuery,
    JobsQuery,
    MessagingQuery,
    DirectoryQuery,
    DynamicGroupQuery,
    PrivilegeQuery,
    EventSubscriptionQuery,
    TicketQuery,
    PipelineQuery,
    MonitoringQuery,
    CmdbQuery,
    ServiceTreeQueries,
):
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
    MessagingMutations,
    DirectoryMutations,
    DynamicGroupMutations,
    PrivilegeMutations,
    EventSubscriptionMutations,
    TicketMutations,
    PipelineMutations,
    PeriodicTaskMutations,
    MonitoringMutations,
    MonitoringCheckMutations,
    CmdbModelMutations,
    CmdbAssociationMutations,
    CmdbInstanceMutations,
    ServiceTreeMutations,
):
    pass


@strawberry.type
class Subscription(TaskSubscription, MonitoringSubscription):
    pass


class OpsGraphSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Unexpected failures are ours: logged with their traceback. Domain, validation and limit
        errors are the caller's: one line each, values cut short (log_format.one_line)."""
        unexpected = []
        for error in errors:
            if error.original_error is None or isinstance(error.original_error, OpsGraphError):
                code = (error.extensions or {}).get("code") or getattr(
                    error.original_error, "code", "GRAPHQL_VALIDATION"
                )
                log.info("graphql refused %s: %s", code, one_line(error.message, 300))
            else:
                unexpected.append(error)
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    limits = load_query_limits()
    built = OpsGraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[BusinessType, SetType, ModuleType, HostType, CloudAreaType, InstanceType, *VALUE_TYPES],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=CMDB_SCALARS),
        execution_context_class=OpsGraphExecutor,  # subscription events: no retention, shared results
        # Order matters: parse (token-capped), then the linear pre-validation checks, cheapest and
        # most decisive first (an anonymous caller is refused before any limit is computed), then
        # graphql-core's validation, which a refused document never reaches.
        extensions=[
            DomainErrors,
            lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
            lambda: TolerantParserCache(maxsize=limits.cache_size),
            RequireAuthentication,
            lambda: AliasLimit(max_aliases=limits.max_aliases),
            lambda: DuplicateFieldLimit(max_per_name=limits.max_repeated_fields),
            lambda: QueryDepthLimit(max_depth=limits.max_depth),
            lambda: QueryCostLimiter(max_cost=limits.max_cost),
            lambda: GuardedValidationCache(maxsize=limits.cache_size),
        ],
    )
    resolve_plain_fields_directly(built)
    return built


schema = build_schema()
