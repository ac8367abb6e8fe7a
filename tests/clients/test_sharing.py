"""Quotas, RBAC sharing, availability zones and IP availability through the openstack CLI,
openstacksdk and raw HTTP."""

from concurrent.futures import ThreadPoolExecutor

import openstack.exceptions
import pytest

from conftest import neutron_error, unique


def test_cli_quota_set_show_and_hit(admin_cli, admin_api, alice, alice_api):
    project = alice_api.project_id
    admin_cli.run("quota", "set", "--networks", "3", "--ports", "40", project)
    try:
        shown = admin_cli.json("quota", "show", project)
        if isinstance(shown, list):  # newer OSC: [{"Resource": ..., "Limit": ...}]
            shown = {r["Resource"]: r["Limit"] for r in shown}
        assert shown["networks"] == 3 and shown["ports"] == 40, shown
        used = len(list(alice.network.networks(project_id=project)))
        made = []
        with pytest.raises(openstack.exceptions.ConflictException) as err:
            for _ in range(4):
                made.append(alice.network.create_network(name=unique("q")))
        assert "Quota exceeded for resources: ['network']." in str(err.value)
        assert used + len(made) == 3
        details = alice_api.ok("GET", f"/quotas/{project}/details", 200)["quota"]
        assert details["network"] == {"limit": 3, "used": 3, "reserved": 0}
        for n in made:
            alice.network.delete_network(n)
    finally:
        admin_cli.run("quota", "delete", "--network", project, check=False)
        admin_api.delete(f"/quotas/{project}")
    assert admin_api.ok("GET", f"/quotas/{project}", 200)["quota"]["network"] == 100


def test_concurrent_creates_respect_the_quota(admin_api, bob, bob_api):
    project = bob_api.project_id
    before = len(list(bob.network.networks(project_id=project)))
    admin_api.ok("PUT", f"/quotas/{project}", 200, {"quota": {"network": before + 5}})
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(lambda i: bob_api.post("/networks", {"network": {"name": f"c{i}"}}).status_code,
                                  range(24)))
        assert codes.count(201) == 5 and codes.count(409) == 19, codes
    finally:
        for n in bob.network.networks(project_id=project):
            if n.name.startswith("c"):
                bob.network.delete_network(n)
        admin_api.delete(f"/quotas/{project}")


def test_cli_network_rbac_share_with_one_project(admin_cli, admin_api, alice, bob, bob_api):
    net = alice.network.create_network(name=unique("rbac"))
    try:
        assert bob.network.find_network(net.id) is None
        # The CLI resolves --target-project through the identity API, which only an admin may read.
        policy = admin_cli.json("network", "rbac", "create", "--type", "network", "--action", "access_as_shared",
                                "--target-project", bob_api.project_id, net.id)
        assert policy["target_project_id"] == bob_api.project_id
        seen = bob.network.get_network(net.id)
        assert seen.is_shared is True
        assert alice.network.get_network(net.id).is_shared is False
        listed = admin_cli.json("network", "rbac", "list")
        assert policy["id"] in [p["ID"] for p in listed]
        port = bob.network.create_port(network_id=net.id)
        neutron_error(admin_api.delete(f"/rbac-policies/{policy['id']}"), 409, "RbacPolicyInUse")
        bob.network.delete_port(port)
        admin_cli.run("network", "rbac", "delete", policy["id"])
        assert bob.network.find_network(net.id) is None
    finally:
        for p in alice.network.ports(network_id=net.id):
            alice.network.delete_port(p)
        alice.network.delete_network(net)


def test_shared_flag_is_a_wildcard_policy(admin, admin_api, bob):
    net = admin.network.create_network(name=unique("pub"), shared=True)
    try:
        policies = admin_api.ok("GET", f"/rbac-policies?object_id={net.id}", 200)["rbac_policies"]
        assert [(p["action"], p["target_tenant"]) for p in policies] == [("access_as_shared", "*")]
        assert bob.network.get_network(net.id).is_shared is True
        neutron_error(admin_api.post("/rbac-policies", {"rbac_policy": {
            "object_type": "network", "object_id": net.id, "action": "access_as_shared", "target_tenant": "*"}}),
            409, "DuplicateRbacPolicy")
        admin.network.update_network(net, shared=False)
        assert admin_api.ok("GET", f"/rbac-policies?object_id={net.id}", 200)["rbac_policies"] == []
        assert bob.network.find_network(net.id) is None
    finally:
        admin.network.delete_network(net)


def test_cli_availability_zones_and_ip_availability(admin_cli, admin_api, alice, alice_cli, alice_api):
    zones = alice_cli.json("availability", "zone", "list", "--network")
    assert {(z["Zone Name"], z["Zone Status"]) for z in zones} == {("nova", "available")}, zones
    net = alice.network.create_network(name=unique("avail"), availability_zone_hints=["nova"])
    try:
        alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.77.0.0/24")
        alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:77::/48")
        alice.network.create_port(network_id=net.id)
        listed = admin_cli.json("ip", "availability", "list")
        row = [r for r in listed if r["Network ID"] == net.id]
        assert row, listed
        raw = admin_api.get(f"/network-ip-availabilities/{net.id}")
        assert raw.status_code == 200
        # IPv6 totals beyond 2^64 are plain JSON integers, not floats or strings.
        assert '"total_ips":1208925819614629174706175' in raw.text.replace(" ", ""), raw.text
        shown = admin_cli.json("ip", "availability", "show", net.id)
        assert shown["network_name"] == net.name
        neutron_error(alice_api.get("/network-ip-availabilities"), 403, "PolicyNotAuthorized")
    finally:
        for p in alice.network.ports(network_id=net.id):
            alice.network.delete_port(p)
        alice.network.delete_network(net)
