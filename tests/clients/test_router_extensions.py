"""Router extensions of ML2/OVN through the openstack CLI and openstacksdk: `l3-ha` (every router
is HA, shown to admins; `--no-ha` is refused), `router-enable-snat` (the router's SNAT flag),
and the agent schedulers (`openstack network agent list --router/--network`: with no OVN
chassis here, no agent hosts anything; OVN never has DHCP agents)."""

import pytest

from conftest import neutron_error, unique


@pytest.fixture(scope="module")
def external(admin_cli):
    name = unique("ext")
    net = admin_cli.json("network", "create", "--external", name)
    admin_cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "198.51.100.0/24",
                   "--no-dhcp", unique("ext-sub"))
    yield net
    admin_cli.run("network", "delete", net["id"])


def test_ha_and_snat_with_cli(admin_cli, alice_cli, external):
    r = admin_cli.json("router", "create", "--ha", unique("r"))
    assert r["ha"] is True and r["enable_snat"] is True
    fail = admin_cli.run("router", "create", "--no-ha", unique("r"), check=False)
    assert fail.returncode != 0 and "does not support ha=False" in fail.stderr
    mine = alice_cli.json("router", "create", unique("r"))
    assert "ha" not in mine or mine["ha"] in (None, "")
    assert admin_cli.json("router", "show", mine["id"])["ha"] is True

    admin_cli.run("router", "set", "--external-gateway", external["id"], "--disable-snat", mine["id"])
    shown = alice_cli.json("router", "show", mine["id"])
    assert shown["enable_snat"] is False
    assert shown["external_gateway_info"]["enable_snat"] is False

    # No chassis in this deployment: no agent hosts the router; OVN has no DHCP agents.
    assert admin_cli.json("network", "agent", "list", "--router", mine["id"]) == []
    net = alice_cli.json("network", "create", unique("n"))
    assert admin_cli.json("network", "agent", "list", "--network", net["id"]) == []
    denied = alice_cli.run("network", "agent", "list", "--router", mine["id"], check=False)
    assert denied.returncode != 0

    admin_cli.run("router", "unset", "--external-gateway", mine["id"])
    alice_cli.run("router", "delete", mine["id"])
    admin_cli.run("router", "delete", r["id"])
    alice_cli.run("network", "delete", net["id"])


def test_schedulers_with_sdk(admin, alice, admin_api, alice_api, external):
    router = alice.network.create_router(name=unique("r"), external_gateway_info={"network_id": external["id"]})
    assert alice_api.get(f"/routers/{router.id}").json()["router"]["enable_snat"] is True
    assert admin.network.get_router(router.id).is_ha is True
    assert list(admin.network.routers_hosting_l3_agents(router)) == []
    net = alice.network.create_network(name=unique("n"))
    assert list(admin.network.network_hosting_dhcp_agents(net)) == []

    neutron_error(alice_api.get(f"/routers/{router.id}/l3-agents"), 403, "PolicyNotAuthorized")
    neutron_error(admin_api.get("/agents/no-such-agent/l3-routers"), 404, "InvalidL3Agent")
    neutron_error(admin_api.get("/agents/no-such-agent/dhcp-networks"), 404, "AgentNotFound")
    neutron_error(admin_api.put(f"/routers/{router.id}", {"router": {"ha": False}}), 400, "InvalidInput")
    neutron_error(admin_api.put(f"/routers/{router.id}", {"router": {"enable_snat": False}}), 400)

    alice.network.update_router(router, external_gateway_info={})
    alice.network.delete_router(router)
    alice.network.delete_network(net)
