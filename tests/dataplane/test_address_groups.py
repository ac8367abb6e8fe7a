"""Address groups: an ingress rule that allows only an address group lets in an instance whose
address is in the group and keeps out one whose address is not; adding that address to the group
lets it in, removing it keeps it out again (OVN Address_Set `ag_<id>_ip4` in the rule's ACL)."""

from conftest import fixed_ip, network_with_subnet, wait_until


def test_an_address_group_rule_follows_the_group(lab):
    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.41.0.0/24")
    guarded = c.network.create_security_group(name="guarded")
    target = c.network.create_port(network_id=net.id, name="t", security_group_ids=[guarded.id])
    inside = c.network.create_port(network_id=net.id, name="in")  # the project's default group
    outside = c.network.create_port(network_id=net.id, name="out")
    for chassis, ns, port in ((1, "t", target), (2, "in", inside), (2, "out", outside)):
        lab.plug(chassis, ns, port)
        lab.dhcp(ns)
    ip = {name: fixed_ip(p) for name, p in (("t", target), ("in", inside), ("out", outside))}

    group = c.network.create_address_group(name="friends", addresses=[f"{ip['in']}/32"])
    c.network.create_security_group_rule(security_group_id=guarded.id, direction="ingress",
                                         ethertype="IPv4", protocol="icmp",
                                         remote_address_group_id=group.id)
    assert lab.reaches("in", ip["t"], within=5)
    assert not lab.ping("out", ip["t"], count=2)

    c.network.add_addresses_to_address_group(group, [f"{ip['out']}/32"])
    assert lab.reaches("out", ip["t"], within=5)

    c.network.remove_addresses_from_address_group(group, [f"{ip['out']}/32"])
    wait_until("out to be kept out again", lambda: not lab.ping("out", ip["t"]), 5)
    assert lab.reaches("in", ip["t"])
