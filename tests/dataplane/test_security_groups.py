"""3. Security groups: the default group lets its members talk and keeps others out; a TCP rule opens
its port and only that one, and closes it again when deleted; a remote-group rule follows membership;
a port without port security passes everything."""

from conftest import fixed_ip, network_with_subnet, wait_until


def test_security_groups_filter_as_their_rules_say(lab):
    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.40.0.0/24")
    other = c.network.create_security_group(name="other")
    friends = c.network.create_security_group(name="friends")
    a = c.network.create_port(network_id=net.id, name="a")  # the project's default group
    b = c.network.create_port(network_id=net.id, name="b")
    x = c.network.create_port(network_id=net.id, name="x", security_group_ids=[other.id])
    open_port = c.network.create_port(network_id=net.id, name="open", port_security_enabled=False,
                                      security_group_ids=[])
    for chassis, ns, port in ((1, "a", a), (2, "b", b), (2, "x", x), (1, "open", open_port)):
        lab.plug(chassis, ns, port)
        lab.dhcp(ns)
    ip = {name: fixed_ip(p) for name, p in (("a", a), ("b", b), ("x", x), ("open", open_port))}

    # Members of the default group talk; x (another group, no ingress rules) is kept out, and
    # cannot reach into the default group either.
    assert lab.reaches("a", ip["b"])
    assert lab.reaches("b", ip["a"])
    assert not lab.ping("a", ip["x"], count=2)
    assert not lab.ping("x", ip["a"], count=2)

    # TCP 8080 into `other`: 8080 answers, 8081 does not; the rule deleted, 8080 closes again.
    lab.serve_name("x", 8080)
    lab.serve_name("x", 8081)
    assert lab.ask_name("a", ip["x"], 8080) is None
    rule = c.network.create_security_group_rule(security_group_id=other.id, direction="ingress",
                                                ethertype="IPv4", protocol="tcp",
                                                port_range_min=8080, port_range_max=8080)
    wait_until("TCP 8080 to open", lambda: lab.ask_name("a", ip["x"], 8080) == "x", 5)
    assert lab.ask_name("a", ip["x"], 8081) is None
    c.network.delete_security_group_rule(rule)
    wait_until("TCP 8080 to close", lambda: lab.ask_name("a", ip["x"], 8080, timeout=1) is None, 5)

    # ICMP into `other` from members of `friends`: b gets in once it joins, and not after it leaves.
    c.network.create_security_group_rule(security_group_id=other.id, direction="ingress",
                                         ethertype="IPv4", protocol="icmp", remote_group_id=friends.id)
    default = c.network.get_port(b.id).security_group_ids
    assert not lab.ping("b", ip["x"], count=2)
    c.network.update_port(b, security_group_ids=default + [friends.id])
    assert lab.reaches("b", ip["x"], within=5)
    c.network.update_port(b, security_group_ids=default)
    wait_until("b to be kept out again", lambda: not lab.ping("b", ip["x"]), 5)

    # No port security: everything passes, in both directions.
    lab.serve_name("open", 8081)
    assert lab.reaches("a", ip["open"])
    assert lab.reaches("x", ip["open"])
    assert lab.ask_name("a", ip["open"], 8081) == "open"
