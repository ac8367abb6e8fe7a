"""Address groups (`address-group`, `security-groups-remote-address-group`) and the default
security group rules template (`security-groups-default-rules`) through the openstack CLI and
openstacksdk: create/set/unset/show/list/delete, rules naming a group, the in-use rule, and the
template new groups are made from."""

from conftest import neutron_error, unique


def test_address_group_with_cli(alice_cli, alice):
    name = unique("ag")
    ag = alice_cli.json("address", "group", "create", "--address", "10.0.0.5/24",
                        "--address", "192.0.2.1", "--description", "d", name)
    assert ag["name"] == name and ag["description"] == "d"
    # The CLI turns a bare address into /32; the server normalises a CIDR to its network.
    assert sorted(ag["addresses"]) == ["10.0.0.0/24", "192.0.2.1/32"]

    alice_cli.run("address", "group", "set", "--address", "198.51.100.0/24", "--name", name + "-x", name)
    shown = alice_cli.json("address", "group", "show", name + "-x")
    assert sorted(shown["addresses"]) == ["10.0.0.0/24", "192.0.2.1/32", "198.51.100.0/24"]
    alice_cli.run("address", "group", "unset", "--address", "10.0.0.0/24", name + "-x")
    shown = alice_cli.json("address", "group", "show", ag["id"])
    assert sorted(shown["addresses"]) == ["192.0.2.1/32", "198.51.100.0/24"]
    assert shown["revision_number"] > ag["revision_number"]

    listed = alice_cli.json("address", "group", "list")
    assert ag["id"] in [x["ID"] for x in listed]
    assert alice.network.get_address_group(ag["id"]).name == name + "-x"

    # A rule naming the group keeps it in use.
    sg = alice_cli.json("security", "group", "create", unique("sg"))
    rule = alice_cli.json("security", "group", "rule", "create", "--ingress", "--protocol", "tcp",
                          "--dst-port", "22", "--remote-address-group", ag["id"], sg["id"])
    assert rule["remote_address_group_id"] == ag["id"]
    r = alice_cli.run("address", "group", "delete", ag["id"], check=False)
    assert r.returncode != 0 and "in use" in r.stderr
    alice_cli.run("security", "group", "rule", "delete", rule["id"])
    alice_cli.run("address", "group", "delete", ag["id"])
    assert alice.network.find_address_group(ag["id"]) is None
    alice_cli.run("security", "group", "delete", sg["id"])


def test_address_group_with_sdk(alice, bob, alice_api, bob_api):
    ag = alice.network.create_address_group(name=unique("ag"), addresses=["10.1.0.0/16"])
    assert ag.addresses == ["10.1.0.0/16"]
    ag = alice.network.add_addresses_to_address_group(ag, ["10.2.0.9/16", "2001:db8::/64"])
    assert ag.addresses == ["10.1.0.0/16", "10.2.0.0/16", "2001:db8::/64"]
    ag = alice.network.remove_addresses_from_address_group(ag, ["10.1.0.0/16"])
    assert ag.addresses == ["10.2.0.0/16", "2001:db8::/64"]
    ag = alice.network.update_address_group(ag, description="d")
    assert ag.description == "d"
    assert [x.id for x in alice.network.address_groups(name=ag.name)] == [ag.id]

    # Errors as upstream answers them.
    r = alice_api.put(f"/address-groups/{ag.id}/add_addresses", {"addresses": ["10.2.0.0/16"]})
    neutron_error(r, 400, "AddressesAlreadyExist")
    r = alice_api.put(f"/address-groups/{ag.id}/remove_addresses", {"addresses": ["10.9.0.0/16"]})
    neutron_error(r, 404, "AddressesNotFound")
    r = alice_api.post("/address-groups", {"address_group": {"addresses": ["10.0.0.1"]}})
    neutron_error(r, 400, contains="isn't a recognized IP subnet cidr")
    # Another project neither sees it nor may name it.
    r = bob_api.get(f"/address-groups/{ag.id}")
    neutron_error(r, 404, "AddressGroupNotFound")
    sg = bob.network.create_security_group(name=unique("sg"))
    r = bob_api.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": sg.id, "direction": "ingress", "remote_address_group_id": ag.id}})
    neutron_error(r, 404, "AddressGroupNotFound")
    bob.network.delete_security_group(sg)
    alice.network.delete_address_group(ag)


def test_default_rules_template(admin_cli, admin, alice, alice_api):
    template = list(alice.network.default_security_group_rules())
    shipped = sorted((r.direction, r.ether_type, r.remote_group_id, r.used_in_default_sg,
                      r.used_in_non_default_sg) for r in template)
    assert shipped == [("egress", "IPv4", None, True, True), ("egress", "IPv6", None, True, True),
                       ("ingress", "IPv4", "PARENT", True, False),
                       ("ingress", "IPv6", "PARENT", True, False)]
    listed = admin_cli.json("default", "security", "group", "rule", "list")
    assert len(listed) == len(template)

    r = alice_api.post("/default-security-group-rules", {"default_security_group_rule": {
        "direction": "ingress", "used_in_default_sg": False, "used_in_non_default_sg": True}})
    neutron_error(r, 403)
    created = admin_cli.json("default", "security", "group", "rule", "create", "--ingress",
                             "--protocol", "tcp", "--dst-port", "2222", "--for-custom-sg",
                             "--description", "ssh")
    try:
        assert created["port_range_min"] == 2222 and created["used_in_non_default_sg"] is True
        assert created["used_in_default_sg"] is False
        shown = admin_cli.json("default", "security", "group", "rule", "show", created["id"])
        assert shown["id"] == created["id"]
        r = admin_cli.run("default", "security", "group", "rule", "create", "--ingress", "--protocol",
                          "tcp", "--dst-port", "2222", "--for-custom-sg", check=False)
        assert r.returncode != 0 and "already exists" in r.stderr
        # A new custom group gets it (with the egress rules); nothing else changes.
        sg = alice.network.create_security_group(name=unique("sg"))
        ports = sorted(r.port_range_min or 0 for r in alice.network.security_group_rules(
            security_group_id=sg.id))
        assert ports == [0, 0, 2222]
        alice.network.delete_security_group(sg)
        rule = admin.network.get_default_security_group_rule(created["id"])
        assert rule.description == "ssh"
    finally:
        admin_cli.run("default", "security", "group", "rule", "delete", created["id"])
    assert admin.network.find_default_security_group_rule(created["id"]) is None
