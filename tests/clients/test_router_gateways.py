"""A router's several gateways (`external-gateway-multihoming`) and its default-route flags
(`enable-default-route-bfd`, `-ecmp`) through the openstack CLI (`router add gateway`,
`router remove gateway`, `router set/unset --external-gateway`, `--enable-default-route-*`)
and openstacksdk (`add/update/remove_external_gateways`)."""

import pytest

from conftest import neutron_error, unique


def _external(admin_cli, cidr):
    net = admin_cli.json("network", "create", "--external", unique("ext"))
    admin_cli.json("subnet", "create", "--network", net["id"], "--subnet-range", cidr,
                   "--no-dhcp", unique("ext-sub"))
    return net


@pytest.fixture(scope="module")
def externals(admin_cli):
    nets = [_external(admin_cli, "198.51.100.0/24"), _external(admin_cli, "203.0.113.0/24")]
    yield nets
    for net in nets:
        admin_cli.run("network", "delete", net["id"])


def _networks(router):
    return [g["network_id"] for g in router["external_gateways"]]


def test_gateways_with_cli(admin_cli, alice_cli, externals):
    ext1, ext2 = externals
    r = alice_cli.json("router", "create", unique("r"))
    assert r["external_gateways"] == []
    assert admin_cli.json("router", "show", r["id"])["enable_default_route_ecmp"] is False

    added = alice_cli.json("router", "add", "gateway", r["id"], ext1["id"])
    assert _networks(added) == [ext1["id"]]
    added = alice_cli.json("router", "add", "gateway", r["id"], ext2["id"])
    assert _networks(added) == [ext1["id"], ext2["id"]]
    shown = alice_cli.json("router", "show", r["id"])
    assert shown["external_gateway_info"]["network_id"] == ext1["id"]
    ports = admin_cli.json("port", "list", "--device-owner", "network:router_gateway",
                           "--router", r["id"])
    assert len(ports) == 2

    # `router set --external-gateway` (update_external_gateways): the list becomes what is asked.
    alice_cli.run("router", "set", "--external-gateway", ext2["id"], r["id"])
    shown = alice_cli.json("router", "show", r["id"])
    assert _networks(shown) == [ext2["id"]]
    admin_cli.run("router", "set", "--external-gateway", ext2["id"], "--external-gateway", ext1["id"],
                  "--disable-snat", "--enable-default-route-ecmp", "--enable-default-route-bfd", r["id"])
    shown = admin_cli.json("router", "show", r["id"])
    assert _networks(shown) == [ext2["id"], ext1["id"]]
    assert shown["enable_snat"] is False
    assert shown["enable_default_route_ecmp"] is True and shown["enable_default_route_bfd"] is True
    denied = alice_cli.run("router", "set", "--disable-default-route-ecmp", r["id"], check=False)
    assert denied.returncode != 0

    removed = alice_cli.json("router", "remove", "gateway", r["id"], ext2["id"])
    assert _networks(removed) == [ext1["id"]]
    assert removed["external_gateway_info"]["network_id"] == ext1["id"]
    wrong = alice_cli.run("router", "remove", "gateway", r["id"], ext2["id"], check=False)
    assert wrong.returncode != 0

    alice_cli.run("router", "unset", "--external-gateway", r["id"])
    shown = alice_cli.json("router", "show", r["id"])
    assert shown["external_gateways"] == [] and shown["external_gateway_info"] is None
    alice_cli.run("router", "delete", r["id"])

    # Created with two gateways at once (create, then update_external_gateways).
    r = admin_cli.json("router", "create", "--external-gateway", ext1["id"], "--external-gateway",
                       ext2["id"], "--enable-default-route-ecmp", unique("r"))
    shown = admin_cli.json("router", "show", r["id"])
    assert _networks(shown) == [ext1["id"], ext2["id"]]
    assert shown["enable_default_route_ecmp"] is True
    admin_cli.run("router", "delete", r["id"])
    assert admin_cli.json("port", "list", "--device-owner", "network:router_gateway",
                          "--device-id", r["id"]) == []


def test_gateways_with_sdk(admin, alice, alice_api, externals):
    ext1, ext2 = externals
    router = alice.network.create_router(name=unique("r"))
    path = f"/routers/{router.id}"
    alice.network.add_external_gateways(
        router, {"router": {"external_gateways": [{"network_id": ext1["id"]}, {"network_id": ext2["id"]}]}})
    shown = alice_api.get(path).json()["router"]
    assert _networks(shown) == [ext1["id"], ext2["id"]]
    assert shown["external_gateway_info"]["network_id"] == ext1["id"]
    assert alice.network.get_router(router.id).external_gateway_info["network_id"] == ext1["id"]

    alice.network.update_external_gateways(
        router, {"router": {"external_gateways": [{"network_id": ext2["id"]}, {"network_id": ext1["id"]}]}})
    assert _networks(alice_api.get(path).json()["router"]) == [ext2["id"], ext1["id"]]
    alice.network.remove_external_gateways(router, {"router": {"external_gateways": [{"network_id": ext1["id"]}]}})
    assert _networks(alice_api.get(path).json()["router"]) == [ext2["id"]]

    neutron_error(alice_api.put(f"{path}/remove_external_gateways",
                                {"router": {"external_gateways": [{"network_id": ext1["id"]}]}}),
                  500, "UnableToMatchGateways")
    neutron_error(alice_api.put(f"{path}/update_external_gateways",
                                {"router": {"external_gateways": [{"network_id": ext1["id"], "enable_snat": False}]}}),
                  403)
    neutron_error(alice_api.put(path, {"router": {"enable_default_route_bfd": True}}), 403)
    admin.network.update_router(router, enable_default_route_bfd=True)
    assert alice_api.get(path).json()["router"]["enable_default_route_bfd"] is True

    alice.network.update_external_gateways(router, {"router": {"external_gateways": []}})
    assert alice_api.get(path).json()["router"]["external_gateways"] == []
    alice.network.delete_router(router)
