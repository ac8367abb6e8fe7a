"""Gateway high availability: with three chassis and a router whose gateway is scheduled on two of
them by priority, stopping the active gateway chassis moves SNAT and floating-IP traffic to the other
within 5 s.

"The router's information names the active chassis": as upstream ML2/OVN does, the router's gateway
port carries the chassis where the gateway is active in `binding:host_id` — the chassis that claims
the chassisredirect port `cr-lrp-<gateway port id>`, the highest-priority live chassis of the
router's HA_Chassis_Group. The test checks the API against the Southbound at each step. The chassis is stopped by killing its ovs-vswitchd (by PID,
as tests/dataplane/smoke.sh does), and restarted at the end: the gateway returns to it.

Priorities an administrator schedules through the API (`l3-agent-scheduler-ha-chassis-priority`)
move the gateway the same way: the Southbound's claim follows the router's HA_Chassis rows."""

import re
import time
from pathlib import Path

from conftest import PingStream, wait_until
from test_gateway import external_network, routed_network

RESUME_WITHIN = 5.0  # the bound: traffic resumes within 5 s of the active chassis dying


def bound_chassis(lab, logical_port):
    """The name of the chassis that has `logical_port` in the Southbound, or None."""
    uuid = lab.sbctl("--bare", "--columns=chassis", "find", "Port_Binding",
                     f"logical_port={logical_port}").strip()
    return lab.sbctl("get", "Chassis", uuid, "name").strip().strip('"') if uuid else None


def gateway_host(cloud, gw_port):
    """Where the API says the router's gateway is active, and whether its gateway port is up."""
    port = cloud.network.get_port(gw_port.id)
    return port.binding_host_id if port.status == "ACTIVE" else None


def bfd_up(lab, chassis):
    """Every Geneve tunnel of `chassis` has BFD up."""
    out = lab.sandbox("exec", "--dir", lab.dir, chassis, "ovs-vsctl", "--bare", "--columns=bfd_status",
                      "find", "Interface", "type=geneve").stdout
    states = re.findall(r"\bstate=(\w+)", out)
    return bool(states) and all(s == "up" for s in states)


def test_stopping_the_active_gateway_moves_snat_and_floating_ips(make_lab):
    lab = make_lab(chassis=3, gateways=2)
    c = lab.cloud
    gateways = lab.env["OVN_SANDBOX_GATEWAY_CHASSIS"].split()
    assert gateways == ["chassis-1", "chassis-2"], gateways

    ext = external_network(lab)
    net, router = routed_network(lab, ext)
    a = c.network.create_port(network_id=net.id, name="a")
    default = c.network.get_port(a.id).security_group_ids[0]
    for protocol, ports in (("icmp", {}), ("tcp", {"port_range_min": 7000, "port_range_max": 7000})):
        c.network.create_security_group_rule(security_group_id=default, direction="ingress",
                                             ethertype="IPv4", protocol=protocol, **ports)
    lab.plug(3, "a", a)  # not a gateway: SNAT and the floating IP cross to the gateway over Geneve
    lab.dhcp("a")
    lab.serve_name("a", 7000)
    fip = c.network.create_ip(floating_network_id=ext.id, port_id=a.id).floating_ip_address
    external_host = lab.env["OVN_SANDBOX_EXTERNAL_HOST_IP"]

    # The gateway is scheduled on both gateway chassis, priorities falling; the highest has it.
    gw_port = next(iter(c.network.ports(device_id=router.id, device_owner="network:router_gateway")))
    redirect = f"cr-lrp-{gw_port.id}"
    rows = lab.nbctl("--bare", "--columns=chassis_name,priority", "list", "HA_Chassis").split()
    priority = {name: int(p) for name, p in zip(rows[::2], rows[1::2])}
    assert set(priority) == set(gateways) and len(set(priority.values())) == 2, priority
    first, second = sorted(priority, key=priority.get, reverse=True)
    wait_until(f"{redirect} bound to {first}", lambda: bound_chassis(lab, redirect) == first, 10)
    wait_until(f"the API to name {first} as the gateway's host", lambda: gateway_host(c, gw_port) == first, 5)

    assert lab.reaches("a", external_host, within=15)  # SNAT
    wait_until("the external host to reach a on its floating IP",
               lambda: lab.ask_name("ext", fip, 7000, timeout=1) == "a", 15)
    # BFD must be up between the gateways, or the standby cannot tell that the active one is gone.
    wait_until("BFD up on the gateways' tunnels", lambda: bfd_up(lab, first) and bfd_up(lab, second), 20)

    snat = PingStream(lab, "a", external_host)
    inbound = PingStream(lab, "ext", fip)
    wait_until("both ping streams answered", lambda: snat.replies and inbound.replies, 5)
    time.sleep(0.5)

    pidfile = Path(lab.env[f"OVN_SANDBOX_{first.upper().replace('-', '_')}_DIR"]) / "ovs-vswitchd.pid"
    killed_at = time.time()
    cmdline = lab.stop_daemon(pidfile)  # SIGKILL by PID: the active gateway chassis' data path is gone
    moved = wait_until(f"{redirect} to move to {second}",
                       lambda: bound_chassis(lab, redirect) == second and time.time(), 15)
    wait_until("both ping streams to answer again",
               lambda: snat.answered_since(killed_at) and inbound.answered_since(killed_at), 15)
    time.sleep(0.5)
    snat.stop()
    inbound.stop()
    snat_resumed, snat_gap = snat.outage(killed_at)
    fip_resumed, fip_gap = inbound.outage(killed_at)
    print(f"{first}'s ovs-vswitchd killed: {redirect} claimed by {second} after {moved - killed_at:.2f} s; "
          f"SNAT (a -> external host) answered again after {snat_resumed:.2f} s (gap {snat_gap:.2f} s); "
          f"floating IP (external host -> a) after {fip_resumed:.2f} s (gap {fip_gap:.2f} s)")
    assert snat_resumed <= RESUME_WITHIN, f"SNAT resumed after {snat_resumed:.2f} s"
    assert fip_resumed <= RESUME_WITHIN, f"the floating IP resumed after {fip_resumed:.2f} s"

    # TCP in on the floating IP, through the new gateway.
    assert lab.ask_name("ext", fip, 7000, timeout=2) == "a"
    assert bound_chassis(lab, redirect) == second
    wait_until(f"the API to name {second} as the gateway's host", lambda: gateway_host(c, gw_port) == second, 5)

    # The chassis comes back (its ovs-vswitchd restarted in its namespace): being the higher priority,
    # it takes the gateway back, and traffic follows.
    snat, inbound = PingStream(lab, "a", external_host), PingStream(lab, "ext", fip)
    wait_until("both ping streams answered", lambda: snat.replies and inbound.replies, 5)
    restarted_at = time.time()
    lab.sandbox("exec", "--dir", lab.dir, first, *cmdline)
    back = wait_until(f"{redirect} to return to {first}",
                      lambda: bound_chassis(lab, redirect) == first and time.time(), 20)
    time.sleep(RESUME_WITHIN)
    snat.stop()
    inbound.stop()
    gaps = {name: max(later - earlier for earlier, later in zip(stream.replies, stream.replies[1:]))
            for name, stream in (("SNAT", snat), ("floating IP", inbound))}
    print(f"{first}'s ovs-vswitchd restarted: {redirect} back on {first} after {back - restarted_at:.2f} s; "
          + "; ".join(f"longest {name} gap {gap:.2f} s" for name, gap in gaps.items()))
    for name, stream in (("SNAT", snat), ("floating IP", inbound)):
        assert stream.answered_since(back + 3), f"{name} traffic does not flow through {first} again"
    assert lab.ask_name("ext", fip, 7000, timeout=2) == "a"
    wait_until(f"the API to name {first} again", lambda: gateway_host(c, gw_port) == first, 5)


def hosting_priorities(c, router):
    """`{agent id: ha_chassis_priority}` of the router's L3 agents, as the API answers them."""
    return {a.id: a.ha_chassis_priority for a in c.network.routers_hosting_l3_agents(router)}


def test_the_gateway_follows_priorities_scheduled_through_the_api(make_lab):
    """`l3-agent-scheduler-ha-chassis-priority`: raising the standby gateway chassis' priority
    through the API (PUT /v2.0/agents/{id}/l3-routers/{router_id}) moves the gateway there, as the
    Southbound's claim of the chassisredirect port shows; taking that chassis out of the router
    (DELETE) moves it back, and adding it again with a priority (POST) moves it there again."""
    lab = make_lab(chassis=3, gateways=2)
    c = lab.cloud
    ext = external_network(lab)
    _, router = routed_network(lab, ext)
    gw_port = next(iter(c.network.ports(device_id=router.id, device_owner="network:router_gateway")))
    redirect = f"cr-lrp-{gw_port.id}"
    wait_until("both gateway agents to host the router", lambda: len(hosting_priorities(c, router)) == 2, 15)
    priority = hosting_priorities(c, router)
    first, second = sorted(priority, key=priority.get, reverse=True)
    wait_until(f"{redirect} bound to {first}", lambda: bound_chassis(lab, redirect) == first, 15)

    def ha_chassis():
        rows = lab.nbctl("--bare", "--columns=chassis_name,priority", "list", "HA_Chassis").split()
        return {name: int(p) for name, p in zip(rows[::2], rows[1::2])}

    # openstacksdk's update_router_in_agent reads the 204 upstream answers as JSON: plain HTTP here.
    r = c.network.put(f"/agents/{second}/l3-routers/{router.id}", json={"ha_chassis_priority": 100})
    assert r.status_code == 204, r.text
    assert hosting_priorities(c, router)[second] == 100
    wait_until("the HA_Chassis row to follow", lambda: ha_chassis().get(second) == 100, 10)
    wait_until(f"{redirect} to move to {second}", lambda: bound_chassis(lab, redirect) == second, 15)
    wait_until(f"the API to name {second} as the gateway's host", lambda: gateway_host(c, gw_port) == second, 10)

    c.network.remove_router_from_agent(second, router)
    wait_until(f"{second} out of the group", lambda: second not in ha_chassis(), 10)
    wait_until(f"{redirect} back on {first}", lambda: bound_chassis(lab, redirect) == first, 15)
    assert list(hosting_priorities(c, router)) == [first]

    c.network.add_router_to_agent(second, router, ha_chassis_priority=priority[first] + 1)
    wait_until(f"{redirect} on {second} again", lambda: bound_chassis(lab, redirect) == second, 15)
    assert hosting_priorities(c, router) == {first: priority[first], second: priority[first] + 1}
