"""1. Instances on one network get their addresses, MTU and DNS servers from OVN's DHCP and ping each
other, on one chassis and across two."""

from conftest import fixed_ip, network_with_subnet


def test_instances_get_address_mtu_and_dns_by_dhcp_and_ping_each_other(lab):
    c = lab.cloud
    net, sub = network_with_subnet(c, "n1", "10.10.0.0/24", dns_nameservers=["10.10.0.53"])
    ports = [c.network.create_port(network_id=net.id, name=f"vm{i}") for i in range(3)]
    # vm0 and vm1 share chassis-1; vm2 is on chassis-2.
    for ns, chassis, port in zip(["vm0", "vm1", "vm2"], [1, 1, 2], ports):
        lab.plug(chassis, ns, port)
    for ns, port in zip(["vm0", "vm1", "vm2"], ports):
        address, options = lab.dhcp(ns)
        assert address == f"{fixed_ip(port)}/24", (ns, address)
        assert options["mtu"] == str(net.mtu), options
        assert options["dns"] == "10.10.0.53", options
        assert options["routers"] == sub.gateway_ip, options
    assert lab.reaches("vm0", fixed_ip(ports[1])), "same chassis"
    assert lab.reaches("vm0", fixed_ip(ports[2])), "across chassis"
    assert lab.reaches("vm2", fixed_ip(ports[1])), "and back"
    # Frames as large as the network's MTU pass between chassis (the underlay has room for Geneve).
    size = net.mtu - 28
    r = lab.in_ns("vm0", "ping", "-c", "1", "-W", "2", "-M", "do", "-s", size, fixed_ip(ports[2]))
    assert r.returncode == 0, r.stdout + r.stderr
