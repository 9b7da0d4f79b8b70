"""search_host clauses on objects other than biz/set/module/host (bk-cmdb v3.2 hostsearch.go).

- `bk_obj_id: "object"` names a **mainline** instance by `bk_inst_id` (required: bk-cmdb answers
  1110058 without it) and matches the hosts of the ordinary sets below it. The mainline here is
  business → set, so the instance directly above a set is its business: `bk_inst_id` matches the
  sets' `bk_parent_id`. bk-cmdb reads no other field of this clause; one given here is refused
  rather than ignored (ignoring a filter would return hosts the caller did not ask for).
- Any other `bk_obj_id` is a model whose instances are associated with hosts: hosts associated with
  an instance matching the conditions. The instance/association layer registers how to find them
  (`register_associated_hosts`); until it has, such a clause is refused as an unknown object.

Example:
    {"bk_obj_id": "object", "condition": [{"field": "bk_inst_id", "operator": "$eq", "value": 7}]}
"""

from __future__ import annotations

from collections.abc import Callable

from tortoise.expressions import Q, Subquery

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.topology import HostModule, Module, Set
from opsgraph.resolvers.topology.conditions import Condition, compile_conditions

# (bk_obj_id, conditions) → a Q over Host, or None when the model is unknown to the resolver.
AssociatedHosts = Callable[[str, list[Condition]], Q | None]
_associated_hosts: list[AssociatedHosts] = []
INST_ID = "bk_inst_id"


def register_associated_hosts(resolver: AssociatedHosts) -> None:
    """For the instance/association layer: how a custom model's clause selects hosts."""
    _associated_hosts.append(resolver)


def mainline_object_q(conditions: list[Condition]) -> Q:
    wanted = [Condition("bk_parent_id", c.operator, c.value) for c in conditions if c.field == INST_ID]
    if not wanted:
        raise ValidationFailed(
            "an 'object' clause needs a bk_inst_id condition", field="condition", code="OBJECT_INST_ID_REQUIRED"
        )
    others = sorted({c.field for c in conditions if c.field != INST_ID})
    if others:
        raise ValidationFailed(
            f"an 'object' clause selects a mainline instance by bk_inst_id only, not {others[0]!r}",
            field="condition",
        )
    sets = compile_conditions("set", Set._meta.db_table, wanted).apply(Set.filter(default=0)).values("id")
    modules = Module.filter(set_id__in=Subquery(sets)).values("id")
    return Q(id__in=Subquery(HostModule.filter(module_id__in=Subquery(modules)).values("host_id")))


def associated_object_q(obj_id: str, conditions: list[Condition]) -> Q:
    for resolver in _associated_hosts:
        found = resolver(obj_id, conditions)
        if found is not None:
            return found
    raise ValidationFailed(f"unknown bk_obj_id {obj_id!r}", field="condition")
