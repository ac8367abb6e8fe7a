"""4. A router gateway with SNAT takes instances to the external host, and not with enable_snat off.
5. A floating IP lets the external host reach the instance it points at; moved, it reaches the other;
deleted, nothing."""

from conftest import fixed_ip, network_with_subnet, wait_until


def external_network(lab):
    c = lab.cloud
    ext = c.network.create_network(name="public", is_router_external=True,
                                   provider_network_type="flat",
                                   provider_physical_network=lab.env["OVN_SANDBOX_PHYSNET"])
    c.network.create_subnet(network_id=ext.id, ip_version=4, cidr=lab.env["OVN_SANDBOX_EXTERNAL_CIDR"],
                            enable_dhcp=False, gateway_ip=lab.env["OVN_SANDBOX_EXTERNAL_GATEWAY_IP"],
                            allocation_pools=[{"start": "172.24.4.100", "end": "172.24.4.200"}])
    return ext


def routed_network(lab, ext):
    c = lab.cloud
    net, sub = network_with_subnet(c, "private", "10.50.0.0/24")
    router = c.network.create_router(name="r1", external_gateway_info={"network_id": ext.id})
    c.network.add_interface_to_router(router, subnet_id=sub.id)
    return net, router


def test_snat_takes_instances_out_and_stops_when_disabled(lab):
    c = lab.cloud
    ext = external_network(lab)
    net, router = routed_network(lab, ext)
    a = c.network.create_port(network_id=net.id, name="a")
    lab.plug(2, "a", a)  # not the gateway chassis: traffic crosses to chassis-1 over Geneve
    lab.dhcp("a")
    external_host = lab.env["OVN_SANDBOX_EXTERNAL_HOST_IP"]
    assert lab.reaches("a", external_host, within=15)
    c.network.update_router(router, external_gateway_info={"network_id": ext.id, "enable_snat": False})
    wait_until("SNAT to stop", lambda: not lab.ping("a", external_host), 5)


def test_a_floating_ip_reaches_its_port_follows_it_and_goes(lab):
    c = lab.cloud
    ext = external_network(lab)
    net, _ = routed_network(lab, ext)
    a = c.network.create_port(network_id=net.id, name="a")
    b = c.network.create_port(network_id=net.id, name="b")
    default = c.network.get_port(a.id).security_group_ids[0]
    c.network.create_security_group_rule(security_group_id=default, direction="ingress",
                                         ethertype="IPv4", protocol="tcp",
                                         port_range_min=7000, port_range_max=7000)
    for chassis, ns, port in ((1, "a", a), (2, "b", b)):
        lab.plug(chassis, ns, port)
        lab.dhcp(ns)
        lab.serve_name(ns, 7000)
    fip = c.network.create_ip(floating_network_id=ext.id, port_id=a.id)
    address = fip.floating_ip_address
    wait_until("the external host to reach a on its floating IP",
               lambda: lab.ask_name("ext", address, 7000, timeout=1) == "a", 15)
    c.network.update_ip(fip, port_id=b.id)
    wait_until("the floating IP to follow to b",
               lambda: lab.ask_name("ext", address, 7000, timeout=1) == "b", 10)
    assert fixed_ip(b) == c.network.get_ip(fip.id).fixed_ip_address
    c.network.delete_ip(fip)
    wait_until("the floating IP to go",
               lambda: lab.ask_name("ext", address, 7000, timeout=1) is None, 10)


def test_a_floating_ip_becomes_distributed_when_its_port_is_bound(make_lab):
    """With `distributed_floating_ips`, a bound port's floating IP is translated on its chassis
    (the NAT row gets the port's MAC as `external_mac`). The binding comes from the Southbound and
    has no change-feed entry: the Southbound task hands the port to the reconciler, so this must
    not wait for a full compare (an hour away here)."""
    lab = make_lab(full_compare_secs=3600, ovn_settings="distributed_floating_ips = true")
    c = lab.cloud
    ext = external_network(lab)
    net, _ = routed_network(lab, ext)
    port = c.network.create_port(network_id=net.id, name="a")
    fip = c.network.create_ip(floating_network_id=ext.id, port_id=port.id)

    def external_mac():
        """The NAT row's external_mac ("" when empty), or None while there is no row."""
        uuid = lab.nbctl("--bare", "--columns=_uuid", "find", "NAT",
                         f"external_ip={fip.floating_ip_address}").strip()
        return lab.nbctl("get", "NAT", uuid, "external_mac").strip().strip('"[]') if uuid else None

    wait_until("the floating IP's NAT row", lambda: external_mac() is not None, 5)
    assert external_mac() == "", "not bound yet: translated on the gateway"
    lab.plug(2, "a", port)
    wait_until("the NAT row to carry the bound port's MAC",
               lambda: external_mac() == port.mac_address, 5)
