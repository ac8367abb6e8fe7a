"""6. A port turns ACTIVE within a second of being plugged and DOWN after it is unplugged;
`binding:host_id` names the chassis that claimed it."""

import time

from conftest import network_with_subnet, wait_until


def test_port_status_follows_the_plug_and_names_the_chassis(lab):
    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.20.0.0/24")
    port = c.network.create_port(network_id=net.id, name="vm")
    revision = port.revision_number
    assert port.status == "DOWN"
    start = time.monotonic()
    lab.plug(2, "vm", port)
    wait_until("the port to turn ACTIVE", lambda: lab.port_status(port.id) == "ACTIVE", 1.0, every=0.02)
    took = time.monotonic() - start
    port = c.network.get_port(port.id)
    assert port.binding_host_id == "chassis-2"
    assert port.binding_vif_type == "ovs"
    # The data plane's report is not a change of the user's: the revision stays.
    assert port.revision_number == revision
    print(f"plugged -> ACTIVE over the API in {took * 1000:.0f} ms")
    lab.unplug("vm")
    wait_until("the port to turn DOWN", lambda: lab.port_status(port.id) == "DOWN", 2.0, every=0.02)


def test_a_failed_plug_leaves_nothing_behind_and_can_be_run_again(lab):
    import os

    from conftest import neutrino_bin, run

    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.21.0.0/24")
    port = c.network.create_port(network_id=net.id, name="vm")
    env = dict(os.environ, **lab.server.openrc(), OVS_RUNDIR=lab.env["OVN_SANDBOX_CHASSIS_1_DIR"])
    chassis_ns = lab.env["OVN_SANDBOX_CHASSIS_1_NETNS"]
    r = run(neutrino_bin(), "plug", port.id, "--netns", lab.netns("vm"), "--bridge", "no-such-br",
            "--host-netns", chassis_ns, env=env, check=False)
    assert r.returncode != 0 and "ovs-vsctl" in r.stderr, r.stderr
    assert not os.path.exists(f"/run/netns/{lab.netns('vm')}"), "the namespace it made is gone"
    links = run("ip", "netns", "exec", chassis_ns, "ip", "-o", "link", "show").stdout
    assert f"tap{port.id[:11]}" not in links, "and so is the tap"
    lab.plug(1, "vm", port)
    wait_until("the port to turn ACTIVE", lambda: lab.port_status(port.id) == "ACTIVE", 2.0)
