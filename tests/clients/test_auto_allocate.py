"""Auto-allocated topology through the openstack CLI ("network auto allocated topology") and
openstacksdk: the dry run, the topology it builds, and delete."""

from conftest import neutron_error, unique


def test_cli_builds_checks_and_deletes_a_topology(admin, alice, alice_cli, alice_api):
    # Nothing to connect to yet: the dry run says what is missing.
    err = neutron_error(alice_api.get("/auto-allocated-topology/None?fields=dry-run"), 409,
                        "AutoAllocationFailure")
    assert err["message"] == "Deployment error: No default router:external network."
    ext = admin.network.create_network(name=unique("ext"), is_router_external=True, is_default=True)
    admin.network.create_subnet(network_id=ext.id, ip_version=4, cidr="172.26.8.0/24")
    pool = admin.network.create_subnet_pool(name=unique("dflt"), prefixes=["10.93.0.0/24"],
                                            default_prefixlen=26, is_default=True, shared=True)
    try:
        # The CLI's dry run succeeds (it shows a `dry_run` column the sdk never fills, upstream
        # too); the sdk's answers upstream's "dry-run=pass".
        alice_cli.run("network", "auto", "allocated", "topology", "create", "--check-resources")
        assert alice.network.validate_auto_allocated_topology().id == "dry-run=pass"
        made = alice_cli.json("network", "auto", "allocated", "topology", "create")
        net = alice.network.get_network(made["id"])
        assert net.name == "auto_allocated_network"
        [subnet] = list(alice.network.subnets(network_id=net.id))
        assert subnet.cidr == "10.93.0.0/26" and subnet.subnet_pool_id == pool.id
        [router] = list(alice.network.routers(name="auto_allocated_router"))
        assert router.external_gateway_info["network_id"] == ext.id
        # The sdk's call answers the same network.
        again = alice.network.get_auto_allocated_topology(alice.current_project_id)
        assert again.id == net.id
        alice_cli.run("network", "auto", "allocated", "topology", "delete")
        assert alice.network.find_network(net.id) is None
        assert alice.network.find_router(router.id) is None
    finally:
        admin.network.delete_subnet_pool(pool)
        admin.network.delete_network(ext.id)
