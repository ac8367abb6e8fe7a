"""Security groups and rules through the openstack CLI and openstacksdk: the default group, rules by
name and number, duplicates, ports with groups, in-use and port-security rules."""

from conftest import neutron_error, unique


def test_cli_security_group_and_rules(alice_cli):
    name = unique("sg")
    sg = alice_cli.json("security", "group", "create", "--description", "web tier", name)
    assert sg["name"] == name and sg["description"] == "web tier"
    assert len(sg["rules"]) == 2  # the two egress template rules
    ssh, icmp = alice_cli.json_many(
        ("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
         "--remote-ip", "10.0.0.0/8", name),
        ("security", "group", "rule", "create", "--protocol", "icmp", "--icmp-type", "8", "--icmp-code", "0",
         name),
    )
    assert (ssh["protocol"], ssh["port_range_min"], ssh["port_range_max"]) == ("tcp", 22, 22)
    assert ssh["remote_ip_prefix"] == "10.0.0.0/8" and ssh["direction"] == "ingress"
    assert (icmp["protocol"], icmp["port_range_min"], icmp["port_range_max"]) == ("icmp", 8, 0)
    dup = alice_cli.run("security", "group", "rule", "create", "--protocol", "6", "--dst-port", "22",
                        "--remote-ip", "10.0.0.0/8", name, check=False)
    assert dup.returncode != 0 and "already exists" in dup.stderr
    rules = alice_cli.json("security", "group", "rule", "list", name)
    assert len(rules) == 4
    shown = alice_cli.json("security", "group", "show", name)
    assert len(shown["rules"]) == 4
    alice_cli.run("security", "group", "rule", "delete", ssh["id"])
    alice_cli.run("security", "group", "set", "--name", name + "-r", name)
    listed = alice_cli.json("security", "group", "list")
    assert {g["Name"] for g in listed} >= {"default", name + "-r"}
    alice_cli.run("security", "group", "delete", name + "-r")


def test_default_group_per_project(alice, bob, admin):
    mine = list(alice.network.security_groups(name="default"))
    assert len(mine) == 1
    rules = mine[0].security_group_rules
    assert len(rules) == 4
    assert sorted((r["direction"], r["ethertype"]) for r in rules) == [
        ("egress", "IPv4"), ("egress", "IPv6"), ("ingress", "IPv4"), ("ingress", "IPv6")]
    assert all(r["remote_group_id"] == mine[0].id for r in rules if r["direction"] == "ingress")
    assert all(r["belongs_to_default_sg"] for r in rules)
    theirs = list(bob.network.security_groups(name="default"))
    assert len(theirs) == 1 and theirs[0].id != mine[0].id
    # An admin listing by project creates that project's default group.
    project = unique("proj")
    listed = list(admin.network.security_groups(project_id=project))
    assert [g.name for g in listed] == ["default"]


def test_sdk_rules_and_errors(alice_api, alice):
    sg = alice.network.create_security_group(name=unique("sg"), stateful=True)
    try:
        r = alice.network.create_security_group_rule(
            security_group_id=sg.id, direction="ingress", ethertype="IPv6", protocol="icmp",
            remote_ip_prefix="2001:db8::5")
        assert r.protocol == "ipv6-icmp" and r.remote_ip_prefix == "2001:db8::5/128"
        assert r.normalized_cidr == "2001:db8::5/128" and r.belongs_to_default_sg is False
        base = {"security_group_id": sg.id, "direction": "ingress"}
        cases = [
            ({"protocol": "tcp", "port_range_min": -16}, "Invalid value for port -16"),
            ({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
             "port_range_min must be <= port_range_max"),
            ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 300}, "Invalid value for ICMP code"),
            ({"protocol": "icmp", "port_range_max": 3}, "ICMP type (port-range-min) is missing"),
            ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/24"}, "Conflicting value ethertype"),
        ]
        for extra, text in cases:
            resp = alice_api.post("/security-group-rules", {"security_group_rule": {**base, **extra}})
            neutron_error(resp, 400, contains=text)
        revision = alice.network.get_security_group(sg.id).revision_number
        assert revision == 2  # created, then one rule
        bulk = alice_api.ok("POST", "/security-group-rules", 201, {"security_group_rules": [
            {**base, "protocol": "udp", "port_range_min": 53, "port_range_max": 53},
            {**base, "protocol": "tcp", "port_range_min": 53, "port_range_max": 53}]})
        assert len(bulk["security_group_rules"]) == 2
        neutron_error(alice_api.post("/security-group-rules", {"security_group_rules": [
            {**base, "protocol": "sctp"}, {**base, "protocol": "132"}]}), 409, "DuplicateSecurityGroupRuleInPost")
    finally:
        alice.network.delete_security_group(sg)


def test_ports_with_groups(alice, alice_api, bob_api):
    net = alice.network.create_network(name=unique("sg-net"))
    try:
        alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.91.0.0/24")
        default = next(alice.network.security_groups(name="default"))
        web = alice.network.create_security_group(name=unique("web"))
        port = alice.network.create_port(network_id=net.id)
        assert port.security_group_ids == [default.id]
        port = alice.network.update_port(port, security_group_ids=[web.id])
        assert port.security_group_ids == [web.id]
        assert [p.id for p in alice.network.ports(security_groups=web.id)] == [port.id]
        neutron_error(alice_api.delete(f"/security-groups/{web.id}"), 409, "SecurityGroupInUse")
        neutron_error(alice_api.put(f"/ports/{port.id}", {"port": {"port_security_enabled": False}}),
                      409, "PortSecurityPortHasSecurityGroup")
        neutron_error(alice_api.post("/ports", {"port": {"network_id": net.id, "port_security_enabled": False,
                                                         "security_groups": [web.id]}}),
                      400, "PortSecurityAndIPRequiredForSecurityGroups")
        bob_sg = bob_api.ok("POST", "/security-groups", 201, {"security_group": {"name": unique("b")}})
        neutron_error(alice_api.post("/ports", {"port": {"network_id": net.id,
                                                         "security_groups": [bob_sg["security_group"]["id"]]}}),
                      404, "SecurityGroupNotFound")
        port = alice.network.update_port(port, port_security_enabled=False, security_group_ids=[])
        assert port.security_group_ids == [] and port.is_port_security_enabled is False
        alice.network.delete_port(port)
        alice.network.delete_security_group(web)
        neutron_error(alice_api.delete(f"/security-groups/{default.id}"), 409, "SecurityGroupCannotRemoveDefault")
    finally:
        for p in alice.network.ports(network_id=net.id):
            alice.network.delete_port(p)
        alice.network.delete_network(net)
