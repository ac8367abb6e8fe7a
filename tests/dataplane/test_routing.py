"""2. Two networks joined by a router: instances reach each other across it, over IPv4 (addresses by
DHCP) and IPv6 (addresses by SLAAC from the router's advertisements)."""

import ipaddress

from conftest import fixed_ip, wait_until


def dual_stack(c, name, v4, v6):
    net = c.network.create_network(name=name)
    s4 = c.network.create_subnet(network_id=net.id, ip_version=4, cidr=v4, name=f"{name}-v4")
    s6 = c.network.create_subnet(network_id=net.id, ip_version=6, cidr=v6, name=f"{name}-v6",
                                 ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    return net, s4, s6


def slaac_address(lab, ns):
    out = lab.in_ns(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global").stdout
    return [line.split()[3].split("/")[0] for line in out.splitlines()]


def test_a_router_joins_two_networks_over_ipv4_and_ipv6(lab):
    c = lab.cloud
    net_a, a4, a6 = dual_stack(c, "a", "10.30.1.0/24", "fd00:30:1::/64")
    net_b, b4, b6 = dual_stack(c, "b", "10.30.2.0/24", "fd00:30:2::/64")
    router = c.network.create_router(name="r")
    for s in (a4, a6, b4, b6):
        c.network.add_interface_to_router(router, subnet_id=s.id)
    pa = c.network.create_port(network_id=net_a.id, name="a")
    pb = c.network.create_port(network_id=net_b.id, name="b")
    lab.plug(1, "a", pa)
    lab.plug(2, "b", pb)
    lab.dhcp("a")
    lab.dhcp("b")
    assert lab.reaches("a", fixed_ip(pb)), "IPv4 through the router"
    # SLAAC: the address the router's advertisements give is the one Neutron allocated.
    for ns, port in (("a", pa), ("b", pb)):
        want = fixed_ip(port, 6)
        got = wait_until(f"{ns} to configure {want} by SLAAC",
                         lambda: want in slaac_address(lab, ns) and want, 15)
        assert ipaddress.ip_address(got)
    assert lab.reaches("a", fixed_ip(pb, 6), within=15), "IPv6 through the router"
    assert lab.reaches("b", fixed_ip(pa, 6)), "and back"
