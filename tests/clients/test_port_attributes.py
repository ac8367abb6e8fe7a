"""The small ML2/OVN attribute extensions through the openstack CLI and openstacksdk:
`propagate_uplink_status` (uplink-status-propagation, -updatable), `hardware_offload_type`
(port-hardware-offload-type), `trusted` (port-trusted-vif, admin only) and networks' `ha`
(network_ha)."""

import openstack.exceptions
import pytest

from conftest import neutron_error, unique


def test_cli_uplink_status_offload_and_trusted(admin, alice, admin_cli, alice_cli):
    net = alice.network.create_network(name=unique("net"))
    try:
        alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.72.0.0/24")
        plain = alice_cli.json("port", "create", "--network", net.id, unique("port"))
        assert plain["propagate_uplink_status"] is True
        assert plain["hardware_offload_type"] is None
        offloaded = alice_cli.json(
            "port", "create", "--network", net.id, "--disable-uplink-status-propagation",
            "--hardware-offload-type", "switchdev", "--vnic-type", "direct", unique("port"))
        assert offloaded["propagate_uplink_status"] is False
        assert offloaded["hardware_offload_type"] == "switchdev"
        assert admin.network.get_port(offloaded["id"]).binding_profile == {"capabilities": ["switchdev"]}
        # uplink-status-propagation-updatable: `port set` may change it.
        alice_cli.run("port", "set", "--enable-uplink-status-propagation", offloaded["id"])
        assert alice.network.get_port(offloaded["id"]).propagate_uplink_status is True

        # trusted: the admin's; the member's request is refused.
        refused = alice_cli.run("port", "create", "--network", net.id, "--trusted", unique("port"), check=False)
        assert refused.returncode != 0
        assert "create_port:trusted is disallowed by policy" in refused.stderr
        trusted = admin_cli.json("port", "create", "--network", net.id, "--trusted",
                                 "--binding-profile", "pci_slot=0000:03:00.1", unique("port"))
        assert trusted["trusted"] is True
        assert trusted["binding_profile"] == {"pci_slot": "0000:03:00.1", "trusted": True}
        admin_cli.run("port", "set", "--not-trusted", trusted["id"])
        shown = admin_cli.json("port", "show", trusted["id"])
        assert shown["trusted"] is False
        assert shown["binding_profile"]["trusted"] is False
        # The member sees its port, not the admin-only attribute.
        assert alice_cli.json("port", "show", trusted["id"]).get("trusted") is None
        for port in (plain, offloaded, trusted):
            alice.network.delete_port(port["id"])
    finally:
        alice.network.delete_network(net)


def test_sdk_port_attributes(admin, alice, alice_api):
    net = alice.network.create_network(name=unique("net"))
    try:
        alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.73.0.0/24")
        port = alice.network.create_port(network_id=net.id, propagate_uplink_status=False,
                                         hardware_offload_type="switchdev")
        assert (port.propagate_uplink_status, port.hardware_offload_type) == (False, "switchdev")
        port = alice.network.update_port(port, propagate_uplink_status=True)
        assert port.propagate_uplink_status is True
        # Set at create only (the SDK would not send an unchanged value: ask directly).
        err = neutron_error(alice_api.put(f"/ports/{port.id}", {"port": {"hardware_offload_type": "switchdev"}}), 400)
        assert err["message"] == "Cannot update read-only attribute hardware_offload_type"
        with pytest.raises(openstack.exceptions.BadRequestException) as e:
            alice.network.create_port(network_id=net.id, hardware_offload_type="smartnic")
        assert "smartnic is not in valid_values" in str(e.value)
        with pytest.raises(openstack.exceptions.ForbiddenException):
            alice.network.update_port(port, trusted=True)

        trusted = admin.network.update_port(port, trusted=True)
        assert trusted.trusted is True
        assert trusted.binding_profile == {"capabilities": ["switchdev"], "trusted": True}
        assert alice.network.get_port(port.id).trusted is None
        alice.network.delete_port(port)

        # Not filters upstream (no `is_filter`).
        err = neutron_error(alice_api.get("/ports", params={"propagate_uplink_status": "true"}), 400)
        assert err["message"] == "['propagate_uplink_status'] is invalid attribute for filtering"
    finally:
        alice.network.delete_network(net)


def test_network_ha_flag(alice_api):
    created = alice_api.ok("POST", "/networks", 201, {"network": {"name": unique("net"), "ha": True}})["network"]
    try:
        assert "ha" not in created
        err = neutron_error(alice_api.put(f"/networks/{created['id']}", {"network": {"ha": False}}), 400)
        assert err["message"] == "Cannot update read-only attribute ha"
        err = neutron_error(alice_api.post("/networks", {"network": {"ha": "x"}}), 400, "InvalidInput")
        assert err["message"] == "Invalid input for operation: 'x' cannot be converted to boolean."
    finally:
        alice_api.ok("DELETE", f"/networks/{created['id']}", 204)


def test_extensions_listed(alice):
    aliases = {e.alias for e in alice.network.extensions()}
    assert {"uplink-status-propagation", "uplink-status-propagation-updatable",
            "port-hardware-offload-type", "port-trusted-vif", "network_ha"} <= aliases
