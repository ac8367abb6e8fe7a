"""Port and pool extensions through openstacksdk and the openstack CLI: ports'
`qos_network_policy_id` and `resource_request`, `ip_availability_details`, DNS domains with
keywords, onboarding a network's subnets into a subnet pool, and a port's bindings (with a compute
service user of its own server)."""

import openstack
import openstack.exceptions
import pytest

from conftest import USERS, neutron_error, start_server, unique


def test_sdk_port_qos_attributes(admin, alice):
    net = alice.network.create_network(name=unique("net"))
    policy = admin.network.create_qos_policy(name=unique("qos"), shared=True)
    try:
        admin.network.create_qos_minimum_bandwidth_rule(policy, min_kbps=1000, direction="egress")
        admin.network.create_qos_minimum_packet_rate_rule(policy, min_kpps=100, direction="any")
        port = alice.network.create_port(network_id=net.id, name=unique("port"))
        assert port.qos_network_policy_id is None
        alice.network.update_network(net, qos_policy_id=policy.id)
        assert alice.network.get_port(port.id).qos_network_policy_id == policy.id
        # resource_request is the admin's (the compute service reads it).
        assert alice.network.get_port(port.id).resource_request is None
        request = admin.network.get_port(port.id).resource_request
        groups = request["request_groups"]
        assert [g["resources"] for g in groups] == [
            {"NET_BW_EGR_KILOBIT_PER_SEC": 1000},
            {"NET_PACKET_RATE_KILOPACKET_PER_SEC": 100},
        ]
        assert groups[0]["required"] == ["CUSTOM_NETWORK_TUNNEL_PROVIDER", "CUSTOM_VNIC_TYPE_NORMAL"]
        assert request["same_subtree"] == [g["id"] for g in groups]
        alice.network.update_network(net, qos_policy_id=None)
        assert admin.network.get_port(port.id).resource_request is None
        alice.network.delete_port(port)
    finally:
        alice.network.delete_network(net)
        admin.network.delete_qos_policy(policy)


def test_cli_port_show_and_ip_availability_details(admin_cli, alice):
    net = alice.network.create_network(name=unique("net"))
    try:
        alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.71.0.0/24",
                                    allocation_pools=[{"start": "10.71.0.10", "end": "10.71.0.29"}])
        port = alice.network.create_port(network_id=net.id)
        shown = admin_cli.json("port", "show", port.id)
        assert shown["qos_network_policy_id"] is None
        assert shown["resource_request"] is None
        avail = admin_cli.json("ip", "availability", "show", net.id)
        assert avail["ip_availability_details"] == {
            "total_ips_in_subnet": 254, "total_ips_in_allocation_pool": 20,
            "used_ips_in_subnet": 1, "used_ips_in_allocation_pool": 1,
        }
        alice.network.delete_port(port)
    finally:
        alice.network.delete_network(net)


def test_sdk_ip_availability_details(admin, alice):
    net = alice.network.create_network(name=unique("net"))
    try:
        alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:71::/120")
        details = admin.network.get_network_ip_availability(net.id).ip_availability_details
        assert details["total_ips_in_subnet"] == 256
        assert details["used_ips_in_subnet"] == 0
    finally:
        alice.network.delete_network(net)


def test_dns_domain_keywords(alice, alice_cli):
    domain = "<project_id>.<user_name>.example.org."
    net = alice_cli.json("network", "create", "--dns-domain", domain, unique("net"))
    try:
        assert net["dns_domain"] == domain
        port = alice.network.create_port(network_id=net["id"], dns_domain="<project_name>.example.org.")
        assert port.dns_domain == "<project_name>.example.org."
        alice.network.delete_port(port)
        with pytest.raises(openstack.exceptions.BadRequestException):
            alice.network.create_network(name=unique("net"), dns_domain="<project>.example.org.")
    finally:
        alice.network.delete_network(net["id"])


def test_onboard_subnets_cli_and_sdk(alice, alice_cli):
    pool = alice.network.create_subnet_pool(name=unique("pool"), prefixes=["10.72.0.0/16"])
    nets = [alice.network.create_network(name=unique("net")) for _ in range(2)]
    try:
        first = alice.network.create_subnet(network_id=nets[0].id, ip_version=4, cidr="10.73.0.0/24")
        second = alice.network.create_subnet(network_id=nets[1].id, ip_version=4, cidr="10.74.0.0/24")
        alice_cli.run("network", "onboard", "subnet", nets[0].id, pool.id)
        assert alice.network.get_subnet(first.id).subnet_pool_id == pool.id
        onboarded = alice.network.onboard_network_subnets(pool, nets[1])
        assert onboarded == [{"id": second.id, "cidr": "10.74.0.0/24"}]
        assert sorted(alice.network.get_subnet_pool(pool.id).prefixes) == [
            "10.72.0.0/16", "10.73.0.0/24", "10.74.0.0/24"]
        # Again: the CIDR is the pool's already.
        r = alice_cli.run("network", "onboard", "subnet", nets[1].id, pool.id, check=False)
        assert r.returncode != 0 and "conflicts with allocated prefixes" in r.stderr, r.stderr
    finally:
        for net in nets:
            alice.network.delete_network(net)
        alice.network.delete_subnet_pool(pool)


@pytest.fixture(scope="module")
def nova_server(tmp_path_factory):
    users = dict(USERS, nova={"project": "service", "roles": ["service"], "password": "nova-secret"})
    srv = start_server(tmp_path_factory.mktemp("neutrino-nova"), users=users)
    yield srv
    srv.stop()


def connect_as(server, user, project, password):
    return openstack.connect(
        auth_url=server.auth_url, username=user, password=password, project_name=project,
        user_domain_name="Default", project_domain_name="Default", region_name="RegionOne",
        interface="public", identity_api_version="3",
    )


def test_port_bindings(nova_server):
    """The SDK's binding calls read the port first, which only its project and admins may here:
    the compute service's user goes through plain HTTP."""
    admin = connect_as(nova_server, "admin", "admin", nova_server.password("admin"))
    nova = connect_as(nova_server, "nova", "service", "nova-secret")
    net = admin.network.create_network(name=unique("net"))
    try:
        port = admin.network.create_port(network_id=net.id, device_owner="compute:nova",
                                         binding_host_id="src")
        bindings = list(admin.network.port_bindings(port.id))
        assert [(b.host, b.status, b.vnic_type) for b in bindings] == [("src", "ACTIVE", "normal")]
        assert [b.host for b in admin.network.port_bindings(port.id, status="INACTIVE")] == []
        r = nova.network.get(f"/ports/{port.id}/bindings")
        assert r.status_code == 200 and [b["host"] for b in r.json()["bindings"]] == ["src"]
        # Only the compute service creates bindings; without an OVN chassis on the host (no back
        # end here) the binding fails as upstream's OVN driver fails it.
        with pytest.raises(openstack.exceptions.ForbiddenException):
            admin.network.create_port_binding(port.id, host="dst")
        r = nova.network.post(f"/ports/{port.id}/bindings", json={"binding": {"host": "dst"}})
        neutron_error(r, 500, "PortBindingError", "could not be created or updated")
        r = nova.network.get(f"/ports/{port.id}/bindings/dst")
        neutron_error(r, 404, "PortBindingNotFound")
        # Deleting the active binding unbinds the port.
        r = nova.network.delete(f"/ports/{port.id}/bindings/src")
        assert r.status_code == 204, r.text
        assert admin.network.get_port(port.id).binding_host_id == ""
        assert list(admin.network.port_bindings(port.id, host="src")) == []
        plain = admin.network.create_port(network_id=net.id)
        r = nova.network.get(f"/ports/{plain.id}/bindings")
        neutron_error(r, 400, "BadRequest", "Operation only valid on compute")
    finally:
        for p in admin.network.ports(network_id=net.id):
            admin.network.delete_port(p)
        admin.network.delete_network(net)
