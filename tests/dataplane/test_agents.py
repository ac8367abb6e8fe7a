"""The chassis as agents (`GET /v2.0/agents`, as upstream ML2/OVN shows them) and the availability
zones they declare: an agent is alive while its ovn-controller answers the back end's heartbeats
(NB_Global.nb_cfg, answered in Chassis_Private.nb_cfg) and reported dead `agent_down_time_secs`
after it stops; a zone set in a chassis' `ovn-cms-options` appears in the availability zones and
is accepted as a network's hint."""

from pathlib import Path

import openstack.exceptions
import pytest

from conftest import wait_until
from neutrino_server import connect

DOWN_TIME = 6  # agent_down_time_secs: heartbeats every 2 s


def agents(cloud, **filters):
    return {a.id: a for a in cloud.network.agents(**filters)}


def test_chassis_are_agents_alive_while_they_answer_heartbeats(make_lab):
    lab = make_lab(chassis=2, gateways=1, ovn_settings=f"agent_down_time_secs = {DOWN_TIME}")
    c = lab.cloud
    seen = wait_until("both chassis as agents", lambda: len(a := agents(c)) == 2 and a, 10)
    assert {a.agent_type for a in seen.values()} == {"OVN Controller Gateway agent", "OVN Controller agent"}
    gateway = seen["chassis-1"]
    assert gateway.agent_type == "OVN Controller Gateway agent"
    assert (gateway.host, gateway.binary, gateway.is_alive) == ("chassis-1", "ovn-controller", True)
    assert gateway.configuration["chassis_name"] == "chassis-1"
    assert set(agents(c, agent_type="OVN Controller agent")) == {"chassis-2"}
    assert c.network.get_agent("chassis-2").host == "chassis-2"

    # Only an administrator sees agents, as upstream's policy says.
    demo = connect(lab.server, "alice")
    assert list(demo.network.agents()) == []
    with pytest.raises(openstack.exceptions.NotFoundException):
        demo.network.get_agent("chassis-2")

    # A zone declared by a chassis: listed for networks and routers, and a valid hint.
    lab.sandbox("exec", "--dir", lab.dir, "chassis-1", "ovs-vsctl", "set", "Open_vSwitch", ".",
                "external_ids:ovn-cms-options=enable-chassis-as-gw,availability-zones=az1")
    wait_until("az1 on the gateway agent",
               lambda: c.network.get_agent("chassis-1").availability_zone == "az1", 10)
    zones = {(z.name, z.resource, z.state) for z in c.network.availability_zones()}
    assert {("az1", "network", "available"), ("az1", "router", "available")} <= zones, zones
    net = c.network.create_network(name="in-az1", availability_zone_hints=["az1"])
    assert net.availability_zones == ["az1"]
    with pytest.raises(openstack.exceptions.NotFoundException):
        c.network.create_network(name="nowhere", availability_zone_hints=["az9"])

    # A chassis whose ovn-controller stops answers no heartbeat: dead after the down time.
    first_heartbeat = c.network.get_agent("chassis-2").last_heartbeat_at
    wait_until("a later heartbeat of chassis-2",
               lambda: c.network.get_agent("chassis-2").last_heartbeat_at != first_heartbeat, DOWN_TIME)
    pidfile = Path(lab.env["OVN_SANDBOX_CHASSIS_2_DIR"]) / "ovn-controller.pid"
    cmdline = lab.stop_daemon(pidfile)
    wait_until("chassis-2 reported dead", lambda: not c.network.get_agent("chassis-2").is_alive, DOWN_TIME + 6)
    assert c.network.get_agent("chassis-1").is_alive
    lab.sandbox("exec", "--dir", lab.dir, "chassis-2", *cmdline)
    wait_until("chassis-2 alive again", lambda: c.network.get_agent("chassis-2").is_alive, DOWN_TIME)
