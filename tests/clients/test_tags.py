"""Tags: the /tags API, `openstack network set --tag`, and the tags filters."""

import pytest

from conftest import neutron_error, unique


@pytest.fixture
def net(alice):
    n = alice.network.create_network(name=unique("tag-net"))
    yield n
    alice.network.delete_network(n)


def test_tags_api(alice_api, net):
    path = f"/networks/{net.id}/tags"
    rev0 = alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]["revision_number"]
    body = alice_api.ok("PUT", path, 200, {"tags": ["red", "blue"]})
    assert list(body) == ["tags"] and sorted(body["tags"]) == ["blue", "red"]
    assert sorted(alice_api.ok("GET", path, 200)["tags"]) == ["blue", "red"]
    rev1 = alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]["revision_number"]
    assert rev1 > rev0

    r = alice_api.put(f"{path}/green")
    assert r.status_code == 201, r.text
    r = alice_api.get(f"{path}/green")
    assert r.status_code == 204 and r.content == b""
    err = neutron_error(alice_api.get(f"{path}/purple"), 404, "TagNotFound")
    assert err["message"] == "Tag purple could not be found."
    r = alice_api.delete(f"{path}/green")
    assert r.status_code == 204
    neutron_error(alice_api.delete(f"{path}/green"), 404, "TagNotFound")

    # tag-creation: POST adds tags and answers those of the request, as upstream's.
    body = alice_api.ok("POST", path, 200, {"tags": ["blue", "yellow"]})
    assert body == {"tags": ["blue", "yellow"]}
    assert sorted(alice_api.ok("GET", f"/networks/{net.id}", 200)["network"]["tags"]) == ["blue", "red", "yellow"]

    r = alice_api.delete(path)
    assert r.status_code == 204
    assert alice_api.ok("GET", path, 200) == {"tags": []}


def test_tags_on_subnets_and_ports(alice, alice_api, net):
    sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.80.0.0/24")
    port = alice.network.create_port(network_id=net.id)
    try:
        alice_api.ok("PUT", f"/subnets/{sub.id}/tags", 200, {"tags": ["s1"]})
        alice_api.ok("PUT", f"/ports/{port.id}/tags/p1", 201)
        assert alice.network.get_subnet(sub.id).tags == ["s1"]
        assert alice.network.get_port(port.id).tags == ["p1"]
        assert [p.id for p in alice.network.ports(tags="p1")] == [port.id]
    finally:
        alice.network.delete_port(port)


def test_tag_errors(alice_api, net):
    neutron_error(alice_api.put(f"/networks/{net.id}/tags", {"tags": ["x" * 256]}), 400)
    neutron_error(alice_api.put(f"/networks/{net.id}/tags", {"tags": "notalist"}), 400)
    neutron_error(alice_api.put(f"/networks/{net.id}/tags", {"tags": [f"t{i}" for i in range(51)]}), 400)
    r = alice_api.put("/networks/5a5a5a5a-0000-4000-8000-000000000000/tags/x")
    assert r.status_code == 404, r.text


def test_sdk_tags(alice, net):
    alice.network.set_tags(net, ["a", "b"])
    assert sorted(alice.network.get_network(net.id).tags) == ["a", "b"]
    alice.network.add_tag(net, "c")
    alice.network.remove_tag(net, "a")
    assert sorted(alice.network.get_network(net.id).tags) == ["b", "c"]


def test_cli_tags(alice_cli, alice, net):
    alice_cli.run("network", "set", "--tag", "alpha", "--tag", "beta", net.id)
    assert sorted(alice_cli.json("network", "show", net.id)["tags"]) == ["alpha", "beta"]
    alice_cli.run("network", "unset", "--tag", "alpha", net.id)
    assert alice.network.get_network(net.id).tags == ["beta"]
    alice_cli.run("network", "set", "--no-tag", "--tag", "gamma", net.id)
    assert alice.network.get_network(net.id).tags == ["gamma"]


def test_tag_filters(alice, alice_api, alice_cli):
    t = unique("tf")
    a, b, c = f"{t}-a", f"{t}-b", f"{t}-c"
    nets = {}
    for name, tags in {"x": [t, a, b], "y": [t, a], "z": [t, c]}.items():
        n = alice.network.create_network(name=f"{t}-{name}")
        alice.network.set_tags(n, tags)
        nets[name] = n.id
    try:
        def q(**p):
            body = alice_api.ok("GET", "/networks", 200, params={"name": [f"{t}-x", f"{t}-y", f"{t}-z"], **p})
            return sorted(n["name"][-1] for n in body["networks"])
        assert q(tags=f"{a},{b}") == ["x"]
        assert q(tags=[a, b]) == ["x"]
        assert q(tags=a) == ["x", "y"]
        assert q(**{"tags-any": f"{b},{c}"}) == ["x", "z"]
        assert q(**{"not-tags": f"{a},{b}"}) == ["y", "z"]
        assert q(**{"not-tags-any": f"{b},{c}"}) == ["y"]
        assert q(tags=t, **{"not-tags-any": c}) == ["x", "y"]

        all_of, any_of, none_of = alice_cli.json_many(("network", "list", "--tags", f"{a},{b}"),
                                                      ("network", "list", "--any-tags", f"{b},{c}"),
                                                      ("network", "list", "--tags", t, "--not-tags", a))
        assert [r["ID"] for r in all_of] == [nets["x"]]
        assert sorted(r["ID"] for r in any_of) == sorted([nets["x"], nets["z"]])
        assert [r["ID"] for r in none_of] == [nets["z"]]
        assert sorted(n.id for n in alice.network.networks(any_tags=f"{a},{c}")) == sorted(nets.values())
    finally:
        for nid in nets.values():
            alice.network.delete_network(nid)


def test_tag_body_rules(alice_api, net):
    """neutron/extensions/tagging.py validate_tags: a 'tags' key holding a list of unique strings."""
    neutron_error(alice_api.put(f"/networks/{net.id}/tags", {"tags": ["dup", "dup"]}), 400, "InvalidInput",
                  "Duplicate items in the list: 'dup'")
    neutron_error(alice_api.post(f"/networks/{net.id}/tags", {"tags": ["dup", "dup"]}), 400, "InvalidInput")
    neutron_error(alice_api.put(f"/networks/{net.id}/tags", {"labels": ["x"]}), 400, "InvalidInput",
                  "Invalid tags body")
    assert alice_api.ok("GET", f"/networks/{net.id}/tags", 200) == {"tags": []}
