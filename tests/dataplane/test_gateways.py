"""A router with gateways on two external networks (`external-gateway-multihoming`): an instance
behind it reaches a host on each external network through that network's gateway port (SNAT to
that gateway's address); with `enable_default_route_ecmp` the router has a default route through
each gateway and traffic still flows; with `enable_default_route_bfd` each route leaves through
its gateway port and refers to a BFD session with its nexthop, as upstream's OVN client writes
them."""

import pytest

from conftest import network_with_subnet, run, wait_until
from test_gateway import external_network

SECOND_CIDR = "172.25.5.0/24"
SECOND_GATEWAY = "172.25.5.1"
SECOND_HOST = "172.25.5.2"


@pytest.fixture
def second_physnet(make_lab):
    """A lab whose gateway chassis (chassis-1) has a second physical network, `physnet2` on bridge
    `br-ex2`, wired to a namespace of its own holding the second network's gateway and host
    addresses."""
    lab = make_lab(gateways=1)
    ns = f"{lab.name}-ext2"
    chassis_ns = lab.env["OVN_SANDBOX_CHASSIS_1_NETNS"]
    db = f"unix:{lab.env['OVN_SANDBOX_CHASSIS_1_DIR']}/db.sock"
    outside, inside = f"{lab.name}x2a", f"{lab.name}x2b"
    run("ip", "netns", "add", ns)
    try:
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        run("ip", "link", "set", outside, "netns", ns)
        run("ip", "link", "set", inside, "netns", chassis_ns)
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "addr", "add", f"{SECOND_HOST}/24", "dev", outside],
                    ["ip", "addr", "add", f"{SECOND_GATEWAY}/24", "dev", outside],
                    ["ethtool", "-K", outside, "tx", "off"],
                    ["ip", "link", "set", outside, "up"]):
            run("ip", "netns", "exec", ns, *cmd)
        run("ip", "netns", "exec", chassis_ns, "ip", "link", "set", inside, "up")
        run("ovs-vsctl", f"--db={db}", "--timeout=10", "add-br", "br-ex2", "--", "set", "Bridge",
            "br-ex2", "datapath_type=netdev", "--", "add-port", "br-ex2", inside)
        run("ip", "netns", "exec", chassis_ns, "ip", "link", "set", "br-ex2", "up")
        run("ovs-vsctl", f"--db={db}", "--timeout=10", "set", "Open_vSwitch", ".",
            f"external_ids:ovn-bridge-mappings={lab.env['OVN_SANDBOX_PHYSNET']}:"
            f"{lab.env['OVN_SANDBOX_EXTERNAL_BRIDGE']},physnet2:br-ex2")
        yield lab, ns
    finally:
        run("ip", "netns", "delete", ns, check=False)


def second_external_network(lab):
    c = lab.cloud
    ext = c.network.create_network(name="public2", is_router_external=True,
                                   provider_network_type="flat", provider_physical_network="physnet2")
    c.network.create_subnet(network_id=ext.id, ip_version=4, cidr=SECOND_CIDR, enable_dhcp=False,
                            gateway_ip=SECOND_GATEWAY,
                            allocation_pools=[{"start": "172.25.5.100", "end": "172.25.5.200"}])
    return ext


def default_routes(lab, router_id):
    """The router's default routes: {(nexthop, output_port, has a bfd row)}."""
    lr = f"neutron-{router_id}"
    out = lab.nbctl("--format=csv", "--data=bare", "--no-headings",
                    "--columns=ip_prefix,nexthop,output_port,bfd", "find",
                    "Logical_Router_Static_Route", "ip_prefix=\"0.0.0.0/0\"")
    mine = set(lab.nbctl("--bare", "--columns=static_routes", "list", "Logical_Router", lr).split())
    uuids = lab.nbctl("--bare", "--columns=_uuid", "find", "Logical_Router_Static_Route",
                      "ip_prefix=\"0.0.0.0/0\"").split()
    routes = set()
    for uuid, line in zip(uuids, out.strip().splitlines()):
        if uuid in mine:
            _, nexthop, port, bfd = line.split(",")
            routes.add((nexthop, port, bool(bfd)))
    return routes


def test_an_instance_reaches_both_external_networks(second_physnet):
    lab, ns2 = second_physnet
    c = lab.cloud
    ext1 = external_network(lab)
    ext2 = second_external_network(lab)
    net, sub = network_with_subnet(c, "private", "10.60.0.0/24")
    router = c.network.create_router(name="multi", external_gateway_info={"network_id": ext1.id})
    c.network.add_interface_to_router(router, subnet_id=sub.id)
    c.network.add_external_gateways(router, {"router": {"external_gateways": [{"network_id": ext2.id}]}})
    gateways = {p.network_id: p for p in c.network.ports(device_id=router.id,
                                                          device_owner="network:router_gateway")}
    assert set(gateways) == {ext1.id, ext2.id}
    a = c.network.create_port(network_id=net.id, name="a")
    lab.plug(2, "a", a)  # not the gateway chassis: traffic crosses to chassis-1 over Geneve
    lab.dhcp("a")

    host1 = lab.env["OVN_SANDBOX_EXTERNAL_HOST_IP"]
    assert lab.reaches("a", host1, within=20), "the host on the first external network"
    assert lab.reaches("a", SECOND_HOST, within=20), "the host on the second external network"
    # Each leaves through its own gateway, translated to that gateway's address.
    second_address = gateways[ext2.id].fixed_ips[0]["ip_address"]
    neigh = run("ip", "netns", "exec", ns2, "ip", "neigh", "show", second_address, check=False).stdout
    assert second_address in neigh, f"the second host talked to {second_address}: {neigh!r}"

    # Without ECMP the default route goes through the first gateway only.
    first_gw = lab.env["OVN_SANDBOX_EXTERNAL_GATEWAY_IP"]
    wait_until("one default route", lambda: {r[0] for r in default_routes(lab, router.id)} == {first_gw}, 5)
    c.network.update_router(router, enable_default_route_ecmp=True)
    wait_until("a default route through each gateway",
               lambda: {r[0] for r in default_routes(lab, router.id)} == {first_gw, SECOND_GATEWAY}, 5)
    assert lab.reaches("a", host1, within=10) and lab.reaches("a", SECOND_HOST, within=10)

    # BFD: each default route leaves through its gateway port and has a BFD session.
    c.network.update_router(router, enable_default_route_bfd=True)
    lrps = {f"lrp-{gateways[ext1.id].id}", f"lrp-{gateways[ext2.id].id}"}
    wait_until("routes with output ports and BFD",
               lambda: default_routes(lab, router.id) == {
                   (first_gw, f"lrp-{gateways[ext1.id].id}", True),
                   (SECOND_GATEWAY, f"lrp-{gateways[ext2.id].id}", True)}, 5)
    sessions = lab.nbctl("--bare", "--columns=logical_port", "list", "BFD").split()
    assert lrps <= set(sessions)
    c.network.update_router(router, enable_default_route_bfd=False, enable_default_route_ecmp=False)
    wait_until("BFD sessions to go", lambda: not lab.nbctl("--bare", "--columns=_uuid", "list", "BFD").strip(), 5)

    # The second gateway removed: its host is out of reach, the first still works.
    c.network.remove_external_gateways(router, {"router": {"external_gateways": [{"network_id": ext2.id}]}})
    wait_until("the second network to be out of reach", lambda: not lab.ping("a", SECOND_HOST), 10)
    assert lab.reaches("a", host1, within=10)
