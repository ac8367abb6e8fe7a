"""Policy: project isolation, reader vs member, admin, shared networks, admin-only attributes."""

from concurrent.futures import ThreadPoolExecutor

import openstack.exceptions
import pytest

from conftest import Cli, neutron_error, unique


@pytest.fixture
def alices_net(alice):
    n = alice.network.create_network(name=unique("alice-net"))
    s = alice.network.create_subnet(network_id=n.id, ip_version=4, cidr="10.90.0.0/24")
    p = alice.network.create_port(network_id=n.id)
    n.sub, n.port = s, p
    yield n
    for port in alice.network.ports(network_id=n.id):
        alice.network.delete_port(port)
    alice.network.delete_network(n)


def test_member_cannot_see_or_change_another_projects_network(bob, bob_api, alices_net):
    nid = alices_net.id
    assert nid not in [n.id for n in bob.network.networks()]
    assert alices_net.sub.id not in [s.id for s in bob.network.subnets()]
    assert alices_net.port.id not in [p.id for p in bob.network.ports()]
    neutron_error(bob_api.get(f"/networks/{nid}"), 404, "NetworkNotFound")
    neutron_error(bob_api.put(f"/networks/{nid}", {"network": {"name": "mine"}}), 404)
    neutron_error(bob_api.delete(f"/networks/{nid}"), 404)
    neutron_error(bob_api.get(f"/subnets/{alices_net.sub.id}"), 404, "SubnetNotFound")
    neutron_error(bob_api.delete(f"/subnets/{alices_net.sub.id}"), 404)
    neutron_error(bob_api.get(f"/ports/{alices_net.port.id}"), 404, "PortNotFound")
    neutron_error(bob_api.put(f"/ports/{alices_net.port.id}", {"port": {"name": "x"}}), 404)
    neutron_error(bob_api.put(f"/networks/{nid}/tags/x"), 404)
    neutron_error(bob_api.post("/subnets", {"subnet": {"network_id": nid, "ip_version": 4, "cidr": "10.91.0.0/24"}}),
                  404, "NetworkNotFound")
    neutron_error(bob_api.post("/ports", {"port": {"network_id": nid}}), 404, "NetworkNotFound")
    assert bob.network.find_network(alices_net.name) is None
    with pytest.raises(openstack.exceptions.NotFoundException):
        bob.network.update_network(nid, name="stolen")


def test_member_cannot_create_for_another_project(alice_api, bob):
    r = alice_api.post("/networks", {"network": {"name": "x", "project_id": bob.current_project_id}})
    neutron_error(r, 400)


def test_reader_can_list_but_not_write(carol, carol_api, alices_net):
    assert alices_net.id in [n.id for n in carol.network.networks()]
    assert carol.network.get_network(alices_net.id).name == alices_net.name
    assert alices_net.port.id in [p.id for p in carol.network.ports()]
    neutron_error(carol_api.post("/networks", {"network": {"name": "nope"}}), 403, "PolicyNotAuthorized")
    neutron_error(carol_api.put(f"/networks/{alices_net.id}", {"network": {"name": "nope"}}), 403, "PolicyNotAuthorized")
    neutron_error(carol_api.delete(f"/networks/{alices_net.id}"), 403, "PolicyNotAuthorized")
    neutron_error(carol_api.post("/subnets", {"subnet": {"network_id": alices_net.id, "ip_version": 4,
                                                         "cidr": "10.92.0.0/24"}}), 403)
    neutron_error(carol_api.post("/ports", {"port": {"network_id": alices_net.id}}), 403)
    neutron_error(carol_api.delete(f"/ports/{alices_net.port.id}"), 403)
    neutron_error(carol_api.put(f"/networks/{alices_net.id}/tags/x"), 403)
    with pytest.raises(openstack.exceptions.ForbiddenException):
        carol.network.create_network(name="nope")


def test_admin_sees_everything(admin, admin_api, bob, alices_net):
    bobs = bob.network.create_network(name=unique("bob-net"))
    try:
        ids = {n.id for n in admin.network.networks()}
        assert {alices_net.id, bobs.id} <= ids
        assert [n.id for n in admin.network.networks(project_id=bob.current_project_id, name=bobs.name)] == [bobs.id]
        assert admin.network.get_port(alices_net.port.id).project_id == alices_net.project_id
        # Admin updates another project's network; the owner sees the change.
        admin.network.update_network(bobs, description="touched by admin")
        assert bob.network.get_network(bobs.id).description == "touched by admin"
        # Admin creates a network on behalf of bob's project.
        for_bob = admin.network.create_network(name=unique("for-bob"), project_id=bob.current_project_id)
        assert for_bob.project_id == bob.current_project_id
        assert bob.network.get_network(for_bob.id).id == for_bob.id
        bob.network.delete_network(for_bob)
    finally:
        bob.network.delete_network(bobs)


def test_shared_network(admin, alice, alice_api, bob, bob_api):
    shared = admin.network.create_network(name=unique("shared"), shared=True)
    sub = admin.network.create_subnet(network_id=shared.id, ip_version=4, cidr="10.93.0.0/24")
    try:
        assert shared.is_shared is True
        seen = bob.network.get_network(shared.id)
        assert seen.is_shared is True and seen.subnet_ids == [sub.id]
        assert shared.id in [n.id for n in bob.network.networks(is_shared=True)]
        assert sub.id in [s.id for s in bob.network.subnets(network_id=shared.id)]
        # Others may attach ports, which they own.
        port = bob.network.create_port(network_id=shared.id, fixed_ips=[{"subnet_id": sub.id}])
        assert port.project_id == bob.current_project_id
        # ... but not pick the address on someone else's network, nor change or delete the network.
        neutron_error(bob_api.post("/ports", {"port": {"network_id": shared.id,
                                                       "fixed_ips": [{"ip_address": "10.93.0.77"}]}}), 403)
        neutron_error(bob_api.put(f"/networks/{shared.id}", {"network": {"name": "mine"}}), 403)
        neutron_error(bob_api.delete(f"/networks/{shared.id}"), 403)
        neutron_error(bob_api.post("/subnets", {"subnet": {"network_id": shared.id, "ip_version": 4,
                                                           "cidr": "10.94.0.0/24"}}), 403)
        # Alice does not see bob's port.
        assert port.id not in [p.id for p in alice.network.ports(network_id=shared.id)]
        # Admin sees it; the network is in use.
        assert port.id in [p.id for p in admin.network.ports(network_id=shared.id)]
        bob.network.delete_port(port)
    finally:
        admin.network.delete_network(shared)


def test_admin_only_attributes(admin, admin_api, alice_api, alices_net):
    mine = alice_api.ok("GET", f"/networks/{alices_net.id}", 200)["network"]
    for attr in ("provider:network_type", "provider:physical_network", "provider:segmentation_id"):
        assert attr not in mine, (attr, mine)
        assert attr in admin_api.ok("GET", f"/networks/{alices_net.id}", 200)["network"]
    listed = alice_api.ok("GET", "/networks", 200, params={"id": alices_net.id})["networks"][0]
    assert "provider:network_type" not in listed
    port = alice_api.ok("GET", f"/ports/{alices_net.port.id}", 200)["port"]
    assert "binding:host_id" not in port
    assert "binding:host_id" in admin_api.ok("GET", f"/ports/{alices_net.port.id}", 200)["port"]
    neutron_error(alice_api.post("/networks", {"network": {"name": "x", "shared": True}}), 403, "PolicyNotAuthorized")
    neutron_error(alice_api.post("/networks", {"network": {"name": "x", "provider:network_type": "vxlan"}}),
                  403, "PolicyNotAuthorized")
    neutron_error(alice_api.put(f"/networks/{alices_net.id}", {"network": {"shared": True}}), 403)
    neutron_error(alice_api.post("/networks", {"network": {"name": "x", "router:external": True}}), 403)


def test_cli_as_reader(server, alices_net):
    carol = Cli(server, "neutrino-carol")
    with ThreadPoolExecutor(2) as pool:
        listed = pool.submit(carol.json, "network", "list")
        refused = pool.submit(carol.run, "network", "create", unique("nope"), check=False)
    assert alices_net.id in [n["ID"] for n in listed.result()]
    r = refused.result()
    assert r.returncode != 0 and "403" in r.stderr, r.stderr


def test_network_owner_sees_and_removes_others_ports_on_its_shared_network(admin, admin_api, alice, alice_api, bob,
                                                                           bob_api):
    shared = admin.network.create_network(name=unique("a-shared"), shared=True, project_id=alice.current_project_id)
    try:
        admin.network.create_subnet(network_id=shared.id, ip_version=4, cidr="10.95.0.0/24",
                                    project_id=alice.current_project_id)
        port = bob.network.create_port(network_id=shared.id)
        assert port.project_id == bob.current_project_id
        # The network owner reads other projects' ports on its network ...
        assert port.id in [p.id for p in alice.network.ports(network_id=shared.id)]
        assert alice_api.ok("GET", f"/ports/{port.id}", 200)["port"]["project_id"] == bob.current_project_id
        # ... and, unsharing is refused while others use it.
        neutron_error(admin_api.put(f"/networks/{shared.id}", {"network": {"shared": False}}), 409,
                      "InvalidSharedSetting")
        # The owner may delete bob's port.
        assert alice_api.delete(f"/ports/{port.id}").status_code == 204
        neutron_error(bob_api.get(f"/ports/{port.id}"), 404, "PortNotFound")
    finally:
        admin.network.delete_network(shared)



def test_cli_admin_shared_provider_network(admin_cli, alice):
    name = unique("cli-prov")
    net = admin_cli.json("network", "create", "--share", "--provider-network-type", "vxlan",
                         "--provider-segment", "3999", name)
    try:
        assert net["shared"] is True
        assert net["provider:network_type"] == "vxlan"
        assert net["provider:segmentation_id"] == 3999
        seen = alice.network.get_network(net["id"])
        assert seen.is_shared is True
        assert seen.provider_network_type is None  # hidden from members
    finally:
        admin_cli.run("network", "delete", net["id"])


def test_attributes_reserved_to_the_network_owner_on_a_shared_network(admin, bob, bob_api):
    """mac_address, fixed_ips:ip_address, port_security_enabled, allowed_address_pairs and network:* device
    owners need ADMIN or the network owner (neutron/conf/policies/port.py)."""
    shared = admin.network.create_network(name=unique("shared-attrs"), shared=True)
    try:
        admin.network.create_subnet(network_id=shared.id, ip_version=4, cidr="10.96.0.0/24")
        for extra in ({"mac_address": "fa:16:3e:96:00:01"},
                      {"port_security_enabled": False},
                      {"allowed_address_pairs": [{"ip_address": "10.96.0.200"}]},
                      {"device_owner": "network:dhcp"}):
            r = bob_api.post("/ports", {"port": {"network_id": shared.id, **extra}})
            neutron_error(r, 403, "PolicyNotAuthorized")
        port = bob.network.create_port(network_id=shared.id, device_owner="compute:nova")
        neutron_error(bob_api.put(f"/ports/{port.id}", {"port": {"fixed_ips": [{"ip_address": "10.96.0.201"}]}}),
                      403, "PolicyNotAuthorized")
        assert bob.network.update_port(port, name="fine").name == "fine"
        bob.network.delete_port(port)
    finally:
        admin.network.delete_network(shared)


def test_member_cannot_touch_provider_attributes_of_own_network(alice_api, alices_net):
    neutron_error(alice_api.put(f"/networks/{alices_net.id}", {"network": {"provider:segmentation_id": 77}}), 403)
    body = alice_api.ok("GET", f"/networks/{alices_net.id}", 200, params={"fields": ["id", "provider:network_type"]})
    assert body == {"network": {"id": alices_net.id}}
