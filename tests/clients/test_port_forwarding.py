"""Floating IP port forwarding through the openstack CLI (`openstack floating ip port forwarding
create/list/show/set/delete`) and openstacksdk: single ports and ranges, what the floating IP
shows, and the rules' errors as clients receive them."""

import pytest

from conftest import neutron_error, unique


@pytest.fixture(scope="module")
def topology(admin_cli, alice_cli):
    """An external network, alice's network behind her router, and two ports on it."""
    ext = admin_cli.json("network", "create", "--external", unique("public"))
    admin_cli.json("subnet", "create", "--network", ext["id"], "--subnet-range", "198.51.100.0/24",
                   "--no-dhcp", unique("public-v4"))
    net = alice_cli.json("network", "create", unique("pf-net"))
    sub = alice_cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "10.91.0.0/24",
                         unique("pf-v4"))
    router = alice_cli.json("router", "create", unique("pf-router"))
    alice_cli.run("router", "set", "--external-gateway", ext["id"], router["id"])
    alice_cli.run("router", "add", "subnet", router["id"], sub["id"])
    ports = alice_cli.json_many(*[("port", "create", "--network", net["id"], unique("pf-port"))
                                  for _ in range(2)])
    yield ext, net, sub, router, ports
    # Leave nothing of alice's behind: later tests delete her default security group, which
    # refuses while her ports use it.
    for port in ports:
        alice_cli.run("port", "delete", port["id"])
    alice_cli.run("router", "remove", "subnet", router["id"], sub["id"])
    alice_cli.run("router", "delete", router["id"])
    alice_cli.run("network", "delete", net["id"])
    admin_cli.run("network", "delete", ext["id"])


def _address(port):
    ips = port["fixed_ips"]
    return (ips[0]["ip_address"] if isinstance(ips, list) else ips.split("'")[3])


def test_port_forwarding_with_cli(alice_cli, alice, topology):
    ext, _net, _sub, router, (a, b) = topology
    fip = alice_cli.json("floating", "ip", "create", ext["id"])
    pf = alice_cli.json("floating", "ip", "port", "forwarding", "create",
                        "--internal-ip-address", _address(alice.network.get_port(a["id"])),
                        "--port", a["id"], "--internal-protocol-port", "22",
                        "--external-protocol-port", "2222", "--protocol", "tcp",
                        "--description", "ssh", fip["id"])
    assert (pf["internal_port"], pf["external_port"], pf["protocol"], pf["description"]) == (
        22, 2222, "tcp", "ssh")
    shown = alice_cli.json("floating", "ip", "port", "forwarding", "show", fip["id"], pf["id"])
    assert shown["internal_port_id"] == a["id"] and shown["external_port_range"] == "2222:2222"

    ranged = alice_cli.json("floating", "ip", "port", "forwarding", "create",
                            "--internal-ip-address", _address(alice.network.get_port(b["id"])),
                            "--port", b["id"], "--internal-protocol-port", "100:110",
                            "--external-protocol-port", "1100:1110", "--protocol", "udp", fip["id"])
    assert (ranged["internal_port_range"], ranged["external_port_range"]) == ("100:110", "1100:1110")

    listed = alice_cli.json("floating", "ip", "port", "forwarding", "list", fip["id"])
    assert sorted(x["ID"] for x in listed) == sorted([pf["id"], ranged["id"]])
    tcp_only = alice_cli.json("floating", "ip", "port", "forwarding", "list", "--protocol", "tcp", fip["id"])
    assert [x["ID"] for x in tcp_only] == [pf["id"]]

    alice_cli.run("floating", "ip", "port", "forwarding", "set", "--external-protocol-port", "2200",
                  "--description", "moved", fip["id"], pf["id"])
    shown = alice_cli.json("floating", "ip", "port", "forwarding", "show", fip["id"], pf["id"])
    assert (shown["external_port"], shown["description"]) == (2200, "moved")

    # The floating IP is on the router and shows its forwardings.
    f = alice.network.get_ip(fip["id"])
    assert f.router_id == router["id"]
    assert sorted(p["id"] for p in f.port_forwardings) == sorted([pf["id"], ranged["id"]])

    # A colliding outside range is refused.
    r = alice_cli.run("floating", "ip", "port", "forwarding", "create",
                      "--internal-ip-address", _address(alice.network.get_port(a["id"])),
                      "--port", a["id"], "--internal-protocol-port", "105",
                      "--external-protocol-port", "1105", "--protocol", "udp", fip["id"], check=False)
    assert r.returncode != 0 and "port collision" in r.stderr

    alice_cli.run("floating", "ip", "port", "forwarding", "delete", fip["id"], pf["id"], ranged["id"])
    assert alice_cli.json("floating", "ip", "port", "forwarding", "list", fip["id"]) == []
    assert alice.network.get_ip(fip["id"]).router_id is None
    alice_cli.run("floating", "ip", "delete", fip["id"])


def test_port_forwarding_with_sdk(alice, alice_api, bob_api, topology):
    ext, _net, _sub, router, (a, b) = topology
    fip = alice.network.create_ip(floating_network_id=ext["id"])
    port = alice.network.get_port(a["id"])
    address = port.fixed_ips[0]["ip_address"]
    pf = alice.network.create_floating_ip_port_forwarding(
        fip, internal_port_id=port.id, internal_ip_address=address, internal_port=80,
        external_port=8080, protocol="tcp")
    assert (pf.internal_port, pf.external_port, pf.internal_ip_address) == (80, 8080, address)
    got = alice.network.get_floating_ip_port_forwarding(fip, pf.id)
    assert got.internal_port_id == port.id
    updated = alice.network.update_floating_ip_port_forwarding(fip, pf.id, description="web")
    assert updated.description == "web"
    assert [p.id for p in alice.network.floating_ip_port_forwardings(fip, protocol="tcp")] == [pf.id]

    # Another project sees neither the floating IP nor its forwardings.
    path = f"/floatingips/{fip.id}/port_forwardings"
    neutron_error(bob_api.get(path), 404, "FloatingIPNotFound")
    # A floating IP with forwardings is not associated with a port.
    resp = alice_api.put(f"/floatingips/{fip.id}", {"floatingip": {"port_id": b["id"]}})
    neutron_error(resp, 409, "FipInUseByPortForwarding")
    # The same outside port and protocol again: upstream's 400.
    resp = alice_api.post(path, {"port_forwarding": {
        "internal_port_id": b["id"], "internal_ip_address": alice.network.get_port(b["id"]).fixed_ips[0]["ip_address"],
        "internal_port": 81, "external_port": 8080, "protocol": "tcp"}})
    neutron_error(resp, 400, "BadRequest", "port collision")
    # The internal address must be the port's.
    resp = alice_api.post(path, {"port_forwarding": {
        "internal_port_id": port.id, "internal_ip_address": "10.91.0.250",
        "internal_port": 82, "external_port": 8082, "protocol": "tcp"}})
    neutron_error(resp, 400, "BadRequest", "is not suitable for internal neutron port")
    # The router interface the forwarding uses stays.
    resp = alice_api.put(f"/routers/{router['id']}/remove_router_interface",
                         {"subnet_id": port.fixed_ips[0]["subnet_id"]})
    neutron_error(resp, 409, "RouterInterfaceInUseByFloatingIP")

    # A floating IP with forwardings is not deleted (as upstream).
    neutron_error(alice_api.delete(f"/floatingips/{fip.id}"), 409, "FipInUseByPortForwarding")
    alice.network.delete_floating_ip_port_forwarding(fip, pf.id)
    assert list(alice.network.floating_ip_port_forwardings(fip)) == []
    alice.network.delete_ip(fip)
    assert alice.network.find_ip(fip.id) is None
