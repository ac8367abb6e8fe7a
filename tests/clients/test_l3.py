"""Routers and floating IPs through the openstack CLI and openstacksdk: the issue's topology (two
project networks, a router with both subnets, an admin-made external network, a gateway,
floating IPs associated and moved between ports), and the in-use rules."""

import pytest

from conftest import neutron_error, unique


@pytest.fixture(scope="module")
def external(admin_cli):
    name = unique("public")
    net = admin_cli.json("network", "create", "--external", name)
    sub = admin_cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "198.51.100.0/24",
                         "--no-dhcp", unique("public-v4"))
    yield net, sub
    admin_cli.run("network", "delete", net["id"], check=False)


def test_topology_with_cli(alice_cli, admin_cli, alice, external):
    ext, ext_sub = external
    # Two project networks with a subnet each.
    nets = alice_cli.json_many(("network", "create", unique("web")), ("network", "create", unique("db")))
    subs = alice_cli.json_many(
        ("subnet", "create", "--network", nets[0]["id"], "--subnet-range", "10.61.0.0/24", unique("web-v4")),
        ("subnet", "create", "--network", nets[1]["id"], "--subnet-range", "10.62.0.0/24", unique("db-v4")),
    )
    router = alice_cli.json("router", "create", unique("r"))
    assert router["status"] == "ACTIVE"
    for s in subs:
        alice_cli.run("router", "add", "subnet", router["id"], s["id"])
    alice_cli.run("router", "set", "--external-gateway", ext["id"], router["id"])
    shown = alice_cli.json("router", "show", router["id"])
    gw = shown["external_gateway_info"]
    assert gw["network_id"] == ext["id"] and gw["enable_snat"] is True
    assert gw["external_fixed_ips"][0]["subnet_id"] == ext_sub["id"]
    ifaces = [p for p in alice.network.ports(device_id=router["id"]) if p.device_owner == "network:router_interface"]
    assert sorted(p.fixed_ips[0]["ip_address"] for p in ifaces) == ["10.61.0.1", "10.62.0.1"]
    assert all(p.status == "ACTIVE" for p in ifaces)

    # Floating IP: create, associate, move to another port, unset.
    p1, p2 = alice_cli.json_many(("port", "create", "--network", nets[0]["id"], unique("vm1")),
                                 ("port", "create", "--network", nets[1]["id"], unique("vm2")))
    fip = alice_cli.json("floating", "ip", "create", ext["id"])
    assert fip["status"] == "DOWN" and fip["port_id"] is None
    alice_cli.run("floating", "ip", "set", "--port", p1["id"], fip["id"])
    f = alice_cli.json("floating", "ip", "show", fip["id"])
    assert f["port_id"] == p1["id"] and f["router_id"] == router["id"] and f["status"] == "ACTIVE"
    assert f["fixed_ip_address"] == p1["fixed_ips"][0]["ip_address"]
    alice_cli.run("floating", "ip", "set", "--port", p2["id"], fip["id"])
    f = alice_cli.json("floating", "ip", "show", fip["id"])
    assert f["port_id"] == p2["id"] and f["port_details"]["network_id"] == nets[1]["id"]
    listed = alice_cli.json("floating", "ip", "list", "--port", p2["id"])
    assert [x["ID"] for x in listed] == [fip["id"]]
    alice_cli.run("floating", "ip", "unset", "--port", fip["id"])
    f = alice_cli.json("floating", "ip", "show", fip["id"])
    assert f["port_id"] is None and f["router_id"] is None and f["status"] == "DOWN"

    # Tear down in the order the rules demand.
    r = alice_cli.run("router", "delete", router["id"], check=False)
    assert r.returncode != 0
    alice_cli.run("floating", "ip", "delete", fip["id"])
    for s in subs:
        alice_cli.run("router", "remove", "subnet", router["id"], s["id"])
    alice_cli.run("router", "unset", "--external-gateway", router["id"])
    alice_cli.run("router", "delete", router["id"])
    alice_cli.run("port", "delete", p1["id"], p2["id"])
    alice_cli.run("network", "delete", nets[0]["id"], nets[1]["id"])


def test_sdk_rules(alice, alice_api, admin, external):
    ext, _ = external
    net = alice.network.create_network(name=unique("sdk-net"))
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.63.0.0/24")
    port = alice.network.create_port(network_id=net.id)
    router = alice.network.create_router(name=unique("sdk-r"), external_gateway_info={"network_id": ext["id"]})
    # Not reachable until the subnet is on the router.
    r = alice_api.post("/floatingips", {"floatingip": {"floating_network_id": ext["id"], "port_id": port.id}})
    neutron_error(r, 404, "ExternalGatewayForFloatingIPNotFound")
    info = alice.network.add_interface_to_router(router, subnet_id=sub.id)
    assert set(info) >= {"id", "port_id", "subnet_id", "subnet_ids", "network_id", "project_id", "tenant_id"}
    fip = alice.network.create_ip(floating_network_id=ext["id"], port_id=port.id)
    assert fip.router_id == router.id and fip.status == "ACTIVE"
    # One floating IP per fixed IP; the interface and the gateway are in use.
    r = alice_api.post("/floatingips", {"floatingip": {"floating_network_id": ext["id"], "port_id": port.id}})
    neutron_error(r, 409, "FloatingIPPortAlreadyAssociated")
    r = alice_api.put(f"/routers/{router.id}/remove_router_interface", {"subnet_id": sub.id})
    neutron_error(r, 409, "RouterInterfaceInUseByFloatingIP")
    r = alice_api.delete(f"/ports/{info['port_id']}")
    neutron_error(r, 409, "ServicePortInUse")
    # Deleting the port disassociates the floating IP.
    alice.network.delete_port(port)
    assert alice.network.get_ip(fip.id).port_id is None
    pools = alice_api.ok("GET", "/floatingip_pools", 200)["floatingip_pools"]
    assert any(p["network_id"] == ext["id"] for p in pools)
    # Extra routes, atomically.
    alice.network.add_extra_routes_to_router(router, body={"router": {"routes": [{"destination": "10.99.0.0/16", "nexthop": "10.63.0.9"}]}})
    assert alice.network.get_router(router.id).routes == [{"destination": "10.99.0.0/16", "nexthop": "10.63.0.9"}]
    alice.network.remove_extra_routes_from_router(router, body={"router": {"routes": [{"destination": "10.99.0.0/16", "nexthop": "10.63.0.9"}]}})
    alice.network.delete_ip(fip)
    alice.network.remove_interface_from_router(router, subnet_id=sub.id)
    alice.network.delete_router(router)
    alice.network.delete_network(net)
