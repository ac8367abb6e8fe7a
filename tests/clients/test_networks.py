"""Networks: create/list/show/update/delete through openstacksdk, the CLI and plain HTTP."""

import re

import openstack.exceptions
import pytest

from conftest import unique

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_sdk_network_lifecycle(alice, alice_api):
    name = unique("net")
    net = alice.network.create_network(name=name, description="first", admin_state_up=False)
    assert net.name == name
    assert net.description == "first"
    assert net.is_admin_state_up is False
    assert net.status == "ACTIVE"
    assert net.project_id == alice.current_project_id
    assert net.subnet_ids == []
    assert net.is_shared is False
    assert net.mtu == 1450  # geneve tenant networks: 1500 - 50
    assert net.is_port_security_enabled is True

    # The wire body: project_id and tenant_id both, timestamps in Neutron's format.
    body = alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]
    assert body["tenant_id"] == body["project_id"] == alice.current_project_id
    assert TIMESTAMP.match(body["created_at"]) and TIMESTAMP.match(body["updated_at"]), body
    assert body["tags"] == []
    assert isinstance(body["revision_number"], int)

    shown = alice.network.get_network(net.id)
    assert shown.name == name and shown.id == net.id
    assert alice.network.find_network(name).id == net.id
    assert [n.id for n in alice.network.networks(name=name)] == [net.id]

    updated = alice.network.update_network(net, name=name + "-x", description="second", admin_state_up=True)
    assert updated.name == name + "-x"
    assert updated.description == "second"
    assert updated.is_admin_state_up is True
    assert updated.revision_number > body["revision_number"]

    alice.network.delete_network(net)
    with pytest.raises(openstack.exceptions.NotFoundException):
        alice.network.get_network(net.id)
    assert alice.network.find_network(name + "-x") is None


def test_cli_network_lifecycle(alice_cli, alice):
    name = unique("clinet")
    net = alice_cli.json("network", "create", "--description", "made by cli", "--disable", name)
    assert net["name"] == name
    assert net["description"] == "made by cli"
    assert net["admin_state_up"] is False
    assert net["status"] == "ACTIVE"
    assert net["project_id"] == alice.current_project_id

    alice_cli.run("network", "set", "--name", name + "-r", "--enable", "--description", "renamed", name)
    shown = alice.network.get_network(net["id"])
    assert (shown.name, shown.is_admin_state_up, shown.description) == (name + "-r", True, "renamed")

    listed = alice_cli.json("network", "list", "--name", name + "-r")
    assert [n["ID"] for n in listed] == [net["id"]]
    assert listed[0]["Name"] == name + "-r"

    alice_cli.run("network", "delete", name + "-r")
    assert alice.network.find_network(net["id"]) is None


def test_bulk_create_is_atomic(alice_api):
    a, b = unique("bulk"), unique("bulk")
    body = alice_api.ok("POST", "/networks", 201, {"networks": [{"name": a}, {"network": {"name": b}}]})
    assert [n["name"] for n in body["networks"]] == [a, b]
    # One bad item: nothing is created.
    c = unique("bulk")
    r = alice_api.post("/networks", {"networks": [{"name": c}, {"name": c, "admin_state_up": "maybe"}]})
    assert r.status_code == 400, r.text
    assert alice_api.ok("GET", "/networks", 200, params={"name": c})["networks"] == []
    for n in body["networks"]:
        alice_api.ok("DELETE", f"/networks/{n['id']}", 204)


def test_admin_creates_provider_network(admin):
    net = admin.network.create_network(name=unique("prov"), provider_network_type="vxlan",
                                       provider_segmentation_id=4242)
    try:
        assert net.provider_network_type == "vxlan"
        assert net.provider_segmentation_id == 4242
        shown = admin.network.get_network(net.id)
        assert shown.provider_network_type == "vxlan"
        assert shown.provider_segmentation_id == 4242
    finally:
        admin.network.delete_network(net)


def test_default_network_has_provider_attributes_for_admin(admin):
    net = admin.network.create_network(name=unique("prov"))
    try:
        assert net.provider_network_type == "geneve"
        assert isinstance(net.provider_segmentation_id, int)
    finally:
        admin.network.delete_network(net)


def test_network_delete_removes_its_subnets(alice):
    net = alice.network.create_network(name=unique("net"))
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.9.0.0/24")
    assert alice.network.get_network(net.id).subnet_ids == [sub.id]
    alice.network.delete_network(net)
    with pytest.raises(openstack.exceptions.NotFoundException):
        alice.network.get_subnet(sub.id)


def test_cli_long_listings(admin_cli, alice):
    net = alice.network.create_network(name=unique("long"))
    try:
        sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.12.0.0/24", name="long-sub")
        nets, subs, exts = admin_cli.json_many(
            ("network", "list", "--long", "--project", alice.current_project_id),
            ("subnet", "list", "--long", "--network", net.id),
            ("extension", "list", "--network"))
        row = next(r for r in nets if r["ID"] == net.id)
        assert row["Status"] == "ACTIVE" and row["State"] is True and row["Shared"] is False
        assert row["Subnets"] == [sub.id]
        assert row["Project"] == alice.current_project_id
        assert [(r["ID"], r["Subnet"], r["Gateway"]) for r in subs] == [(sub.id, "10.12.0.0/24", "10.12.0.1")]
        assert "standard-attr-tag" in {e["Alias"] for e in exts}
    finally:
        alice.network.delete_network(net)
