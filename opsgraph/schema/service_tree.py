"""The service tree's part of the root types (OpenC3 on the graph), composed here so the root
schema names one Query and one Mutation mixin for the whole domain."""

from __future__ import annotations

import strawberry

from opsgraph.schema.mutations.service_tree_admin import ServiceTreeAdminMutations
from opsgraph.schema.mutations.service_tree_agents import TreeAgentMutations
from opsgraph.schema.mutations.service_tree_approvals import TreeApprovalMutations
from opsgraph.schema.mutations.service_tree_jobs import TreeJobMutations
from opsgraph.schema.mutations.service_tree_nodes import TreeNodeGroupMutations
from opsgraph.schema.mutations.service_tree_records import TreeRecordMutations
from opsgraph.schema.queries.service_tree import ServiceTreeQuery
from opsgraph.schema.queries.service_tree_admin import ServiceTreeAdminQuery
from opsgraph.schema.queries.service_tree_agents import TreeAgentQuery
from opsgraph.schema.queries.service_tree_approvals import TreeApprovalQuery
from opsgraph.schema.queries.service_tree_jobs import TreeJobsQuery
from opsgraph.schema.queries.service_tree_nodes import TreeNodeGroupQuery
from opsgraph.schema.queries.service_tree_records import TreeRecordsQuery


@strawberry.type
class ServiceTreeQueries(
    ServiceTreeQuery,
    TreeJobsQuery,
    TreeNodeGroupQuery,
    TreeApprovalQuery,
    TreeRecordsQuery,
    TreeAgentQuery,
    ServiceTreeAdminQuery,
):
    pass


@strawberry.type
class ServiceTreeMutations(
    TreeJobMutations,
    TreeNodeGroupMutations,
    TreeApprovalMutations,
    TreeRecordMutations,
    TreeAgentMutations,
    ServiceTreeAdminMutations,
):
    pass
