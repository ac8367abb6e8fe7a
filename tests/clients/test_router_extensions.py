"""Router extensions of ML2/OVN through the openstack CLI and openstacksdk: `l3-ha` (every router
is HA, shown to admins; `--no-ha` is refused), `router-enable-snat` (the router's SNAT flag),
and the agent schedulers (`openstack network agent list --router/--network`: with no OVN
chassis here, no agent hosts anything; OVN never has DHCP agents). Scheduling a router by hand
(`l3-agent-scheduler-ha-chassis-priority`) runs on a server of its own whose gateway chassis
agents the test writes into its database, as the OVN back end would record them."""

import json
import re
import sqlite3
import subprocess
import time

import pytest

from conftest import Cli, api_for, connect, neutron_error, start_server, unique


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


def put_gateway_agents(server, names):
    """Records gateway chassis agents in the server's database as the OVN back end does (there
    is no OVN here): the database the server's config names (PostgreSQL), else its SQLite file."""
    now = int(time.time() * 1000)
    rows = [(name, json.dumps({"id": name, "agent_type": "OVN Controller Gateway agent",
                               "binary": "ovn-controller", "host": name, "topic": "n/a",
                               "availability_zone": "", "admin_state_up": True, "description": "",
                               "configurations": {"chassis_name": name, "bridge-mappings": "",
                                                  "enable-chassis-as-gw": True},
                               "resources_synced": None, "ha_state": None}),
             now, now, now + 3_600_000) for name in names]
    url = re.search(r'^url = "(.*)"$', server.config.read_text(), re.MULTILINE)
    if url:
        for row in rows:
            values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in row)
            subprocess.run(["psql", url.group(1), "-v", "ON_ERROR_STOP=1", "-qc",
                            "INSERT INTO agents (id, doc, created_at_ms, heartbeat_at_ms, alive_until_ms) "
                            f"VALUES ({values})"], check=True)
        return
    db = sqlite3.connect(server.data_dir / "neutrino.sqlite", timeout=30)
    with db:
        db.executemany("INSERT INTO agents (id, doc, created_at_ms, heartbeat_at_ms, alive_until_ms) "
                       "VALUES (?, ?, ?, ?, ?)", rows)
    db.close()


def test_scheduling_by_hand_with_sdk_and_cli(tmp_path):
    srv = start_server(tmp_path / "sched")
    try:
        put_gateway_agents(srv, ["gw-a", "gw-b", "gw-c"])
        admin, alice = connect(srv, "admin"), connect(srv, "alice")
        admin_api, alice_api = api_for(srv, admin), api_for(srv, alice)
        ext = admin.network.create_network(name=unique("ext"), is_router_external=True)
        admin.network.create_subnet(network_id=ext.id, ip_version=4, cidr="198.51.100.0/24",
                                    is_dhcp_enabled=False)
        router = alice.network.create_router(name=unique("r"), external_gateway_info={"network_id": ext.id})

        def hosting():
            return {a.id: a.ha_chassis_priority for a in admin.network.routers_hosting_l3_agents(router)}

        computed = hosting()
        assert set(computed) == {"gw-a", "gw-b", "gw-c"}
        assert sorted(computed.values()) == [1, 2, 3]

        # openstacksdk: out, back in with a priority of its own (the highest: it hosts the gateway).
        admin.network.remove_router_from_agent("gw-b", router)
        assert set(hosting()) == {"gw-a", "gw-c"}
        assert [r.id for r in admin.network.agent_hosted_routers("gw-b")] == []
        admin.network.add_router_to_agent("gw-b", router, ha_chassis_priority=100)
        assert hosting()["gw-b"] == 100
        assert [r.id for r in admin.network.agent_hosted_routers("gw-b")] == [router.id]
        shown = admin_api.ok("GET", f"/routers/{router.id}/l3-agents", 200)["agents"]
        assert {a["id"]: a["ha_chassis_priority"] for a in shown} == hosting()

        # Plain HTTP: a new priority (204, as upstream's controller answers), a POST without one
        # (the lowest), and upstream's errors.
        r = admin_api.put(f"/agents/gw-a/l3-routers/{router.id}", {"ha_chassis_priority": 42})
        assert r.status_code == 204 and not r.content, r.text
        assert hosting()["gw-a"] == 42
        admin.network.remove_router_from_agent("gw-c", router)
        r = admin_api.post("/agents/gw-c/l3-routers", {"router_id": router.id})
        assert r.status_code == 201 and r.json() is None, r.text
        lowest = min(p for a, p in hosting().items() if a != "gw-c")
        assert hosting()["gw-c"] == lowest - 1
        neutron_error(admin_api.post("/agents/gw-a/l3-routers", {"router_id": router.id}), 409,
                      "RouterHostedByL3Agent",
                      f"The router {router.id} has been already hosted by the L3 Agent gw-a.")
        neutron_error(admin_api.put(f"/agents/gw-c/l3-routers/{router.id}", {"ha_chassis_priority": 42}),
                      409, "HAChassisPriorityAlreadyAssigned")
        neutron_error(admin_api.post("/agents/gw-c/l3-routers",
                                     {"router_id": router.id, "ha_chassis_priority": "x"}), 400, "InvalidInput")
        neutron_error(admin_api.post("/agents/gw-c/l3-routers",
                                     {"router_id": router.id, "ha_chassis_priority": 99999}),
                      400, "InvalidHAChassisPriority")
        neutron_error(admin_api.post("/agents/no-such/l3-routers", {"router_id": router.id}), 404,
                      "InvalidL3Agent")
        neutron_error(admin_api.post("/agents/gw-a/l3-routers", {"router_id": "no-such"}), 404,
                      "RouterNotFound")
        neutron_error(alice_api.post("/agents/gw-a/l3-routers", {"router_id": router.id}), 403,
                      "PolicyNotAuthorized")
        admin.network.remove_router_from_agent("gw-c", router)
        neutron_error(admin_api.delete(f"/agents/gw-c/l3-routers/{router.id}"), 409,
                      "RouterNotHostedByL3Agent",
                      f"The router {router.id} is not hosted by the L3 Agent gw-c.")

        # The openstack CLI: `network agent add router --l3 --ha-chassis-priority`, `remove router`.
        cli = Cli(srv, "neutrino-admin")
        cli.run("network", "agent", "add", "router", "--l3", "--ha-chassis-priority", "7", "gw-c", router.id)
        assert hosting()["gw-c"] == 7
        listed = cli.json("network", "agent", "list", "--router", router.id)
        assert {a["ID"] for a in listed} == {"gw-a", "gw-b", "gw-c"}
        cli.run("network", "agent", "remove", "router", "--l3", "gw-c", router.id)
        assert set(hosting()) == {"gw-a", "gw-b"}

        alice.network.update_router(router, external_gateway_info={})
        assert hosting() == {}
        alice.network.delete_router(router)
        assert [r.id for r in admin.network.agent_hosted_routers("gw-a")] == []
    finally:
        srv.stop()
