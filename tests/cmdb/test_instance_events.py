"""Instance and association changes of a custom model reach an event subscriber: `<obj>create`,
`<obj>update`, an association change as `<obj>update` of the source's model, `<obj>delete` — in
order, in bk-cmdb's body, pushed to a real HTTP receiver on loopback."""

from __future__ import annotations

from tests.cmdb.support import (
    CREATE_ASSOCIATION,
    DELETE_INSTANCES,
    LINK,
    UPDATE_INSTANCES,
    create_instances,
    new_classification,
    new_model,
    ok,
)
from tests.cmdb_events.receiver import Receiver, event_name
from tests.cmdb_events.support import UNSUBSCRIBE, subscribe
from tests.support.server import GraphQLClient
from tests.support.topology import create_business, create_module, create_set, mutate_ok


def test_instance_and_association_changes_are_pushed_in_order(gql: GraphQLClient, unique: str) -> None:
    obj = f"ev{unique}"
    new_model(gql, obj, new_classification(gql, unique), {"propertyId": "size", "type": "int"})
    association = {"bkObjId": obj, "bkAsstId": "connect", "bkAsstObjId": obj}
    obj_asst = ok(gql, CREATE_ASSOCIATION, {"input": association}, "createObjectAssociation")["association"]
    receiver = Receiver().start()
    subscription, _ = subscribe(gql, receiver.url, [f"{obj}create", f"{obj}update", f"{obj}delete"])
    try:
        first, second = create_instances(gql, obj, {"bk_inst_name": "a", "size": 1}, {"bk_inst_name": "b"})
        ok(
            gql,
            UPDATE_INSTANCES,
            {"obj": obj, "updates": [{"id": first["id"], "properties": {"size": 2}}]},
            "updateInstances",
        )
        link = {"asst": obj_asst["bkObjAsstId"], "src": first["bkInstId"], "dst": second["bkInstId"]}
        ok(gql, LINK, link, "linkInstances")
        unlinked = gql.ok(
            "query($a: String) { instanceAssociations(filter: {bkObjAsstId: $a}) { bkId } }", {"a": link["asst"]}
        )
        ok(
            gql,
            "mutation($id: Int!) { unlinkInstances(bkId: $id) { ok errors { code field message } } }",
            {"id": unlinked["instanceAssociations"][0]["bkId"]},
            "unlinkInstances",
        )
        ok(gql, DELETE_INSTANCES, {"obj": obj, "ids": [second["id"]]}, "deleteInstances")
        bodies = receiver.wait_for(6, lambda body: body["obj_type"] == obj)
    finally:
        mutate_ok(gql, UNSUBSCRIBE, {"id": subscription["id"]})
        receiver.stop()
    names = [(event_name(body), body["event_type"], body["action"]) for body in bodies]
    assert names == [
        (f"{obj}create", "instdata", "create"),
        (f"{obj}create", "instdata", "create"),
        (f"{obj}update", "instdata", "update"),
        (f"{obj}update", "association", "create"),
        (f"{obj}update", "association", "delete"),
        (f"{obj}delete", "instdata", "delete"),
    ]
    update = bodies[2]["data"][0]
    assert (update["pre_data"]["size"], update["cur_data"]["size"]) == (1, 2)
    assert bodies[2]["update_fields"] == ["last_time", "size"]
    assert bodies[3]["data"][0]["cur_data"]["bk_asst_inst_id"] == second["bkInstId"]
    assert bodies[5]["data"][0]["pre_data"]["bk_inst_name"] == "b"


BIND = """mutation($b: ID!, $p: Int!, $m: String!) {
  bindProcessModule(input: {businessId: $b, processId: $p, moduleName: $m}) { ok errors { code field message } }
}"""
UNBIND = """mutation($b: ID!, $p: Int!, $m: String!) {
  unbindProcessModule(input: {businessId: $b, processId: $p, moduleName: $m}) { ok errors { code field message } }
}"""


def test_process_changes_and_module_bindings_are_pushed_in_order(gql: GraphQLClient, unique: str) -> None:
    """processcreate / processupdate / processdelete, and the `processmodule` relation when a process
    is bound to a module and unbound from it (bk-cmdb's event names and bodies)."""
    business = create_business(gql, f"pev-{unique}")
    create_set(gql, business, "web")
    create_module(gql, business, "web", "nginx")
    receiver = Receiver().start()
    form = ["processcreate", "processupdate", "processdelete", "processmodule"]
    subscription, _ = subscribe(gql, receiver.url, form, bkBizId=business.bk_biz_id)
    try:
        [process] = create_instances(gql, "process", {"bk_process_name": f"nginx-{unique}"}, business=business.id)
        update = {"obj": "process", "updates": [{"id": process["id"], "properties": {"port": "80"}}]}
        ok(gql, UPDATE_INSTANCES, update, "updateInstances")
        binding = {"b": business.id, "p": process["bkInstId"], "m": "nginx"}
        ok(gql, BIND, binding, "bindProcessModule")
        ok(gql, UNBIND, binding, "unbindProcessModule")
        ok(gql, DELETE_INSTANCES, {"obj": "process", "ids": [process["id"]]}, "deleteInstances")
        bodies = receiver.wait_for(5)
    finally:
        mutate_ok(gql, UNSUBSCRIBE, {"id": subscription["id"]})
        receiver.stop()
    assert [(event_name(b), b["event_type"], b["action"]) for b in bodies] == [
        ("processcreate", "instdata", "create"),
        ("processupdate", "instdata", "update"),
        ("processmodule", "relation", "create"),
        ("processmodule", "relation", "delete"),
        ("processdelete", "instdata", "delete"),
    ]
    bound = bodies[2]["data"][0]["cur_data"]
    assert (bound["bk_module_name"], bound["bk_biz_id"]) == ("nginx", business.bk_biz_id)
    assert bodies[3]["data"][0]["pre_data"] == bound
