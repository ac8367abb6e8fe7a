"""Subnet pools and address scopes through the openstack CLI, openstacksdk and raw HTTP."""

import openstack.exceptions
import pytest

from conftest import neutron_error, unique


def test_cli_pool_scope_and_subnet_from_pool(alice, alice_cli, alice_api):
    scope_name, pool_name, net_name = unique("scope"), unique("pool"), unique("net")
    scope = alice_cli.json("address", "scope", "create", "--ip-version", "4", scope_name)
    net = alice.network.create_network(name=net_name)
    try:
        pool = alice_cli.json("subnet", "pool", "create", "--pool-prefix", "10.90.0.0/24",
                              "--pool-prefix", "10.90.1.0/24", "--default-prefix-length", "26",
                              "--address-scope", scope["id"], pool_name)
        assert pool["prefixes"] in (["10.90.0.0/23"], "10.90.0.0/23"), pool
        assert pool["address_scope_id"] == scope["id"]
        subnet = alice_cli.json("subnet", "create", "--network", net.id, "--subnet-pool", pool["id"],
                                "--prefix-length", "27", unique("sub"))
        assert subnet["cidr"] == "10.90.0.0/27", subnet
        assert subnet["subnetpool_id"] == pool["id"]
        assert subnet["gateway_ip"] == "10.90.0.1"
        shown = alice.network.get_network(net.id)
        assert shown.ipv4_address_scope_id == scope["id"]

        # openstacksdk: the next block, the prefix actions, and the in-use rules.
        second = alice.network.create_subnet(network_id=net.id, ip_version=4, subnetpool_id=pool["id"])
        assert second.cidr == "10.90.0.64/26"
        added = alice_api.ok("PUT", f"/subnetpools/{pool['id']}/add_prefixes", 200,
                             {"prefixes": ["10.90.2.0/24"]})
        assert added == {"prefixes": ["10.90.0.0/23", "10.90.2.0/24"]}
        err = neutron_error(alice_api.put(f"/subnetpools/{pool['id']}/remove_prefixes",
                                          {"prefixes": ["10.90.0.0/24"]}), 400, "IllegalSubnetPoolPrefixUpdate")
        assert "in use by a subnet" in err["message"]
        with pytest.raises(openstack.exceptions.BadRequestException) as e:
            alice.network.delete_subnet_pool(pool["id"])
        assert "Subnet pool has existing allocations" in str(e.value)
        neutron_error(alice_api.delete(f"/address-scopes/{scope['id']}"), 409, "AddressScopeInUse")
        with pytest.raises(openstack.exceptions.HttpException) as e:
            alice.network.create_subnet(network_id=net.id, ip_version=4, subnetpool_id=pool["id"], prefixlen=20)
        assert "Insufficient prefix space to allocate subnet size /20" in str(e.value)
    finally:
        alice.network.delete_network(net.id)
        for p in alice.network.subnet_pools(name=pool_name):
            alice.network.delete_subnet_pool(p)
        alice.network.delete_address_scope(scope["id"])
    assert alice.network.find_address_scope(scope["id"]) is None


def test_sdk_default_pool_and_exhaustion(admin, alice, admin_api, alice_api):
    pool = admin.network.create_subnet_pool(name=unique("dflt"), prefixes=["10.91.0.0/25"],
                                            default_prefixlen=26, is_default=True, shared=True)
    net = alice.network.create_network(name=unique("net"))
    try:
        assert pool.is_default and pool.ip_version == 4 and pool.minimum_prefix_length == 8
        err = neutron_error(admin_api.post("/subnetpools", {"subnetpool": {
            "name": "x", "prefixes": ["10.92.0.0/16"], "is_default": True}}), 400, "InvalidInput")
        assert "A default subnetpool for this IP family has already been set" in err["message"]
        body = {"subnet": {"network_id": net.id, "ip_version": 4, "use_default_subnetpool": True}}
        cidrs = [alice_api.ok("POST", "/subnets", 201, body)["subnet"]["cidr"] for _ in range(2)]
        assert cidrs == ["10.91.0.0/26", "10.91.0.64/26"]
        err = neutron_error(alice_api.post("/subnets", body), 500, "SubnetAllocationError")
        assert err["message"] == "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /26."
    finally:
        alice.network.delete_network(net.id)
        admin.network.delete_subnet_pool(pool)
