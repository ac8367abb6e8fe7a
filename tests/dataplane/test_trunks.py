"""Trunks: an instance with a trunk port reaches another network through a VLAN sub-interface (the
sub-port's MAC and address on VLAN 100 of the instance's interface), as long as the sub-port is in
the trunk. The sub-port's Logical_Switch_Port names the parent's and the tag; a full compare puts
them back when they are changed behind Neutrino's back; removing the sub-port clears them."""

import subprocess
import sys
from pathlib import Path

from conftest import fixed_ip, network_with_subnet, wait_until

SHIM = Path(__file__).resolve().parent / "vlan_shim.py"


def lsp_nesting(lab, port_id):
    """(parent_name, tag) of a Logical_Switch_Port, '' for an empty column."""
    parent = lab.nbctl("--bare", "--columns=parent_name", "list", "Logical_Switch_Port", port_id).strip()
    tag = lab.nbctl("--bare", "--columns=tag", "list", "Logical_Switch_Port", port_id).strip()
    return parent, tag


def vlan_interface(lab, ns, vid, port, mtu):
    """A VLAN `vid` sub-interface `sub0` on the instance's `eth0` with `port`'s MAC and address."""
    lab.in_ns(ns, "ethtool", "-K", "eth0", "tx", "off", check=True)
    p = subprocess.Popen(["ip", "netns", "exec", lab.netns(ns), sys.executable, str(SHIM), "eth0", "sub0",
                          str(vid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lab.procs.append(p)
    assert p.stdout.readline().strip() == "ready", p.stderr.read()
    lab.in_ns(ns, "ip", "link", "set", "sub0", "address", port.mac_address, "mtu", mtu - 4, check=True)
    lab.in_ns(ns, "ip", "addr", "add", f"{fixed_ip(port)}/24", "dev", "sub0", check=True)
    lab.in_ns(ns, "ip", "link", "set", "sub0", "up", check=True)
    lab.in_ns(ns, "ethtool", "-K", "sub0", "tx", "off", check=False)


def test_a_vlan_subinterface_reaches_the_subport_network_until_it_is_removed(lab):
    c = lab.cloud
    trunk_net, _ = network_with_subnet(c, "trunk-net", "10.30.0.0/24")
    vlan_net, _ = network_with_subnet(c, "vlan-net", "10.31.0.0/24")
    parent = c.network.create_port(network_id=trunk_net.id, name="parent")
    sub = c.network.create_port(network_id=vlan_net.id, name="sub")
    peer = c.network.create_port(network_id=vlan_net.id, name="peer")
    trunk = c.network.create_trunk(port_id=parent.id, name="t", sub_ports=[
        {"port_id": sub.id, "segmentation_type": "vlan", "segmentation_id": 100}])

    wait_until("the sub-port nested in the parent",
               lambda: lsp_nesting(lab, sub.id) == (parent.id, "100"), 10)
    lab.plug(1, "vm", parent)
    lab.plug(2, "peer", peer)
    lab.dhcp("peer")
    vlan_interface(lab, "vm", 100, sub, vlan_net.mtu)
    assert lab.reaches("vm", fixed_ip(peer), within=20), "VLAN 100 of the trunk reaches the sub-port's network"
    # OVN binds the nested port where its parent is bound: the sub-port goes ACTIVE with it.
    wait_until("the sub-port ACTIVE", lambda: lab.port_status(sub.id) == "ACTIVE", 10)

    # Drift: the columns cleared behind Neutrino's back come back with the next full compare.
    lab.nbctl("clear", "Logical_Switch_Port", sub.id, "parent_name", "tag")
    wait_until("the full compare to restore parent_name and tag",
               lambda: lsp_nesting(lab, sub.id) == (parent.id, "100"), 10)
    assert lab.reaches("vm", fixed_ip(peer), within=20), "and it works again"

    c.network.delete_trunk_subports(trunk, [{"port_id": sub.id}])
    wait_until("the sub-port no longer nested", lambda: lsp_nesting(lab, sub.id) == ("", ""), 10)
    wait_until("VLAN 100 to stop reaching the peer", lambda: not lab.ping("vm", fixed_ip(peer)), 10)
    # And it stays unreachable.
    assert not lab.ping("vm", fixed_ip(peer), count=3)
