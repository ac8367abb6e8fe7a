"""QoS through OVN: a bandwidth limit on an instance port becomes the Northbound `QoS` row ML2/OVN
writes (priority 2002, `inport` match, `bandwidth` rate and burst, `neutron:port_id`) and caps a
TCP transfer from that port to roughly the limit; removing the policy removes the row and lifts the
cap. A network's policy reaches its instance ports (not its DHCP port) and yields to a port's own;
a DSCP mark and an ingress limit take their rows."""

import json
import subprocess
import sys

from conftest import fixed_ip, network_with_subnet, wait_until

LIMIT_KBPS = 2000
SECONDS = 3

# The sink measures: bytes received during SECONDS from the first one, as kbit/s.
SINK = ("import socket,sys,time\n"
        "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
        "s.bind(('0.0.0.0',int(sys.argv[1])));s.listen(1);print('ready',flush=True)\n"
        "c,_=s.accept();n=len(c.recv(65536));t=time.monotonic();end=t+float(sys.argv[2])\n"
        "c.settimeout(1)\n"
        "while time.monotonic()<end:\n"
        " try: d=c.recv(65536)\n"
        " except socket.timeout: continue\n"
        " if not d: break\n"
        " n+=len(d)\n"
        "print(n*8/1000/(time.monotonic()-t),flush=True)\n")

# The source sends as fast as it may until the sink hangs up (or a deadline).
SOURCE = ("import socket,sys,time\n"
          "c=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=2)\n"
          "end=time.monotonic()+float(sys.argv[3])+10;b=b'x'*16384\n"
          "while time.monotonic()<end:\n"
          " try: c.send(b)\n"
          " except socket.timeout: continue\n"
          " except OSError: break\n")

_ports = iter(range(9100, 9200))


def transfer_kbps(lab, src, dst, address):
    """kbit/s of a TCP transfer from namespace `src` to `dst`, measured by `dst` over SECONDS."""
    port = next(_ports)
    sink = subprocess.Popen(["ip", "netns", "exec", lab.netns(dst), sys.executable, "-c", SINK, str(port),
                             str(SECONDS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lab.procs.append(sink)
    assert sink.stdout.readline().strip() == "ready", sink.stderr.read()
    lab.in_ns(src, sys.executable, "-c", SOURCE, address, port, SECONDS, timeout=SECONDS + 30)
    rate = float(sink.stdout.readline().strip() or 0)
    sink.wait(timeout=10)
    return rate


def qos_rows(lab):
    """The Northbound QoS rows: (match, direction, priority, bandwidth, action, external_ids)."""
    out = json.loads(lab.nbctl("--format=json", "--columns=match,direction,priority,bandwidth,action,external_ids",
                               "list", "QoS"))
    rows = []
    for match, direction, priority, bandwidth, action, external_ids in out["data"]:
        rows.append({"match": match, "direction": direction, "priority": priority,
                     "bandwidth": dict(bandwidth[1]), "action": dict(action[1]),
                     "external_ids": dict(external_ids[1])})
    return sorted(rows, key=lambda r: r["match"])


def switch_qos_count(lab, network_id):
    out = lab.nbctl("--bare", "--columns=qos_rules", "list", "Logical_Switch", f"neutron-{network_id}")
    return len(out.split())


def test_an_egress_limit_caps_a_transfer_until_the_policy_goes(lab):
    c = lab.cloud
    net, _ = network_with_subnet(c, "q1", "10.44.0.0/24")
    a = c.network.create_port(network_id=net.id, name="a", port_security_enabled=False,
                              security_group_ids=[])
    b = c.network.create_port(network_id=net.id, name="b", port_security_enabled=False,
                              security_group_ids=[])
    lab.plug(1, "a", a)
    lab.plug(2, "b", b)
    lab.dhcp("a")
    lab.dhcp("b")
    ip_b = fixed_ip(b)
    assert lab.reaches("a", ip_b)

    free = transfer_kbps(lab, "a", "b", ip_b)

    policy = c.network.create_qos_policy(name="cap")
    c.network.create_qos_bandwidth_limit_rule(policy, max_kbps=LIMIT_KBPS, max_burst_kbps=LIMIT_KBPS // 10,
                                              direction="egress")
    c.network.update_port(a, qos_policy_id=policy.id)
    expected = {"match": f'inport == "{a.id}"', "direction": "from-lport", "priority": 2002,
                "bandwidth": {"rate": LIMIT_KBPS, "burst": LIMIT_KBPS // 10}, "action": {},
                "external_ids": {"neutron:port_id": a.id}}
    wait_until("the QoS row of port a", lambda: qos_rows(lab) == [expected], 10)
    assert switch_qos_count(lab, net.id) == 1

    capped = transfer_kbps(lab, "a", "b", ip_b)
    print(f"unlimited {free:.0f} kbit/s, limited to {LIMIT_KBPS}: {capped:.0f} kbit/s")
    assert capped < LIMIT_KBPS * 1.5, (free, capped)
    assert capped > LIMIT_KBPS * 0.3, (free, capped)
    assert free > LIMIT_KBPS * 5, (free, capped)
    # The limit is on a's egress only: b sends freely.
    ip_a = fixed_ip(a)
    assert transfer_kbps(lab, "b", "a", ip_a) > LIMIT_KBPS * 5

    c.network.update_port(a, qos_policy_id=None)
    wait_until("the QoS row to go", lambda: qos_rows(lab) == [], 10)
    assert switch_qos_count(lab, net.id) == 0
    lifted = transfer_kbps(lab, "a", "b", ip_b)
    print(f"lifted: {lifted:.0f} kbit/s")
    assert lifted > LIMIT_KBPS * 5, (free, capped, lifted)


def test_a_networks_policy_reaches_its_instance_ports(lab):
    c = lab.cloud
    net, _ = network_with_subnet(c, "q2", "10.45.0.0/24")
    a = c.network.create_port(network_id=net.id, name="a")
    b = c.network.create_port(network_id=net.id, name="b")
    net_policy = c.network.create_qos_policy(name="net")
    c.network.create_qos_bandwidth_limit_rule(net_policy, max_kbps=5000, direction="ingress")
    c.network.create_qos_dscp_marking_rule(net_policy, dscp_mark=26)
    own = c.network.create_qos_policy(name="own")
    c.network.create_qos_bandwidth_limit_rule(own, max_kbps=1000)
    c.network.update_network(net, qos_policy_id=net_policy.id)
    c.network.update_port(b, qos_policy_id=own.id)

    def expected():
        return [
            {"match": f'inport == "{a.id}"', "direction": "from-lport", "priority": 2002,
             "bandwidth": {}, "action": {"dscp": 26}, "external_ids": {"neutron:port_id": a.id}},
            {"match": f'inport == "{b.id}"', "direction": "from-lport", "priority": 2002,
             "bandwidth": {"rate": 1000}, "action": {}, "external_ids": {"neutron:port_id": b.id}},
            {"match": f'outport == "{a.id}"', "direction": "to-lport", "priority": 2002,
             "bandwidth": {"rate": 5000}, "action": {}, "external_ids": {"neutron:port_id": a.id}},
        ]
    # The DHCP port (network:dhcp) takes none.
    wait_until("the network's and the port's QoS rows",
               lambda: qos_rows(lab) == sorted(expected(), key=lambda r: r["match"]), 10)

    # A rule changed is a new revision of its policy: the rows follow.
    rule = c.network.qos_bandwidth_limit_rules(own).__next__()
    c.network.update_qos_bandwidth_limit_rule(rule, own, max_kbps=3000)
    wait_until("the changed rate", lambda: any(r["bandwidth"] == {"rate": 3000} for r in qos_rows(lab)), 10)

    c.network.update_network(net, qos_policy_id=None)
    wait_until("only b's row left", lambda: [r["match"] for r in qos_rows(lab)] == [f'inport == "{b.id}"'], 10)
    c.network.delete_port(b)
    wait_until("no QoS row left", lambda: qos_rows(lab) == [], 10)
