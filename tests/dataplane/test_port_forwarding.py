"""Floating IP port forwarding: an instance behind a router, without a floating IP of its own,
listens on a TCP port; the external host reaches it on the floating IP's external port (an OVN
Load_Balancer on the router, as upstream's driver writes it), a range forwards each of its ports,
and once the forwardings are deleted the floating IP no longer answers."""

from conftest import fixed_ip, wait_until
from test_gateway import external_network, routed_network


def allow_tcp(c, port, ports):
    group = c.network.get_port(port.id).security_group_ids[0]
    for p in ports:
        c.network.create_security_group_rule(security_group_id=group, direction="ingress",
                                             ethertype="IPv4", protocol="tcp",
                                             port_range_min=p, port_range_max=p)


def balancers(lab, fip_id):
    """The names of the port forwarding Load_Balancer rows of a floating IP."""
    out = lab.nbctl("--bare", "--columns=name", "find", "Load_Balancer",
                    f"external_ids:\"neutron:fip_id\"={fip_id}")
    return sorted(line for line in out.split() if line)


def test_a_forwarded_port_reaches_the_instance_until_deleted(lab):
    c = lab.cloud
    ext = external_network(lab)
    net, router = routed_network(lab, ext)
    a = c.network.create_port(network_id=net.id, name="a")
    allow_tcp(c, a, [7000, 7100, 7101])
    lab.plug(2, "a", a)  # not the gateway chassis: the forwarded traffic crosses over Geneve
    lab.dhcp("a")
    for port in (7000, 7100, 7101):
        lab.serve_name("a", port)
    fip = c.network.create_ip(floating_network_id=ext.id)
    address = fip.floating_ip_address
    external = lab.env["OVN_SANDBOX_EXTERNAL_HOST_IP"]
    assert external
    pf = c.network.create_floating_ip_port_forwarding(
        fip, internal_port_id=a.id, internal_ip_address=fixed_ip(a), internal_port=7000,
        external_port=8022, protocol="tcp")
    assert c.network.get_ip(fip.id).router_id == router.id
    wait_until("the external host to reach a through the forwarded port",
               lambda: lab.ask_name("ext", address, 8022, timeout=1) == "a", 20)
    assert balancers(lab, fip.id) == [f"pf-floatingip-{fip.id}-tcp"]
    # Only the forwarded port answers: the floating IP is not a 1:1 NAT.
    assert lab.ask_name("ext", address, 7000, timeout=1) is None

    ranged = c.network.create_floating_ip_port_forwarding(
        fip, internal_port_id=a.id, internal_ip_address=fixed_ip(a),
        internal_port_range="7100:7101", external_port_range="9100:9101", protocol="tcp")
    for outside in (9100, 9101):
        wait_until(f"the external host to reach a on {outside}",
                   lambda: lab.ask_name("ext", address, outside, timeout=1) == "a", 20)

    c.network.delete_floating_ip_port_forwarding(fip, pf)
    wait_until("the forwarded port to stop answering",
               lambda: lab.ask_name("ext", address, 8022, timeout=1) is None, 15)
    assert lab.ask_name("ext", address, 9100, timeout=1) == "a"
    c.network.delete_floating_ip_port_forwarding(fip, ranged)
    wait_until("the range to stop answering",
               lambda: lab.ask_name("ext", address, 9101, timeout=1) is None, 15)
    wait_until("the load balancers to go", lambda: balancers(lab, fip.id) == [], 10)
    assert c.network.get_ip(fip.id).router_id is None
