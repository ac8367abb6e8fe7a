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
