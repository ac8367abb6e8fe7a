"""Ports: IP allocation, MACs, allowed address pairs, extra DHCP options, binding, port security."""

import ipaddress
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import neutron_error, unique

MAC = re.compile(r"^fa:16:3e(:[0-9a-f]{2}){3}$")


@pytest.fixture
def net(alice):
    n = alice.network.create_network(name=unique("port-net"))
    v4 = alice.network.create_subnet(network_id=n.id, ip_version=4, cidr="10.40.0.0/24",
                                     allocation_pools=[{"start": "10.40.0.10", "end": "10.40.0.200"}])
    n.v4 = v4
    yield n
    for p in alice.network.ports(network_id=n.id):
        alice.network.delete_port(p)
    alice.network.delete_network(n)


def in_pool(ip, start, end):
    return ipaddress.ip_address(start) <= ipaddress.ip_address(ip) <= ipaddress.ip_address(end)


def eui64(prefix, mac):
    b = bytes(int(x, 16) for x in mac.split(":"))
    iid = bytes([b[0] ^ 0x02]) + b[1:3] + b"\xff\xfe" + b[3:6]
    net = ipaddress.ip_network(prefix)
    return str(ipaddress.ip_address(int(net.network_address) | int.from_bytes(iid, "big")))


def test_port_defaults(alice, alice_api, net):
    port = alice.network.create_port(network_id=net.id, name="p")
    assert port.status == "DOWN"
    assert MAC.match(port.mac_address), port.mac_address
    assert port.device_id == "" and port.device_owner == ""
    assert port.is_admin_state_up is True
    assert port.project_id == alice.current_project_id
    assert len(port.fixed_ips) == 1
    ip = port.fixed_ips[0]
    assert ip["subnet_id"] == net.v4.id
    assert in_pool(ip["ip_address"], "10.40.0.10", "10.40.0.200"), ip
    assert port.allowed_address_pairs == []
    assert port.extra_dhcp_opts == []
    assert port.is_port_security_enabled is True
    body = alice_api.ok("GET", f"/ports/{port.id}", 200)["port"]
    assert body["tenant_id"] == body["project_id"]
    assert body["binding:vnic_type"] == "normal"

    upd = alice.network.update_port(port, name="q", device_id="vm-1", device_owner="compute:nova", admin_state_up=False)
    assert (upd.name, upd.device_id, upd.device_owner, upd.is_admin_state_up) == ("q", "vm-1", "compute:nova", False)
    alice.network.delete_port(port)
    assert alice.network.find_port(port.id) is None


def test_fixed_ips_by_subnet_and_by_address(alice, net):
    second = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.41.0.0/24")
    by_addr = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.40.0.50"}])
    assert by_addr.fixed_ips == [{"subnet_id": net.v4.id, "ip_address": "10.40.0.50"}]
    # An explicit address may lie outside the allocation pools.
    outside = alice.network.create_port(network_id=net.id, fixed_ips=[{"subnet_id": net.v4.id, "ip_address": "10.40.0.250"}])
    assert outside.fixed_ips == [{"subnet_id": net.v4.id, "ip_address": "10.40.0.250"}]
    by_subnet = alice.network.create_port(network_id=net.id, fixed_ips=[{"subnet_id": second.id}])
    assert [f["subnet_id"] for f in by_subnet.fixed_ips] == [second.id]
    assert ipaddress.ip_address(by_subnet.fixed_ips[0]["ip_address"]) in ipaddress.ip_network("10.41.0.0/24")
    two = alice.network.create_port(network_id=net.id, fixed_ips=[{"subnet_id": net.v4.id}, {"subnet_id": second.id}])
    assert sorted(f["subnet_id"] for f in two.fixed_ips) == sorted([net.v4.id, second.id])
    none = alice.network.create_port(network_id=net.id, fixed_ips=[])
    assert none.fixed_ips == []

    # Update replaces the list: keep one address, add another, drop the rest.
    before = {f["subnet_id"]: f["ip_address"] for f in two.fixed_ips}
    upd = alice.network.update_port(two, fixed_ips=[{"ip_address": "10.40.0.60"}])
    assert upd.fixed_ips == [{"subnet_id": net.v4.id, "ip_address": "10.40.0.60"}]
    # The released address of the second subnet can be taken again.
    again = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": before[second.id]}])
    assert again.fixed_ips == [{"subnet_id": second.id, "ip_address": before[second.id]}]


def test_fixed_ip_errors(alice_api, alice, net):
    other = alice.network.create_network(name=unique("other"))
    other_sub = alice.network.create_subnet(network_id=other.id, ip_version=4, cidr="10.42.0.0/24")
    try:
        r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [{"ip_address": "10.99.0.5"}]}})
        neutron_error(r, 400, "InvalidIpForNetwork")
        r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [
            {"subnet_id": net.v4.id, "ip_address": "10.41.0.5"}]}})
        neutron_error(r, 400, "InvalidIpForSubnet")
        r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [{"subnet_id": other_sub.id}]}})
        neutron_error(r, 400)
        r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [{"ip_address": "10.40.0.255"}]}})
        neutron_error(r, 400)  # broadcast address
        r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [
            {"ip_address": "10.40.0.70"}, {"ip_address": "10.40.0.70"}]}})
        neutron_error(r, 400)
        r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [
            {"subnet_id": "00000000-0000-4000-8000-000000000000"}]}})
        neutron_error(r, 404, "SubnetNotFound")
    finally:
        alice.network.delete_network(other)


def test_ipv6_slaac_address_is_eui64(alice, net):
    v6 = alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:40::/64",
                                     ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    port = alice.network.create_port(network_id=net.id, mac_address="fa:16:3e:12:34:56")
    by_subnet = {f["subnet_id"]: f["ip_address"] for f in port.fixed_ips}
    assert set(by_subnet) == {net.v4.id, v6.id}
    assert by_subnet[v6.id] == eui64("2001:db8:40::/64", "fa:16:3e:12:34:56") == "2001:db8:40:0:f816:3eff:fe12:3456"  # RFC 5952 text


def test_ipv6_stateful_address_from_pool(alice, net):
    v6 = alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:41::/64",
                                     ipv6_ra_mode="dhcpv6-stateful", ipv6_address_mode="dhcpv6-stateful",
                                     allocation_pools=[{"start": "2001:db8:41::100", "end": "2001:db8:41::1ff"}])
    port = alice.network.create_port(network_id=net.id, fixed_ips=[{"subnet_id": v6.id}])
    assert len(port.fixed_ips) == 1
    assert in_pool(port.fixed_ips[0]["ip_address"], "2001:db8:41::100", "2001:db8:41::1ff")
    fixed = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "2001:db8:41::abcd"}])
    assert fixed.fixed_ips == [{"subnet_id": v6.id, "ip_address": "2001:db8:41::abcd"}]


def test_mac_address(alice, alice_api, net):
    port = alice.network.create_port(network_id=net.id, mac_address="FA:16:3E:AB:CD:EF")
    assert port.mac_address == "fa:16:3e:ab:cd:ef"
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "mac_address": "fa:16:3e:ab:cd:ef"}})
    neutron_error(r, 409, "MacAddressInUse")
    for bad in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "not-a-mac"):
        neutron_error(alice_api.post("/ports", {"port": {"network_id": net.id, "mac_address": bad}}), 400)
    upd = alice.network.update_port(port, mac_address="fa:16:3e:00:00:01")
    assert upd.mac_address == "fa:16:3e:00:00:01"
    # The same MAC on another network is fine.
    other = alice.network.create_network(name=unique("mac"))
    try:
        p2 = alice.network.create_port(network_id=other.id, mac_address="fa:16:3e:00:00:01")
        assert p2.mac_address == "fa:16:3e:00:00:01"
        alice.network.delete_port(p2)
    finally:
        alice.network.delete_network(other)


def test_allowed_address_pairs(alice, alice_api, net):
    port = alice.network.create_port(network_id=net.id, allowed_address_pairs=[
        {"ip_address": "10.40.0.240"}, {"ip_address": "192.168.50.0/24", "mac_address": "fa:16:3e:11:22:33"}])
    assert port.allowed_address_pairs == [
        {"ip_address": "10.40.0.240", "mac_address": port.mac_address},
        {"ip_address": "192.168.50.0/24", "mac_address": "fa:16:3e:11:22:33"}]
    upd = alice.network.update_port(port, allowed_address_pairs=[{"ip_address": "10.40.0.241"}])
    assert upd.allowed_address_pairs == [{"ip_address": "10.40.0.241", "mac_address": port.mac_address}]
    r = alice_api.put(f"/ports/{port.id}", {"port": {"allowed_address_pairs": [{"ip_address": "10.1.1.1"}] * 2}})
    neutron_error(r, 400)
    r = alice_api.put(f"/ports/{port.id}", {"port": {"allowed_address_pairs": [
        {"ip_address": f"10.50.0.{i}"} for i in range(11)]}})
    neutron_error(r, 400)
    r = alice_api.put(f"/ports/{port.id}", {"port": {"allowed_address_pairs": [{"ip_address": "not-an-ip"}]}})
    neutron_error(r, 400)
    assert alice.network.update_port(port, allowed_address_pairs=[]).allowed_address_pairs == []


def test_extra_dhcp_opts(alice, net):
    port = alice.network.create_port(network_id=net.id, extra_dhcp_opts=[
        {"opt_name": "bootfile-name", "opt_value": "pxelinux.0"},
        {"opt_name": "tftp-server", "opt_value": "2001:db8::5", "ip_version": 6}])
    opts = sorted(port.extra_dhcp_opts, key=lambda o: o["opt_name"])
    assert opts == [{"opt_name": "bootfile-name", "opt_value": "pxelinux.0", "ip_version": 4},
                    {"opt_name": "tftp-server", "opt_value": "2001:db8::5", "ip_version": 6}]
    upd = alice.network.update_port(port, extra_dhcp_opts=[{"opt_name": "bootfile-name", "opt_value": "ipxe.efi"}])
    names = {o["opt_name"]: o["opt_value"] for o in upd.extra_dhcp_opts}
    assert names["bootfile-name"] == "ipxe.efi"


def test_extra_dhcp_opt_needs_a_value(alice_api, net):
    """neutron-lib EXTRA_DHCP_OPT_KEY_SPECS: opt_name and opt_value are both required."""
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "extra_dhcp_opts": [{"opt_name": "bootfile-name"}]}})
    neutron_error(r, 400)
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "extra_dhcp_opts": [{"opt_value": "x"}]}})
    neutron_error(r, 400)
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "extra_dhcp_opts": [
        {"opt_name": "tftp-server", "opt_value": "10.0.0.1", "ip_version": 5}]}})
    neutron_error(r, 400)


def test_binding_as_admin(admin, admin_api, alice, alice_api, net):
    port = alice.network.create_port(network_id=net.id)
    upd = admin.network.update_port(port, binding_host_id="compute-1", binding_vnic_type="direct",
                                    binding_profile={"pci_slot": "0000:05:00.1"})
    assert upd.binding_host_id == "compute-1"
    assert upd.binding_vnic_type == "direct"
    assert upd.binding_profile == {"pci_slot": "0000:05:00.1"}
    body = admin_api.ok("GET", f"/ports/{port.id}", 200)["port"]
    assert body["binding:host_id"] == "compute-1"
    assert "binding:vif_type" in body and "binding:vif_details" in body
    # The owner does not see the admin-only binding attributes and cannot set the host.
    mine = alice_api.ok("GET", f"/ports/{port.id}", 200)["port"]
    for attr in ("binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"):
        assert attr not in mine, (attr, mine)
    assert mine["binding:vnic_type"] == "direct"
    r = alice_api.put(f"/ports/{port.id}", {"port": {"binding:host_id": "compute-2"}})
    neutron_error(r, 403, "PolicyNotAuthorized")
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "binding:host_id": "compute-2"}})
    neutron_error(r, 403, "PolicyNotAuthorized")
    admin_created = admin.network.create_port(network_id=net.id, binding_host_id="compute-3")
    assert admin_created.binding_host_id == "compute-3"
    assert [p.id for p in admin.network.ports(binding_host_id="compute-3")] == [admin_created.id]
    admin.network.delete_port(admin_created)


def test_port_security(alice, alice_api, net):
    port = alice.network.create_port(network_id=net.id, port_security_enabled=False)
    assert port.is_port_security_enabled is False
    r = alice_api.put(f"/ports/{port.id}", {"port": {"allowed_address_pairs": [{"ip_address": "10.40.0.9"}]}})
    neutron_error(r, 409, "AddressPairAndPortSecurityRequired")
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "port_security_enabled": False,
                                           "allowed_address_pairs": [{"ip_address": "10.40.0.9"}]}})
    neutron_error(r, 409, "AddressPairAndPortSecurityRequired")
    assert alice.network.update_port(port, port_security_enabled=True).is_port_security_enabled is True

    insecure = alice.network.create_network(name=unique("insecure"), port_security_enabled=False)
    try:
        assert insecure.is_port_security_enabled is False
        p = alice.network.create_port(network_id=insecure.id)
        assert p.is_port_security_enabled is False  # inherited from the network
        alice.network.delete_port(p)
    finally:
        alice.network.delete_network(insecure)


def test_cli_port_lifecycle(alice_cli, admin_cli, alice, admin, net):
    name = unique("cliport")
    port = alice_cli.json(
        "port", "create", "--network", net.id, "--fixed-ip", f"subnet={net.v4.id},ip-address=10.40.0.33",
        "--mac-address", "fa:16:3e:33:33:33", "--allowed-address", "ip-address=10.40.0.34",
        "--extra-dhcp-option", "name=domain-search,value=example.org", "--device-owner", "compute:nova", name)
    assert port["fixed_ips"] == [{"subnet_id": net.v4.id, "ip_address": "10.40.0.33"}]
    assert port["mac_address"] == "fa:16:3e:33:33:33"
    assert port["allowed_address_pairs"] == [{"ip_address": "10.40.0.34", "mac_address": "fa:16:3e:33:33:33"}]
    assert {"opt_name": "domain-search", "opt_value": "example.org", "ip_version": 4} in port["extra_dhcp_opts"]
    assert port["device_owner"] == "compute:nova"

    with ThreadPoolExecutor(2) as pool:
        binding = pool.submit(admin_cli.run, "port", "set", "--host", "compute-7", port["id"])
        alice_cli.run("port", "set", "--no-fixed-ip", "--fixed-ip", "ip-address=10.40.0.35", "--name", name + "-b", name)
        binding.result()
    assert admin.network.get_port(port["id"]).binding_host_id == "compute-7"
    listed, by_ip = alice_cli.json_many(("port", "list", "--network", net.id, "--long"),
                                        ("port", "list", "--fixed-ip", "ip-address=10.40.0.35"))
    row = next(r for r in listed if r["ID"] == port["id"])
    assert row["Name"] == name + "-b"
    assert row["MAC Address"] == "fa:16:3e:33:33:33"
    assert row["Fixed IP Addresses"] == [{"subnet_id": net.v4.id, "ip_address": "10.40.0.35"}]
    assert row["Status"] == "DOWN"
    assert row["Device Owner"] == "compute:nova"
    assert [r["ID"] for r in by_ip] == [port["id"]]

    alice_cli.run("port", "delete", name + "-b")
    assert alice.network.find_port(port["id"]) is None


def test_concurrent_allocation_never_duplicates(alice, alice_api):
    net = alice.network.create_network(name=unique("race"))
    try:
        alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.43.0.0/27")  # 29 addresses
        def create(_):
            return alice_api.post("/ports", {"port": {"network_id": net.id}})
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(create, range(32)))
        ok = [r.json()["port"] for r in results if r.status_code == 201]
        failed = [r for r in results if r.status_code != 201]
        assert len(ok) == 29, [r.text for r in failed]
        for r in failed:
            neutron_error(r, 409, "IpAddressGenerationFailure")
        ips = [p["fixed_ips"][0]["ip_address"] for p in ok]
        macs = [p["mac_address"] for p in ok]
        assert len(set(ips)) == 29 and len(set(macs)) == 29
    finally:
        for p in alice.network.ports(network_id=net.id):
            alice.network.delete_port(p)
        alice.network.delete_network(net)


def test_allocation_moves_to_the_next_subnet_when_one_is_full(alice, net):
    # net.v4 has a large pool; a second network shows the fallback in isolation.
    other = alice.network.create_network(name=unique("fallback"))
    try:
        full = alice.network.create_subnet(network_id=other.id, ip_version=4, cidr="10.44.0.0/29",
                                           allocation_pools=[{"start": "10.44.0.2", "end": "10.44.0.2"}])
        spare = alice.network.create_subnet(network_id=other.id, ip_version=4, cidr="10.44.1.0/24")
        first = alice.network.create_port(network_id=other.id)
        second = alice.network.create_port(network_id=other.id)
        subnets = sorted(p.fixed_ips[0]["subnet_id"] for p in (first, second))
        assert subnets == sorted([full.id, spare.id])
        assert all(len(p.fixed_ips) == 1 for p in (first, second))
    finally:
        for p in alice.network.ports(network_id=other.id):
            alice.network.delete_port(p)
        alice.network.delete_network(other)


def test_slaac_subnet_rules(alice, alice_api, net):
    v6 = alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:45::/64",
                                     ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [{"ip_address": "2001:db8:45::99"}]}})
    neutron_error(r, 400, "AllocationOnAutoAddressSubnet")
    port = alice.network.create_port(network_id=net.id)
    assert v6.id in {f["subnet_id"] for f in port.fixed_ips}
    # A SLAAC subnet in use only by automatic addresses can be deleted; the addresses go with it.
    r = alice_api.delete(f"/subnets/{v6.id}")
    assert r.status_code == 204, r.text
    assert {f["subnet_id"] for f in alice.network.get_port(port.id).fixed_ips} == {net.v4.id}


def test_revision_numbers_and_updated_at(alice, alice_api, net):
    port = alice.network.create_port(network_id=net.id)
    before = alice_api.ok("GET", f"/ports/{port.id}", 200)["port"]
    neutron_error(alice_api.put(f"/ports/{port.id}", {"port": {"name": "x"}},
                                headers={"If-Match": f"revision_number={before['revision_number'] + 1}"}),
                  412, "RevisionNumberConstraintFailed")
    after = alice_api.ok("PUT", f"/ports/{port.id}", 200, {"port": {"name": "x"}},
                         headers={"If-Match": f"revision_number={before['revision_number']}"})["port"]
    assert after["revision_number"] > before["revision_number"]
    assert after["updated_at"] >= before["updated_at"]
    assert after["created_at"] == before["created_at"]
    # A new subnet revises its network.
    net_rev = alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]["revision_number"]
    alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.46.0.0/24")
    assert alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]["revision_number"] > net_rev


def test_update_with_subnet_only_keeps_the_address(alice, net):
    port = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.40.0.77"}])
    upd = alice.network.update_port(port, fixed_ips=[{"subnet_id": net.v4.id}])
    assert upd.fixed_ips == [{"subnet_id": net.v4.id, "ip_address": "10.40.0.77"}]
    both = alice.network.update_port(port, fixed_ips=[{"ip_address": "10.40.0.77"}, {"ip_address": "10.40.0.78"}])
    assert sorted(f["ip_address"] for f in both.fixed_ips) == ["10.40.0.77", "10.40.0.78"]
    # The freed address can be reused once the port lets it go.
    alice.network.update_port(port, fixed_ips=[{"ip_address": "10.40.0.78"}])
    other = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.40.0.77"}])
    assert other.fixed_ips[0]["ip_address"] == "10.40.0.77"


def test_ipv6_text_is_normalised(alice, net):
    v6 = alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:DB8:47:0::/64",
                                     gateway_ip="2001:DB8:47::1")
    assert v6.cidr == "2001:db8:47::/64"
    assert v6.gateway_ip == "2001:db8:47::1"
    port = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "2001:DB8:47:0:0:0:0:ABCD"}])
    assert port.fixed_ips == [{"subnet_id": v6.id, "ip_address": "2001:db8:47::abcd"}]
    assert [p.id for p in alice.network.ports(fixed_ips="ip_address=2001:db8:47::abcd")] == [port.id]


def test_ip_allocation_none_without_addresses(alice_api, net):
    none = alice_api.ok("POST", "/ports", 201, {"port": {"network_id": net.id, "fixed_ips": []}})["port"]
    assert none["fixed_ips"] == [] and none["ip_allocation"] == "none"
    auto = alice_api.ok("POST", "/ports", 201, {"port": {"network_id": net.id}})["port"]
    assert auto["ip_allocation"] == "immediate"


def test_bulk_port_create_is_atomic(alice_api, net):
    body = alice_api.ok("POST", "/ports", 201, {"ports": [{"network_id": net.id, "name": "bulk-a"},
                                                          {"network_id": net.id, "name": "bulk-b"}]})
    ips = [p["fixed_ips"][0]["ip_address"] for p in body["ports"]]
    assert [p["name"] for p in body["ports"]] == ["bulk-a", "bulk-b"] and len(set(ips)) == 2
    r = alice_api.post("/ports", {"ports": [{"network_id": net.id, "name": "bulk-c"},
                                            {"network_id": net.id, "fixed_ips": [{"ip_address": ips[0]}]}]})
    neutron_error(r, 409, "IpAddressAlreadyAllocated")
    assert alice_api.ok("GET", "/ports", 200, params={"name": "bulk-c"})["ports"] == []


def test_string_lengths(alice_api, net):
    neutron_error(alice_api.post("/ports", {"port": {"network_id": net.id, "device_id": "d" * 256}}), 400)
    neutron_error(alice_api.post("/ports", {"port": {"network_id": net.id, "description": "d" * 256}}), 400)
    neutron_error(alice_api.put(f"/networks/{net.id}", {"network": {"description": "d" * 256}}), 400)
    ok = alice_api.ok("POST", "/ports", 201, {"port": {"network_id": net.id, "device_id": "d" * 255, "fixed_ips": []}})
    assert ok["port"]["device_id"] == "d" * 255
