"""Errors: status codes and the NeutronError envelope (type and message), as clients see them."""

import openstack.exceptions
import pytest
import requests

from conftest import neutron_error, unique

MISSING = "6b1f0c7e-0000-4000-8000-00000000abcd"


@pytest.fixture
def net(alice):
    n = alice.network.create_network(name=unique("err-net"))
    yield n
    for p in alice.network.ports(network_id=n.id):
        alice.network.delete_port(p)
    try:
        alice.network.delete_network(n)
    except openstack.exceptions.NotFoundException:
        pass


def test_not_found_per_resource(alice_api):
    err = neutron_error(alice_api.get(f"/networks/{MISSING}"), 404, "NetworkNotFound")
    assert err["message"] == f"Network {MISSING} could not be found."
    assert err["detail"] == ""
    neutron_error(alice_api.get(f"/subnets/{MISSING}"), 404, "SubnetNotFound", MISSING)
    neutron_error(alice_api.get(f"/ports/{MISSING}"), 404, "PortNotFound", MISSING)
    neutron_error(alice_api.put(f"/networks/{MISSING}", {"network": {"name": "x"}}), 404, "NetworkNotFound")
    neutron_error(alice_api.delete(f"/ports/{MISSING}"), 404, "PortNotFound")
    # Path ids are not validated: a name in the path is a clean 404 (what find_* relies on).
    neutron_error(alice_api.get("/networks/not-a-uuid"), 404)
    neutron_error(alice_api.get("/no-such-collection"), 404)


def test_sdk_and_cli_see_not_found(alice, alice_cli):
    with pytest.raises(openstack.exceptions.NotFoundException) as e:
        alice.network.get_network(MISSING)
    assert MISSING in str(e.value)
    assert alice.network.find_network("no-such-network-" + unique()) is None
    r = alice_cli.run("network", "show", "no-such-network", check=False)
    assert r.returncode == 1
    assert "No Network found for no-such-network" in r.stderr


def test_overlapping_subnet(alice, alice_api, net):
    alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.60.0.0/24")
    r = alice_api.post("/subnets", {"subnet": {"network_id": net.id, "ip_version": 4, "cidr": "10.60.0.128/25"}})
    err = neutron_error(r, 400, "InvalidInput", "overlaps with another subnet")
    assert err["message"].startswith("Invalid input for operation: "), err
    with pytest.raises(openstack.exceptions.BadRequestException) as e:
        alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.60.0.0/16")
    assert "overlaps with another subnet" in str(e.value)
    # The same range on another network is fine.
    other = alice.network.create_network(name=unique("overlap"))
    try:
        alice.network.create_subnet(network_id=other.id, ip_version=4, cidr="10.60.0.0/24")
    finally:
        alice.network.delete_network(other)


def test_ip_already_allocated(alice, alice_api, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.61.0.0/24")
    alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.61.0.5"}])
    r = alice_api.post("/ports", {"port": {"network_id": net.id, "fixed_ips": [{"ip_address": "10.61.0.5"}]}})
    err = neutron_error(r, 409, "IpAddressAlreadyAllocated")
    assert err["message"] == f"IP address 10.61.0.5 already allocated in subnet {sub.id}"
    with pytest.raises(openstack.exceptions.ConflictException):
        alice.network.create_port(network_id=net.id, fixed_ips=[{"subnet_id": sub.id, "ip_address": "10.61.0.5"}])


def test_ip_exhaustion(alice, alice_api, net):
    alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.62.0.0/29",
                                allocation_pools=[{"start": "10.62.0.2", "end": "10.62.0.3"}])
    got = {alice.network.create_port(network_id=net.id).fixed_ips[0]["ip_address"] for _ in range(2)}
    assert got == {"10.62.0.2", "10.62.0.3"}
    r = alice_api.post("/ports", {"port": {"network_id": net.id}})
    err = neutron_error(r, 409, "IpAddressGenerationFailure")
    assert err["message"] == f"No more IP addresses available on network {net.id}."
    # An explicit address outside the pool still works.
    alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.62.0.6"}])


def test_network_in_use(alice, alice_api, net):
    alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.63.0.0/24")
    port = alice.network.create_port(network_id=net.id)
    err = neutron_error(alice_api.delete(f"/networks/{net.id}"), 409, "NetworkInUse")
    assert "There are one or more ports still in use on the network" in err["message"]
    assert port.id in err["message"]
    with pytest.raises(openstack.exceptions.ConflictException):
        alice.network.delete_network(net)
    alice.network.delete_port(port)
    alice_api.ok("DELETE", f"/networks/{net.id}", 204)


def test_subnet_in_use(alice, alice_api, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.64.0.0/24")
    port = alice.network.create_port(network_id=net.id)
    err = neutron_error(alice_api.delete(f"/subnets/{sub.id}"), 409, "SubnetInUse")
    assert err["message"] == (f"Unable to complete operation on subnet {sub.id}: "
                              "One or more ports have an IP allocation from this subnet.")
    alice.network.delete_port(port)
    r = alice_api.delete(f"/subnets/{sub.id}")
    assert r.status_code == 204 and r.content == b""


def test_bad_input(alice_api, net):
    # A boolean's converter (neutron_lib convert_to_boolean) raises InvalidInput itself, before any
    # validator names the attribute.
    err = neutron_error(alice_api.post("/networks", {"network": {"admin_state_up": "maybe"}}), 400, "InvalidInput")
    assert err["message"] == "Invalid input for operation: 'maybe' cannot be converted to boolean.", err
    neutron_error(alice_api.post("/subnets", {"subnet": {"network_id": net.id, "ip_version": 4, "cidr": "10.65.0.0/33"}}),
                  400, "HTTPBadRequest", "Invalid input for cidr")
    neutron_error(alice_api.post("/subnets", {"subnet": {"network_id": net.id, "ip_version": 5, "cidr": "10.65.0.0/24"}}),
                  400, "HTTPBadRequest", "Invalid input for ip_version")
    neutron_error(alice_api.post("/subnets", {"subnet": {"ip_version": 4, "cidr": "10.65.0.0/24"}}),
                  400, "HTTPBadRequest", "Failed to parse request. Required attribute 'network_id' not specified")
    neutron_error(alice_api.post("/networks", {"network": {"id": MISSING}}), 400, "HTTPBadRequest",
                  "Attribute 'id' not allowed in POST")
    neutron_error(alice_api.post("/networks", {"network": {"name": "x" * 256}}), 400, "HTTPBadRequest")
    neutron_error(alice_api.post("/networks", {"network": {"name": " leading space"}}), 400, "HTTPBadRequest")
    neutron_error(alice_api.put(f"/networks/{net.id}", {"network": {"status": "DOWN"}}), 400, "HTTPBadRequest")
    neutron_error(alice_api.post("/networks", {"network": "a string"}), 400, "HTTPBadRequest")
    neutron_error(alice_api.post("/networks", {"networks": []}), 400, "HTTPBadRequest")
    neutron_error(alice_api.post("/networks", {"subnet": {}}), 400, "HTTPBadRequest")
    neutron_error(alice_api.get("/networks", params={"limit": "x"}), 400, "HTTPBadRequest")
    neutron_error(alice_api.get("/networks", params={"limit": "-1"}), 400, "HTTPBadRequest")
    neutron_error(alice_api.post("/networks", {"network": {"project_id": "a", "tenant_id": "b"}}), 400)


def test_unknown_attribute(alice_api):
    err = neutron_error(alice_api.post("/networks", {"network": {"name": "x", "foo": 1, "bar": 2}}),
                        400, "HTTPBadRequest")
    assert err["message"] in ("Unrecognized attribute(s) 'foo, bar'", "Unrecognized attribute(s) 'bar, foo'"), err
    neutron_error(alice_api.post("/ports", {"port": {"network_id": MISSING, "colour": "red"}}), 400, "HTTPBadRequest",
                  "Unrecognized attribute(s) 'colour'")


def test_malformed_json(alice_api):
    err = neutron_error(alice_api.post("/networks", raw='{"network": {"name": '), 400, "HTTPBadRequest")
    assert err["message"]
    neutron_error(alice_api.post("/networks", raw="[1, 2]"), 400, "HTTPBadRequest")
    neutron_error(alice_api.request("PUT", f"/networks/{MISSING}", raw="not json"), 400, "HTTPBadRequest")


def test_methods(alice_api, net):
    assert alice_api.post(f"/networks/{net.id}", {"network": {}}).status_code == 405
    assert alice_api.delete("/networks").status_code == 405
    assert alice_api.request("PATCH", f"/networks/{net.id}", body={"network": {}}).status_code == 405
    neutron_error(alice_api.delete(f"/networks/{net.id}", body={"x": 1}), 400)


def test_head_is_not_allowed(alice_api, net):
    assert alice_api.request("HEAD", "/networks").status_code == 405
    assert alice_api.request("HEAD", f"/networks/{net.id}").status_code == 405


def test_extensions_are_read_only(alice_api):
    # Writes on /extensions are 404, not 405 (legacy behaviour Neutron keeps).
    assert alice_api.post("/extensions", {"extension": {}}).status_code == 404
    assert alice_api.delete("/extensions/pagination").status_code == 404


def test_if_match_revision(alice_api, net):
    rev = alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]["revision_number"]
    r = alice_api.put(f"/networks/{net.id}", {"network": {"name": "stale"}},
                      headers={"If-Match": f"revision_number={rev + 7}"})
    err = neutron_error(r, 412, "RevisionNumberConstraintFailed")
    assert err["message"] == f"Constrained to {rev + 7}, but current revision is {rev}", err
    assert alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]["name"] == net.name
    body = alice_api.ok("PUT", f"/networks/{net.id}", 200, {"network": {"name": "fresh"}},
                        headers={"If-Match": f"revision_number={rev}"})["network"]
    assert body["name"] == "fresh" and body["revision_number"] > rev
    neutron_error(alice_api.delete(f"/networks/{net.id}", headers={"If-Match": f"revision_number={rev}"}),
                  412, "RevisionNumberConstraintFailed")


def test_unauthenticated(server):
    r = requests.get(server.url + "/v2.0/networks", timeout=10)
    assert r.status_code == 401
    assert r.headers.get("WWW-Authenticate", "").startswith("Keystone uri=")
    r = requests.get(server.url + "/v2.0/networks", headers={"X-Auth-Token": "garbage"}, timeout=10)
    assert r.status_code == 401


def test_port_update_errors(alice, alice_api, net):
    alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.66.0.0/24")
    a = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.66.0.10"}])
    b = alice.network.create_port(network_id=net.id)
    neutron_error(alice_api.put(f"/ports/{b.id}", {"port": {"fixed_ips": [{"ip_address": "10.66.0.10"}]}}),
                  409, "IpAddressAlreadyAllocated")
    neutron_error(alice_api.put(f"/ports/{b.id}", {"port": {"network_id": net.id}}), 400, "HTTPBadRequest")
    neutron_error(alice_api.put(f"/ports/{b.id}", {"port": {"mac_address": a.mac_address}}), 409, "MacAddressInUse")
    neutron_error(alice_api.put(f"/ports/{b.id}", {"port": {"colour": "red"}}), 400, "HTTPBadRequest",
                  "Unrecognized attribute(s) 'colour'")
    assert alice.network.get_port(b.id).fixed_ips == b.fixed_ips


def test_gateway_update_into_pool(alice, alice_api, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.67.0.0/24")
    neutron_error(alice_api.put(f"/subnets/{sub.id}", {"subnet": {"gateway_ip": "10.67.0.50"}}),
                  409, "GatewayConflictWithAllocationPools")
    assert alice.network.get_subnet(sub.id).gateway_ip == "10.67.0.1"


def test_service_ports_do_not_keep_a_network_or_subnet_in_use(alice, alice_api, net):
    """network:dhcp ports are deleted with their network and do not block subnet deletion (§5.6)."""
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.68.0.0/24")
    dhcp = alice.network.create_port(network_id=net.id, device_owner="network:dhcp", device_id="dhcp-agent")
    assert dhcp.fixed_ips[0]["subnet_id"] == sub.id
    r = alice_api.delete(f"/subnets/{sub.id}")
    assert r.status_code == 204, r.text
    assert alice.network.get_port(dhcp.id).fixed_ips == []
    r = alice_api.delete(f"/networks/{net.id}")
    assert r.status_code == 204, r.text
    neutron_error(alice_api.get(f"/ports/{dhcp.id}"), 404, "PortNotFound")


def test_router_interface_port_keeps_the_network_in_use(alice, alice_api, net):
    alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.69.0.0/24")
    rif = alice.network.create_port(network_id=net.id, device_owner="network:router_interface", device_id="r1")
    err = neutron_error(alice_api.delete(f"/networks/{net.id}"), 409, "NetworkInUse")
    assert rif.id in err["message"]


def test_keep_alive_survives_requests_whose_body_is_not_read(server, alice, alice_api, net):
    """Clients (keystoneauth/requests) reuse connections. An error answered before the request body was read
    (405, unknown path, 401 on a POST) must not leave the server closing that connection under the client:
    the next request on it then fails with 'Remote end closed connection without response'."""
    session = requests.Session()
    token = alice_api.token
    cases = [("POST", f"/networks/{net.id}", token, 405), ("POST", "/no-such-collection", token, 404),
             ("POST", "/networks", "not-a-token", 401)]
    broken = []
    for method, path, tok, status in cases:
        for i in range(300):
            r = session.request(method, server.url + "/v2.0" + path, json={"network": {"name": "x" * 200}},
                                headers={"X-Auth-Token": tok}, timeout=10)
            assert r.status_code == status, r.text
            try:
                ok = session.get(server.url + f"/v2.0/networks/{net.id}", headers={"X-Auth-Token": token}, timeout=10)
                assert ok.status_code == 200
            except requests.ConnectionError as e:
                broken.append((method, path, i, str(e)[:120]))
                break
    assert not broken, broken
