"""Service flavors (`flavors`, `l3-flavors`) through the openstack CLI and openstacksdk: flavors
and service profiles (admin writes, everyone reads flavors, only admins see profiles), profiles
bound to and unbound from flavors, and a router made with a flavor."""

from conftest import neutron_error, unique

OVN_DRIVER = "neutron.services.ovn_l3.service_providers.ovn.OvnDriver"


def test_flavors_with_cli(admin_cli, alice_cli):
    name = unique("flavor")
    f = admin_cli.json("network", "flavor", "create", "--service-type", "L3_ROUTER_NAT",
                       "--description", "gold routers", name)
    assert f["name"] == name and f["service_type"] == "L3_ROUTER_NAT" and f["enabled"] is True
    p = admin_cli.json("network", "flavor", "profile", "create", "--driver", OVN_DRIVER,
                       "--description", "ovn")
    assert p["driver"] == OVN_DRIVER and p["enabled"] is True

    admin_cli.run("network", "flavor", "add", "profile", name, p["id"])
    shown = alice_cli.json("network", "flavor", "show", name)
    assert shown["service_profile_ids"] == [p["id"]]
    listed = alice_cli.json("network", "flavor", "list")
    assert name in [x["Name"] for x in listed]

    # A member may read flavors but not write them, nor see profiles.
    r = alice_cli.run("network", "flavor", "create", "--service-type", "L3_ROUTER_NAT",
                      unique("flavor"), check=False)
    assert r.returncode != 0 and "disallowed by policy" in r.stderr
    assert alice_cli.json("network", "flavor", "profile", "list") == []

    # A router of the flavor; the flavor is in use then.
    router = alice_cli.json("router", "create", "--flavor", name, unique("r"))
    assert router["flavor_id"] == f["id"]
    r = admin_cli.run("network", "flavor", "delete", name, check=False)
    assert r.returncode != 0 and "used by some service instance" in r.stderr
    alice_cli.run("router", "delete", router["id"])

    admin_cli.run("network", "flavor", "set", "--disable", "--name", name + "-off", name)
    assert admin_cli.json("network", "flavor", "show", name + "-off")["enabled"] is False
    admin_cli.run("network", "flavor", "remove", "profile", name + "-off", p["id"])
    assert admin_cli.json("network", "flavor", "show", name + "-off")["service_profile_ids"] == []
    admin_cli.run("network", "flavor", "profile", "set", "--disable", p["id"])
    assert admin_cli.json("network", "flavor", "profile", "show", p["id"])["enabled"] is False
    admin_cli.run("network", "flavor", "profile", "delete", p["id"])
    admin_cli.run("network", "flavor", "delete", name + "-off")


def test_flavors_with_sdk(admin, alice, admin_api, alice_api):
    f = admin.network.create_flavor(name=unique("flavor"), service_type="L3_ROUTER_NAT")
    sp = admin.network.create_service_profile(metainfo="{'x': 1}")
    assert sp.driver == "" and sp.meta_info == "{'x': 1}"
    ovn = admin.network.create_service_profile(driver=OVN_DRIVER)
    admin.network.associate_flavor_with_service_profile(f, ovn)
    assert admin.network.get_flavor(f.id).service_profile_ids == [ovn.id]
    assert [x.id for x in alice.network.flavors(name=f.name)] == [f.id]
    assert alice.network.find_service_profile(ovn.id) is None

    r = admin_api.get(f"/flavors/{f.id}/next_providers")
    assert r.json() == {"next_providers": [{"driver": OVN_DRIVER, "provider": "ovn"}]}
    router = alice.network.create_router(name=unique("r"), flavor_id=f.id)
    assert router.flavor_id == f.id

    # Errors as upstream answers them.
    neutron_error(admin_api.post(f"/flavors/{f.id}/service_profiles", {"service_profile": {"id": ovn.id}}),
                  409, "FlavorServiceProfileBindingExists")
    neutron_error(admin_api.put(f"/service_profiles/{ovn.id}", {"service_profile": {"enabled": False}}),
                  409, "ServiceProfileInUse")
    neutron_error(admin_api.post("/service_profiles", {"service_profile": {"driver": "no.Such"}}),
                  404, "ServiceProfileDriverNotFound")
    neutron_error(admin_api.post("/flavors", {"flavor": {"service_type": "NOPE"}}), 400, "InvalidServiceType")
    neutron_error(alice_api.post(f"/flavors/{f.id}/service_profiles", {"service_profile": {"id": sp.id}}),
                  403, "PolicyNotAuthorized")
    neutron_error(alice_api.post("/routers", {"router": {"flavor_id": sp.id}}), 404, "FlavorNotFound")

    alice.network.delete_router(router)
    admin.network.disassociate_flavor_from_service_profile(f, ovn)
    neutron_error(admin_api.delete(f"/flavors/{f.id}/service_profiles/{ovn.id}"),
                  404, "FlavorServiceProfileBindingNotFound")
    admin.network.delete_flavor(f)
    admin.network.delete_service_profile(ovn)
    admin.network.delete_service_profile(sp)
    assert admin.network.find_flavor(f.id) is None
