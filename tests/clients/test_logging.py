"""Network logs (`logging`) through the openstack CLI (`openstack network log ...` and
`openstack network loggable resources list`, python-neutronclient's OSC plugin) and plain HTTP
(openstacksdk has no network logs): create, list, show, set and delete, upstream's errors as
clients receive them, admin-only policy, and a log going with its security group."""

import uuid

from conftest import neutron_error, unique


def test_logs_with_cli(admin_cli, alice_cli, admin, admin_api):
    types = admin_cli.json("network", "loggable", "resources", "list")
    assert types == [{"Supported types": "security_group"}]

    sg = admin.network.create_security_group(name=unique("logged"))
    name = unique("log")
    log = admin_cli.json("network", "log", "create", "--resource-type", "security_group",
                         "--resource", sg.name, "--event", "DROP",
                         "--description", "drops of the web group", name)
    # The plugin shows its own column names.
    assert log["Name"] == name
    assert log["Resource"] == sg.id and log["Target"] is None
    assert log["Event"] == "DROP" and log["Enabled"] is True
    assert log["Description"] == "drops of the web group"
    assert log["Type"] == "security_group"

    shown = admin_cli.json("network", "log", "show", name)
    assert shown["ID"] == log["ID"] and shown["Project"] == admin_api.project_id
    listed = admin_cli.json("network", "log", "list")
    assert [x for x in listed if x["ID"] == log["ID"]][0]["Name"] == name
    log = {"id": log["ID"]}

    admin_cli.run("network", "log", "set", "--disable", "--name", name + "-x",
                  "--description", "off", log["id"])
    body = admin_api.ok("GET", f"/log/logs/{log['id']}", 200)["log"]
    assert body["enabled"] is False and body["name"] == name + "-x"
    assert body["description"] == "off" and body["revision_number"] == 2

    # Members see no logs and make none.
    assert alice_cli.json("network", "log", "list") == []
    r = alice_cli.run("network", "log", "create", "--resource-type", "security_group",
                      unique("log"), check=False)
    assert r.returncode != 0 and "disallowed by policy" in r.stderr

    # Upstream's errors, as the CLI shows them.
    r = admin_cli.run("network", "log", "create", "--resource-type", "fake_resource",
                      unique("log"), check=False)
    assert r.returncode != 0 and "Invalid log resource_type: fake_resource." in r.stderr

    admin_cli.run("network", "log", "delete", log["id"])
    r = admin_cli.run("network", "log", "show", log["id"], check=False)
    assert r.returncode != 0
    admin.network.delete_security_group(sg)


def test_logs_over_http(admin_api, alice_api, admin):
    resp = admin_api.get("/log/loggable-resources")
    assert resp.status_code == 200
    assert resp.json() == {"loggable_resources": [{"type": "security_group"}]}
    assert alice_api.ok("GET", "/log/loggable-resources", 200) == {"loggable_resources": []}

    missing = str(uuid.uuid4())
    resp = admin_api.post("/log/logs", {"log": {"resource_type": "security_group",
                                                "target_id": missing}})
    err = neutron_error(resp, 404, "TargetResourceNotFound")
    assert err["message"] == f"Target resource {missing} could not be found."
    resp = admin_api.post("/log/logs", {"log": {"resource_type": "security_group",
                                                "resource_id": missing}})
    neutron_error(resp, 404, "ResourceNotFound")
    resp = admin_api.post("/log/logs", {"log": {"resource_type": "security_group",
                                                "event": "SOME"}})
    neutron_error(resp, 400, "HTTPBadRequest", "is not in ['ACCEPT', 'DROP', 'ALL']")

    # A log of a port: the port must be in the group it names; the log goes with its group.
    sg = admin.network.create_security_group(name=unique("logged"))
    net = admin.network.create_network(name=unique("log-net"))
    admin.network.create_subnet(network_id=net.id, cidr="10.93.0.0/24", ip_version=4)
    outside = admin.network.create_port(network_id=net.id)
    inside = admin.network.create_port(network_id=net.id, security_group_ids=[sg.id])
    resp = admin_api.post("/log/logs", {"log": {"resource_type": "security_group",
                                                "resource_id": sg.id, "target_id": outside.id}})
    neutron_error(resp, 400, "InvalidResourceConstraint")
    log = admin_api.ok("POST", "/log/logs", 201, {"log": {
        "resource_type": "security_group", "resource_id": sg.id, "target_id": inside.id}})["log"]
    assert log["event"] == "ALL" and log["target_id"] == inside.id

    listed = admin_api.ok("GET", "/log/logs", 200, params={"target_id": inside.id})["logs"]
    assert [x["id"] for x in listed] == [log["id"]]
    neutron_error(alice_api.get(f"/log/logs/{log['id']}"), 404, "LogResourceNotFound")
    resp = admin_api.put(f"/log/logs/{log['id']}", {"log": {"event": "DROP"}})
    neutron_error(resp, 400, "HTTPBadRequest")

    admin.network.delete_port(inside)
    neutron_error(admin_api.get(f"/log/logs/{log['id']}"), 404, "LogResourceNotFound")
    by_group = admin_api.ok("POST", "/log/logs", 201, {"log": {
        "resource_type": "security_group", "resource_id": sg.id}})["log"]
    admin.network.delete_security_group(sg)
    neutron_error(admin_api.get(f"/log/logs/{by_group['id']}"), 404, "LogResourceNotFound")
    admin.network.delete_port(outside)
    admin.network.delete_network(net)
