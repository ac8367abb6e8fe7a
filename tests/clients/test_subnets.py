"""Subnets: IPv4 and IPv6, pools, DNS servers, host routes and gateway rules."""

from concurrent.futures import ThreadPoolExecutor

import openstack.exceptions
import pytest

from conftest import neutron_error, unique


@pytest.fixture
def net(alice):
    n = alice.network.create_network(name=unique("subnet-net"))
    yield n
    try:
        for p in alice.network.ports(network_id=n.id):
            alice.network.delete_port(p)
        alice.network.delete_network(n)
    except openstack.exceptions.SDKException:
        pass


def test_ipv4_defaults(alice, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.20.0.0/24", name="v4")
    assert sub.cidr == "10.20.0.0/24"
    assert sub.ip_version == 4
    assert sub.gateway_ip == "10.20.0.1"
    assert sub.allocation_pools == [{"start": "10.20.0.2", "end": "10.20.0.254"}]
    assert sub.is_dhcp_enabled is True
    assert sub.dns_nameservers == []
    assert sub.host_routes == []
    assert sub.project_id == alice.current_project_id
    assert sub.ipv6_ra_mode is None and sub.ipv6_address_mode is None
    assert alice.network.get_network(net.id).subnet_ids == [sub.id]


def test_host_bits_are_masked(alice, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.21.0.77/24")
    assert sub.cidr == "10.21.0.0/24"
    assert sub.gateway_ip == "10.21.0.1"


def test_ipv4_pools_dns_routes_gateway(alice, net):
    sub = alice.network.create_subnet(
        network_id=net.id, ip_version=4, cidr="10.22.0.0/24", gateway_ip="10.22.0.254",
        allocation_pools=[{"start": "10.22.0.10", "end": "10.22.0.20"}, {"start": "10.22.0.100", "end": "10.22.0.110"}],
        dns_nameservers=["10.0.0.3", "8.8.8.8", "1.1.1.1"],
        host_routes=[{"destination": "192.168.0.0/16", "nexthop": "10.22.0.5"}],
        is_dhcp_enabled=False,
    )
    assert sub.gateway_ip == "10.22.0.254"
    assert sub.allocation_pools == [{"start": "10.22.0.10", "end": "10.22.0.20"},
                                    {"start": "10.22.0.100", "end": "10.22.0.110"}]
    assert sub.dns_nameservers == ["10.0.0.3", "8.8.8.8", "1.1.1.1"]  # order kept
    assert sub.host_routes == [{"destination": "192.168.0.0/16", "nexthop": "10.22.0.5"}]
    assert sub.is_dhcp_enabled is False

    upd = alice.network.update_subnet(
        sub, dns_nameservers=["1.1.1.1"], host_routes=[], gateway_ip="10.22.0.1",
        allocation_pools=[{"start": "10.22.0.50", "end": "10.22.0.60"}], name="renamed", is_dhcp_enabled=True)
    assert upd.dns_nameservers == ["1.1.1.1"]
    assert upd.host_routes == []
    assert upd.gateway_ip == "10.22.0.1"
    assert upd.allocation_pools == [{"start": "10.22.0.50", "end": "10.22.0.60"}]
    assert upd.name == "renamed"
    assert upd.is_dhcp_enabled is True
    shown = alice.network.get_subnet(sub.id)
    assert shown.allocation_pools == upd.allocation_pools and shown.gateway_ip == "10.22.0.1"


def test_no_gateway_uses_whole_range(alice, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.23.0.0/28", gateway_ip=None)
    assert sub.gateway_ip is None
    assert sub.allocation_pools == [{"start": "10.23.0.1", "end": "10.23.0.14"}]


def test_pools_split_around_a_gateway_in_the_middle(alice, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.24.0.0/28", gateway_ip="10.24.0.8")
    assert sub.allocation_pools == [{"start": "10.24.0.1", "end": "10.24.0.7"},
                                    {"start": "10.24.0.9", "end": "10.24.0.14"}]


def test_gateway_outside_cidr_is_allowed(alice, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.25.0.0/24", gateway_ip="10.99.0.1")
    assert sub.gateway_ip == "10.99.0.1"
    assert sub.allocation_pools == [{"start": "10.25.0.1", "end": "10.25.0.254"}]


def test_gateway_rules(alice_api, net):
    base = {"network_id": net.id, "ip_version": 4, "cidr": "10.26.0.0/24"}
    # The network address and the broadcast address cannot be the gateway.
    for gw in ("10.26.0.0", "10.26.0.255"):
        r = alice_api.post("/subnets", {"subnet": {**base, "gateway_ip": gw}})
        neutron_error(r, 400)
    # A gateway inside an explicit pool conflicts.
    r = alice_api.post("/subnets", {"subnet": {**base, "gateway_ip": "10.26.0.5",
                                               "allocation_pools": [{"start": "10.26.0.2", "end": "10.26.0.10"}]}})
    neutron_error(r, 409, "GatewayConflictWithAllocationPools")
    # Wrong IP version for the gateway.
    r = alice_api.post("/subnets", {"subnet": {**base, "gateway_ip": "2001:db8::1"}})
    neutron_error(r, 400)
    assert alice_api.ok("GET", "/subnets", 200, params={"network_id": net.id})["subnets"] == []


def test_pool_rules(alice_api, net):
    base = {"network_id": net.id, "ip_version": 4, "cidr": "10.27.0.0/24"}
    r = alice_api.post("/subnets", {"subnet": {**base, "allocation_pools": [{"start": "10.27.0.200", "end": "10.27.1.5"}]}})
    neutron_error(r, 400, "OutOfBoundsAllocationPool")
    r = alice_api.post("/subnets", {"subnet": {**base, "allocation_pools": [
        {"start": "10.27.0.10", "end": "10.27.0.20"}, {"start": "10.27.0.15", "end": "10.27.0.30"}]}})
    neutron_error(r, 409, "OverlappingAllocationPools")
    r = alice_api.post("/subnets", {"subnet": {**base, "allocation_pools": [{"start": "10.27.0.30", "end": "10.27.0.20"}]}})
    neutron_error(r, 400, "InvalidAllocationPool")
    r = alice_api.post("/subnets", {"subnet": {**base, "allocation_pools": [{"start": "10.27.0.0", "end": "10.27.0.20"}]}})
    neutron_error(r, 400, "OutOfBoundsAllocationPool")


def test_dns_and_route_limits(alice_api, net):
    base = {"network_id": net.id, "ip_version": 4, "cidr": "10.28.0.0/24"}
    six = [f"10.0.0.{i}" for i in range(1, 7)]
    neutron_error(alice_api.post("/subnets", {"subnet": {**base, "dns_nameservers": six}}), 400, "DNSNameServersExhausted")
    neutron_error(alice_api.post("/subnets", {"subnet": {**base, "dns_nameservers": ["10.0.0.1", "10.0.0.1"]}}), 400)
    routes = [{"destination": f"192.168.{i}.0/24", "nexthop": "10.28.0.5"} for i in range(21)]
    neutron_error(alice_api.post("/subnets", {"subnet": {**base, "host_routes": routes}}), 400, "HostRoutesExhausted")
    neutron_error(alice_api.post("/subnets", {"subnet": {**base, "host_routes": [
        {"destination": "192.168.1.0/24", "nexthop": "2001:db8::1"}]}}), 400)
    neutron_error(alice_api.post("/subnets", {"subnet": {**base, "dns_nameservers": ["2001:db8::53"]}}), 400)
    assert alice_api.ok("GET", "/subnets", 200, params={"network_id": net.id})["subnets"] == []


def test_host_route_destination_must_be_a_routable_network_cidr(alice_api, net):
    """neutron-lib validate_hostroutes -> validate_route_cidr: no host bits, not loopback."""
    base = {"network_id": net.id, "ip_version": 4, "cidr": "10.35.0.0/24"}
    for dest in ("192.168.1.1/24", "127.0.0.0/8"):
        r = alice_api.post("/subnets", {"subnet": {**base, "host_routes": [{"destination": dest, "nexthop": "10.35.0.5"}]}})
        neutron_error(r, 400, "HTTPBadRequest", "Invalid input for host_routes")


def test_read_only_attributes_on_update(alice_api, alice, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.29.0.0/24")
    for attr, value in (("cidr", "10.30.0.0/24"), ("ip_version", 6), ("network_id", net.id)):
        r = alice_api.put(f"/subnets/{sub.id}", {"subnet": {attr: value}})
        neutron_error(r, 400, "HTTPBadRequest")
    assert alice.network.get_subnet(sub.id).cidr == "10.29.0.0/24"


def test_ipv6_slaac_subnet(alice, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:1::/64",
                                      ipv6_ra_mode="slaac", ipv6_address_mode="slaac",
                                      dns_nameservers=["2001:4860:4860::8888"])
    assert sub.ip_version == 6
    assert sub.cidr == "2001:db8:1::/64"
    assert sub.gateway_ip == "2001:db8:1::"  # IPv6 default gateway: the subnet's network address
    assert sub.allocation_pools == [{"start": "2001:db8:1::1", "end": "2001:db8:1:0:ffff:ffff:ffff:ffff"}]
    assert sub.ipv6_ra_mode == "slaac" and sub.ipv6_address_mode == "slaac"
    assert sub.dns_nameservers == ["2001:4860:4860::8888"]


def test_ipv6_stateful_with_pool_and_routes(alice, net):
    sub = alice.network.create_subnet(
        network_id=net.id, ip_version=6, cidr="2001:db8:2::/64", gateway_ip="2001:db8:2::1",
        ipv6_address_mode="dhcpv6-stateful", ipv6_ra_mode="dhcpv6-stateful",
        allocation_pools=[{"start": "2001:db8:2::10", "end": "2001:db8:2::20"}],
        host_routes=[{"destination": "2001:db8:ff::/48", "nexthop": "2001:db8:2::2"}])
    assert sub.gateway_ip == "2001:db8:2::1"
    assert sub.allocation_pools == [{"start": "2001:db8:2::10", "end": "2001:db8:2::20"}]
    assert sub.host_routes == [{"destination": "2001:db8:ff::/48", "nexthop": "2001:db8:2::2"}]


def test_ipv6_rules(alice_api, net):
    base = {"network_id": net.id, "ip_version": 6}
    # ::/x is refused, modes need IPv6, ra and address modes must agree, slaac needs a /64.
    neutron_error(alice_api.post("/subnets", {"subnet": {**base, "cidr": "::/64"}}), 400)
    neutron_error(alice_api.post("/subnets", {"subnet": {
        "network_id": net.id, "ip_version": 4, "cidr": "10.31.0.0/24", "ipv6_address_mode": "slaac"}}), 400)
    neutron_error(alice_api.post("/subnets", {"subnet": {
        **base, "cidr": "2001:db8:3::/64", "ipv6_ra_mode": "slaac", "ipv6_address_mode": "dhcpv6-stateful"}}), 400)
    neutron_error(alice_api.post("/subnets", {"subnet": {
        **base, "cidr": "2001:db8:3::/80", "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}}), 400)
    # CIDR version must match ip_version.
    neutron_error(alice_api.post("/subnets", {"subnet": {**base, "cidr": "10.32.0.0/24"}}), 400)


def test_prefix_length_zero_and_tiny_dhcp_subnet(alice_api, net):
    neutron_error(alice_api.post("/subnets", {"subnet": {"network_id": net.id, "ip_version": 4, "cidr": "0.0.0.0/0"}}), 400)
    neutron_error(alice_api.post("/subnets", {"subnet": {"network_id": net.id, "ip_version": 4, "cidr": "10.33.0.0/31"}}), 400)
    sub = alice_api.ok("POST", "/subnets", 201, {"subnet": {"network_id": net.id, "ip_version": 4,
                                                             "cidr": "10.33.0.0/31", "enable_dhcp": False,
                                                             "gateway_ip": None}})["subnet"]
    assert sub["allocation_pools"] == [{"start": "10.33.0.0", "end": "10.33.0.1"}]


def test_cli_subnet_lifecycle(alice_cli, alice, net):
    name = unique("clisub")
    sub = alice_cli.json(
        "subnet", "create", "--network", net.id, "--subnet-range", "10.34.0.0/24",
        "--allocation-pool", "start=10.34.0.50,end=10.34.0.99", "--dns-nameserver", "10.34.0.2",
        "--host-route", "destination=172.16.0.0/12,gateway=10.34.0.3", "--gateway", "10.34.0.1", name)
    assert sub["cidr"] == "10.34.0.0/24"
    assert sub["gateway_ip"] == "10.34.0.1"
    assert sub["allocation_pools"] == [{"start": "10.34.0.50", "end": "10.34.0.99"}]
    assert sub["dns_nameservers"] == ["10.34.0.2"]
    assert sub["host_routes"] == [{"destination": "172.16.0.0/12", "nexthop": "10.34.0.3"}]

    # Independent steps run side by side: each CLI start costs a second or more.
    with ThreadPoolExecutor(2) as pool:
        setting = pool.submit(alice_cli.run, "subnet", "set", "--dns-nameserver", "10.34.0.4", "--gateway", "none",
                              "--name", name + "-b", name)
        v6 = pool.submit(alice_cli.json, "subnet", "create", "--network", net.id, "--ip-version", "6",
                         "--subnet-range", "2001:db8:34::/64", "--ipv6-ra-mode", "slaac",
                         "--ipv6-address-mode", "slaac", name + "-6").result()
        setting.result()
    assert v6["ip_version"] == 6 and v6["ipv6_address_mode"] == "slaac"
    assert v6["gateway_ip"] == "2001:db8:34::"

    shown, listed = alice_cli.json_many(("subnet", "show", name + "-b"),
                                        ("subnet", "list", "--network", net.id, "--ip-version", "6"))
    assert shown["dns_nameservers"] == ["10.34.0.4", "10.34.0.2"]  # OSC sends the new ones first
    assert shown["gateway_ip"] is None
    assert [s["ID"] for s in listed] == [v6["id"]]
    assert listed[0]["Subnet"] == "2001:db8:34::/64"

    alice_cli.run("subnet", "delete", name + "-b", name + "-6")
    assert alice.network.get_network(net.id).subnet_ids == []
