"""QoS through the openstack CLI, openstacksdk and raw HTTP: policies, rules, rule types, and a
port's and network's policy."""

import openstack.exceptions
import pytest

from conftest import neutron_error, unique


def test_cli_policy_rules_and_port_policy(admin_cli, alice, alice_cli, alice_api):
    name, renamed = unique("qos"), unique("qos")
    policy = admin_cli.json("network", "qos", "policy", "create", "--description", "gold",
                            "--project", alice_api.project_id, name)
    assert policy["name"] == name and policy["description"] == "gold"
    assert policy["shared"] is False and policy["rules"] == []
    net = alice.network.create_network(name=unique("net"))
    port = alice.network.create_port(network_id=net.id, name=unique("port"))
    try:
        rule = admin_cli.json("network", "qos", "rule", "create", "--type", "bandwidth-limit",
                              "--max-kbps", "10000", "--max-burst-kbits", "1400", "--egress", name)
        assert rule["max_kbps"] == 10000 and rule["max_burst_kbps"] == 1400
        assert rule["direction"] == "egress"
        dscp = admin_cli.json("network", "qos", "rule", "create", "--type", "dscp-marking",
                              "--dscp-mark", "26", name)
        assert dscp["dscp_mark"] == 26
        # A second egress limit conflicts; the CLI reports the server's message.
        r = admin_cli.run("network", "qos", "rule", "create", "--type", "bandwidth-limit",
                          "--max-kbps", "1", "--egress", name, check=False)
        assert r.returncode != 0 and "conflicts with rule" in r.stderr, r.stderr

        rules = admin_cli.json("network", "qos", "rule", "list", name)
        assert {r["ID"] for r in rules} == {rule["id"], dscp["id"]}
        admin_cli.run("network", "qos", "rule", "set", "--max-kbps", "15000", "--ingress", name, rule["id"])
        shown = admin_cli.json("network", "qos", "rule", "show", name, rule["id"])
        assert shown["max_kbps"] == 15000 and shown["direction"] == "ingress"

        admin_cli.run("network", "qos", "policy", "set", "--name", renamed, "--default", policy["id"])
        shown = alice_cli.json("network", "qos", "policy", "show", policy["id"])
        assert shown["name"] == renamed and shown["is_default"] is True
        assert len(shown["rules"]) == 2
        listed = alice_cli.json("network", "qos", "policy", "list")
        assert policy["id"] in {p["ID"] for p in listed}

        # Members may not write policies.
        r = alice_cli.run("network", "qos", "policy", "create", unique("qos"), check=False)
        assert r.returncode != 0 and "disallowed by policy" in r.stderr, r.stderr

        alice_cli.run("port", "set", "--qos-policy", renamed, port.id)
        assert alice.network.get_port(port.id).qos_policy_id == policy["id"]
        r = admin_cli.run("network", "qos", "policy", "delete", policy["id"], check=False)
        assert r.returncode != 0
        alice_cli.run("port", "unset", "--qos-policy", port.id)
        assert alice.network.get_port(port.id).qos_policy_id is None
        admin_cli.run("network", "qos", "rule", "delete", renamed, dscp["id"])
        assert len(alice_cli.json("network", "qos", "policy", "show", policy["id"])["rules"]) == 1
    finally:
        alice.network.delete_port(port.id)
        alice.network.delete_network(net.id)
        admin_cli.run("network", "qos", "policy", "delete", policy["id"], check=False)
    assert alice.network.find_qos_policy(policy["id"]) is None


def test_cli_rule_types(admin_cli, alice_cli, admin_api):
    # Upstream answers `type` before `drivers`, and tempest compares the order.
    shown = admin_api.ok("GET", "/qos/rule-types/dscp_marking", 200)
    assert list(shown["rule_type"]) == ["type", "drivers"]
    types = admin_cli.json("network", "qos", "rule", "type", "list")
    assert sorted(t["Type"] for t in types) == ["bandwidth_limit", "dscp_marking", "minimum_bandwidth"]
    every = admin_cli.json("network", "qos", "rule", "type", "list", "--all-rules")
    assert len(every) == 5
    shown = admin_cli.json("network", "qos", "rule", "type", "show", "bandwidth_limit")
    assert shown["drivers"][0]["name"] == "ovn"
    params = {p["parameter_name"]: p for p in shown["drivers"][0]["supported_parameters"]}
    assert params["max_kbps"]["parameter_values"] == {"start": 0, "end": 2147483647}
    assert alice_cli.json("network", "qos", "rule", "type", "list") == []


def test_sdk_policy_sharing_rules_and_in_use(admin, alice, bob, admin_api, bob_api):
    policy = admin.network.create_qos_policy(name=unique("qos"), shared=True)
    net = None
    try:
        assert policy.is_shared
        # Every rule type through openstacksdk.
        bw = admin.network.create_qos_bandwidth_limit_rule(policy, max_kbps=1000, direction="ingress")
        assert bw.max_burst_kbps == 0 and bw.direction == "ingress"
        mb = admin.network.create_qos_minimum_bandwidth_rule(policy, min_kbps=100)
        assert mb.direction == "egress"
        dscp = admin.network.create_qos_dscp_marking_rule(policy, dscp_mark=46)
        assert dscp.dscp_mark == 46
        with pytest.raises(openstack.exceptions.BadRequestException) as e:
            admin.network.create_qos_dscp_marking_rule(policy, dscp_mark=7)
        assert "7 is not in valid_values" in str(e.value)
        err = neutron_error(admin_api.post(f"/qos/policies/{policy.id}/minimum_bandwidth_rules",
                                           {"minimum_bandwidth_rule": {"min_kbps": 5000, "direction": "ingress"}}),
                            409, "QoSRuleParameterConflict")
        assert "restricts the bandwidth to 1000" in err["message"]
        fetched = admin.network.get_qos_bandwidth_limit_rule(bw, policy)
        assert fetched.max_kbps == 1000
        admin.network.update_qos_bandwidth_limit_rule(bw, policy, max_kbps=2000)
        assert admin.network.get_qos_bandwidth_limit_rule(bw, policy).max_kbps == 2000
        assert {r.id for r in admin.network.qos_minimum_bandwidth_rules(policy)} == {mb.id}
        alias = admin_api.ok("GET", f"/qos/alias-bandwidth-limit-rules/{bw.id}", 200)
        assert alias["alias_bandwidth_limit_rule"]["max_kbps"] == 2000

        # Shared: bob sees it and may use it; unsharing is refused while he does.
        assert bob.network.get_qos_policy(policy.id).name == policy.name
        net = bob.network.create_network(name=unique("net"), qos_policy_id=policy.id)
        assert net.qos_policy_id == policy.id
        neutron_error(admin_api.put(f"/qos/policies/{policy.id}", {"policy": {"shared": False}}),
                      409, "RbacPolicyInUse")
        with pytest.raises(openstack.exceptions.ConflictException) as e:
            admin.network.delete_qos_policy(policy)
        assert f"QoS Policy {policy.id} is used by network {net.id}." in str(e.value)
        with pytest.raises(openstack.exceptions.ForbiddenException):
            bob.network.create_qos_dscp_marking_rule(policy, dscp_mark=8)
        bob.network.delete_network(net)
        net = None
        unshared = admin.network.update_qos_policy(policy, shared=False)
        assert not unshared.is_shared
        neutron_error(bob_api.get(f"/qos/policies/{policy.id}"), 404, "QosPolicyNotFound")
        admin.network.delete_qos_dscp_marking_rule(dscp, policy)
        types = {r["type"] for r in admin.network.get_qos_policy(policy.id).rules}
        assert types == {"bandwidth_limit", "minimum_bandwidth"}
    finally:
        if net is not None:
            bob.network.delete_network(net)
        admin.network.delete_qos_policy(policy, ignore_missing=True)
    assert admin.network.find_qos_policy(policy.id) is None


def test_sdk_floating_ip_router_gateway_and_tags(admin, alice, admin_api, alice_api):
    policy = admin.network.create_qos_policy(name=unique("qos"), project_id=alice_api.project_id)
    ext = admin.network.create_network(name=unique("ext"), is_router_external=True)
    admin.network.create_subnet(network_id=ext.id, ip_version=4, cidr="198.51.100.0/24")
    router = fip = None
    try:
        fip = alice.network.create_ip(floating_network_id=ext.id, qos_policy_id=policy.id)
        assert fip.qos_policy_id == policy.id
        router = alice.network.create_router(
            name=unique("r"), external_gateway_info={"network_id": ext.id, "qos_policy_id": policy.id})
        assert router.external_gateway_info["qos_policy_id"] == policy.id
        err = neutron_error(admin_api.delete(f"/qos/policies/{policy.id}"), 409, "QosPolicyInUse")
        assert err["message"] in (f"QoS Policy {policy.id} is used by floatingip {fip.id}.",
                                  f"QoS Policy {policy.id} is used by router {router.id}.")
        alice.network.update_ip(fip, qos_policy_id=None)
        assert alice.network.get_ip(fip.id).qos_policy_id is None

        # Tags through openstacksdk's tag calls on the policy.
        admin.network.set_tags(policy, ["red", "blue"])
        assert sorted(admin.network.get_qos_policy(policy.id).tags) == ["blue", "red"]
        assert [p.id for p in alice.network.qos_policies(tags="red")] == [policy.id]
    finally:
        if router is not None:
            alice.network.delete_router(router)
        if fip is not None:
            alice.network.delete_ip(fip)
        admin.network.delete_network(ext)
        admin.network.delete_qos_policy(policy, ignore_missing=True)
    assert admin.network.find_qos_policy(policy.id) is None
