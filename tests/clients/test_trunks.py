"""Trunks (`trunk`, `trunk-details`) through the openstack CLI and openstacksdk: a trunk with a
parent and VLAN sub-ports, sub-ports added and removed, what parent and sub-ports show, and the
rules' errors as clients receive them."""

from conftest import neutron_error, unique


def _ports(cli, n):
    net = cli.json("network", "create", unique("trunk-net"))
    cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "10.77.0.0/24", unique("trunk-v4"))
    return net, cli.json_many(*[("port", "create", "--network", net["id"], unique("p")) for _ in range(n)])


def test_trunk_with_cli(alice_cli, alice):
    net, (parent, s1, s2) = _ports(alice_cli, 3)
    name = unique("trunk")
    t = alice_cli.json("network", "trunk", "create", "--parent-port", parent["id"],
                       "--subport", f"port={s1['id']},segmentation-type=vlan,segmentation-id=100", name)
    assert t["name"] == name and t["port_id"] == parent["id"]
    assert t["status"] == "ACTIVE"

    alice_cli.run("network", "trunk", "set",
                  "--subport", f"port={s2['id']},segmentation-type=vlan,segmentation-id=200", name)
    subs = alice_cli.json("network", "subport", "list", "--trunk", name)
    assert sorted((s["Port"], s["Segmentation ID"]) for s in subs) == sorted([(s1["id"], 100), (s2["id"], 200)])
    shown = alice.network.get_trunk(t["id"])
    assert sorted(s["segmentation_id"] for s in shown.sub_ports) == [100, 200]

    listed = alice_cli.json("network", "trunk", "list")
    assert t["id"] in [x["ID"] for x in listed]
    sub_port = alice.network.get_port(s2["id"])
    assert sub_port.device_owner == "trunk:subport" and sub_port.device_id == t["id"]
    details = alice.network.get_port(parent["id"]).trunk_details
    assert details["trunk_id"] == t["id"]
    assert {s["port_id"]: s["mac_address"] for s in details["sub_ports"]} == {
        s1["id"]: s1["mac_address"], s2["id"]: s2["mac_address"]}

    alice_cli.run("network", "trunk", "unset", "--subport", s2["id"], name)
    subs = alice_cli.json("network", "subport", "list", "--trunk", name)
    assert [s["Port"] for s in subs] == [s1["id"]]
    assert alice.network.get_port(s2["id"]).device_owner == ""

    # The parent and sub-port cannot be deleted while the trunk holds them.
    r = alice_cli.run("port", "delete", parent["id"], check=False)
    assert r.returncode != 0 and "parent port" in r.stderr
    alice_cli.run("network", "trunk", "set", "--disable", name)
    r = alice_cli.run("network", "trunk", "delete", name, check=False)
    assert r.returncode != 0 and "disabled" in r.stderr
    alice_cli.run("network", "trunk", "set", "--enable", name)
    alice_cli.run("network", "trunk", "delete", name)
    assert alice.network.find_trunk(t["id"]) is None
    assert "trunk_details" not in alice.network.get_port(parent["id"]).to_dict() or \
        alice.network.get_port(parent["id"]).trunk_details is None
    alice_cli.run("port", "delete", parent["id"], s1["id"], s2["id"])
    alice_cli.run("network", "delete", net["id"])


def test_trunk_with_sdk(alice, bob, alice_api):
    net = alice.network.create_network(name=unique("trunk-net"))
    alice.network.create_subnet(network_id=net.id, cidr="10.78.0.0/24", ip_version=4)
    parent, s1, s2 = (alice.network.create_port(network_id=net.id) for _ in range(3))
    t = alice.network.create_trunk(port_id=parent.id, name=unique("trunk"),
                                   sub_ports=[{"port_id": s1.id, "segmentation_type": "vlan",
                                               "segmentation_id": 10}])
    assert [s["port_id"] for s in t.sub_ports] == [s1.id]
    t = alice.network.add_trunk_subports(t, [{"port_id": s2.id, "segmentation_type": "vlan",
                                              "segmentation_id": 20}])
    assert sorted(s["segmentation_id"] for s in t.sub_ports) == [10, 20]
    got = alice.network.get_trunk_subports(t)
    assert sorted(s["port_id"] for s in got["sub_ports"]) == sorted([s1.id, s2.id])
    t = alice.network.delete_trunk_subports(t, [{"port_id": s1.id}])
    assert [s["port_id"] for s in t.sub_ports] == [s2.id]
    assert [x.id for x in alice.network.trunks(port_id=parent.id)] == [t.id]
    t = alice.network.update_trunk(t, name="renamed", description="d")
    assert t.name == "renamed" and t.description == "d"

    # Errors as upstream answers them.
    r = alice_api.put(f"/trunks/{t.id}/add_subports",
                      {"sub_ports": [{"port_id": s1.id, "segmentation_type": "vlan", "segmentation_id": 20}]})
    neutron_error(r, 409, "DuplicateSubPort")
    r = alice_api.put(f"/trunks/{t.id}/add_subports",
                      {"sub_ports": [{"port_id": s1.id, "segmentation_type": "vlan", "segmentation_id": 5000}]})
    neutron_error(r, 400, "InvalidInput", "is not in range")
    r = alice_api.put(f"/trunks/{t.id}/remove_subports", {"sub_ports": [{"port_id": s1.id}]})
    neutron_error(r, 404, "SubPortNotFound")
    r = alice_api.post("/trunks", {"trunk": {"port_id": s2.id}})
    neutron_error(r, 409, "TrunkPortInUse")
    r = alice_api.delete(f"/ports/{s2.id}")
    neutron_error(r, 409, "PortInUseAsSubPort")
    assert bob.network.find_trunk(t.id) is None

    alice.network.delete_trunk(t)
    for p in (parent, s1, s2):
        alice.network.delete_port(p)
    alice.network.delete_network(net)
