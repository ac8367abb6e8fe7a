"""List queries: filters, sorting, pagination (limit/marker, links, sdk generators) and fields."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from conftest import neutron_error, unique


@pytest.fixture
def five(alice):
    """Five networks that share a tag; names sort as n0..n4, admin_state_up alternates."""
    tag = unique("q")
    nets = []
    for i in range(5):
        n = alice.network.create_network(name=f"{tag}-n{i}", admin_state_up=(i % 2 == 0))
        alice.network.set_tags(n, [tag])
        nets.append(n)
    yield tag, nets
    for n in nets:
        alice.network.delete_network(n)


def names(body, coll="networks"):
    return [x["name"] for x in body[coll]]


def test_filters(alice_api, five):
    tag, nets = five
    q = lambda **p: alice_api.ok("GET", "/networks", 200, params={"tags": tag, **p})
    # Repeating a key ORs its values; different keys AND.
    body = q(name=[f"{tag}-n1", f"{tag}-n3", "nope"])
    assert sorted(names(body)) == [f"{tag}-n1", f"{tag}-n3"]
    body = q(name=[f"{tag}-n1", f"{tag}-n2"], admin_state_up="False")
    assert names(body) == [f"{tag}-n1"]
    for value in ("True", "true", "1"):
        assert sorted(names(q(admin_state_up=value))) == [f"{tag}-n0", f"{tag}-n2", f"{tag}-n4"]
    assert [n["id"] for n in q(id=nets[4].id)["networks"]] == [nets[4].id]
    assert q(name="does-not-exist")["networks"] == []


def test_unknown_filter_is_rejected(alice_api):
    neutron_error(alice_api.get("/networks", params={"colour": "red"}), 400, "HTTPBadRequest")


def test_port_filters(alice, alice_api):
    net = alice.network.create_network(name=unique("pf"))
    try:
        sub = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.70.0.0/24")
        a = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.70.0.11"}],
                                      device_id="vm-a", mac_address="fa:16:3e:70:00:11")
        b = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.70.0.12"}], device_id="vm-b")
        c = alice.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.70.0.13"}], device_id="vm-b")
        q = lambda **p: sorted(x["id"] for x in alice_api.ok("GET", "/ports", 200, params={"network_id": net.id, **p})["ports"])
        assert q(**{"fixed_ips": "ip_address=10.70.0.12"}) == [b.id]
        assert q(**{"fixed_ips": ["ip_address=10.70.0.12", "ip_address=10.70.0.13"]}) == sorted([b.id, c.id])
        assert q(**{"fixed_ips": f"subnet_id={sub.id}"}) == sorted([a.id, b.id, c.id])
        assert q(device_id="vm-b") == sorted([b.id, c.id])
        assert q(device_id=["vm-a", "vm-b"]) == sorted([a.id, b.id, c.id])
        assert q(mac_address="FA:16:3E:70:00:11") == [a.id]
        # The same through the SDK and the CLI.
        assert [p.id for p in alice.network.ports(fixed_ips="ip_address=10.70.0.11")] == [a.id]
        assert sorted(p.id for p in alice.network.ports(network_id=net.id, device_id="vm-b")) == sorted([b.id, c.id])
    finally:
        for p in alice.network.ports(network_id=net.id):
            alice.network.delete_port(p)
        alice.network.delete_network(net)


def test_sort_by_several_keys(alice_api, five):
    tag, _ = five
    body = alice_api.ok("GET", "/networks", 200, params=[("tags", tag), ("sort_key", "admin_state_up"),
                                                          ("sort_dir", "asc"), ("sort_key", "name"), ("sort_dir", "desc")])
    assert names(body) == [f"{tag}-n3", f"{tag}-n1", f"{tag}-n4", f"{tag}-n2", f"{tag}-n0"]
    body = alice_api.ok("GET", "/networks", 200, params=[("tags", tag), ("sort_key", "name"), ("sort_dir", "desc")])
    assert names(body) == [f"{tag}-n{i}" for i in (4, 3, 2, 1, 0)]
    body = alice_api.ok("GET", "/networks", 200, params=[("tags", tag), ("sort_key", "name")])
    assert names(body) == [f"{tag}-n{i}" for i in range(5)]


def test_sort_errors(alice_api):
    neutron_error(alice_api.get("/networks", params=[("sort_key", "name"), ("sort_key", "id"), ("sort_dir", "asc")]), 400)
    neutron_error(alice_api.get("/networks", params=[("sort_key", "subnets"), ("sort_dir", "asc")]), 400)
    neutron_error(alice_api.get("/networks", params=[("sort_key", "name"), ("sort_dir", "sideways")]), 400)


def test_limit_marker_and_links(alice_api, server, five):
    tag, nets = five
    base = [("tags", tag), ("sort_key", "name"), ("sort_dir", "asc")]
    page = alice_api.ok("GET", "/networks", 200, params=base + [("limit", "2")])
    assert names(page) == [f"{tag}-n0", f"{tag}-n1"]
    links = {l["rel"]: l["href"] for l in page["networks_links"]}
    assert set(links) == {"next", "previous"}
    nxt = urlparse(links["next"])
    assert f"{nxt.scheme}://{nxt.netloc}" == server.url and nxt.path == "/v2.0/networks"
    assert parse_qs(nxt.query)["marker"] == [nets[1].id]
    assert parse_qs(nxt.query)["limit"] == ["2"]

    # Walk the next links to the end.
    seen, href, pages = [], links["next"], 1
    seen += names(page)
    while href:
        r = alice_api.session.get(href, headers={"X-Auth-Token": alice_api.token}, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += names(body)
        pages += 1
        href = {l["rel"]: l["href"] for l in body.get("networks_links", [])}.get("next")
        assert pages <= 5
    assert seen == [f"{tag}-n{i}" for i in range(5)]

    # marker: the items after it; page_reverse: the items before it, in normal order.
    after = alice_api.ok("GET", "/networks", 200, params=base + [("limit", "2"), ("marker", nets[2].id)])
    assert names(after) == [f"{tag}-n3", f"{tag}-n4"]
    before = alice_api.ok("GET", "/networks", 200,
                          params=base + [("limit", "2"), ("marker", nets[2].id), ("page_reverse", "True")])
    assert names(before) == [f"{tag}-n0", f"{tag}-n1"]
    last = alice_api.ok("GET", "/networks", 200, params=base + [("limit", "2"), ("marker", nets[4].id)])
    assert last["networks"] == []
    assert "next" not in {l["rel"] for l in last.get("networks_links", [])}
    # No limit: no links.
    assert "networks_links" not in alice_api.ok("GET", "/networks", 200, params=base)


def test_unknown_marker(alice_api):
    neutron_error(alice_api.get("/networks", params={"limit": 2, "marker": "7f7f7f7f-0000-4000-8000-000000000000"}),
                  404, "NetworkNotFound")


def test_sdk_paginated_generators(alice, five):
    tag, nets = five
    got = [n.name for n in alice.network.networks(tags=tag, limit=2, sort_key="name", sort_dir="asc")]
    assert got == [f"{tag}-n{i}" for i in range(5)]
    got = [n.name for n in alice.network.networks(tags=tag, limit=1, sort_key="name", sort_dir="desc")]
    assert got == [f"{tag}-n{i}" for i in (4, 3, 2, 1, 0)]
    got = [n.id for n in alice.network.networks(tags=tag, paginated=True, limit=3)]
    assert sorted(got) == sorted(n.id for n in nets)


def test_cli_list_sort_and_limit(alice_cli, five):
    tag, _ = five
    listed = alice_cli.json("network", "list", "--tags", tag, "--sort-column", "Name", "--sort-ascending")
    assert [r["Name"] for r in listed] == [f"{tag}-n{i}" for i in range(5)]


def test_fields(alice_api, five):
    tag, nets = five
    body = alice_api.ok("GET", "/networks", 200, params=[("tags", tag), ("fields", "id"), ("fields", "name"),
                                                          ("fields", "name"), ("fields", "")])
    assert len(body["networks"]) == 5
    for n in body["networks"]:
        assert set(n) == {"id", "name"}
    body = alice_api.ok("GET", f"/networks/{nets[0].id}", 200, params=[("fields", "project_id")])
    assert body == {"network": {"project_id": nets[0].project_id}}
    body = alice_api.ok("GET", f"/networks/{nets[0].id}", 200, params=[("fields", "status"), ("fields", "tags")])
    assert body == {"network": {"status": "ACTIVE", "tags": [tag]}}
    # fields and pagination together: the marker still works.
    page = alice_api.ok("GET", "/networks", 200, params=[("tags", tag), ("fields", "name"), ("limit", "2"),
                                                          ("sort_key", "name"), ("sort_dir", "asc")])
    assert page["networks"] == [{"name": f"{tag}-n0"}, {"name": f"{tag}-n1"}]
    nxt = {l["rel"]: l["href"] for l in page["networks_links"]}["next"]
    assert parse_qs(urlparse(nxt).query)["marker"] == [nets[1].id]


def test_project_and_tenant_filters_are_the_same(alice_api, five):
    tag, nets = five
    pid = alice_api.project_id
    by_project = alice_api.ok("GET", "/networks", 200, params={"tags": tag, "project_id": pid})["networks"]
    by_tenant = alice_api.ok("GET", "/networks", 200, params={"tags": tag, "tenant_id": pid})["networks"]
    assert sorted(n["id"] for n in by_project) == sorted(n["id"] for n in by_tenant) == sorted(n.id for n in nets)
    assert alice_api.ok("GET", "/networks", 200, params={"tags": tag, "project_id": "someone-else"})["networks"] == []


def test_subnet_filters_and_sorting(alice, alice_api):
    net = alice.network.create_network(name=unique("sf"))
    try:
        a = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.71.2.0/24", name="b-sub")
        b = alice.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.71.1.0/24", name="a-sub",
                                        is_dhcp_enabled=False)
        c = alice.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:71::/64", name="c-sub")
        q = lambda **p: [s["id"] for s in alice_api.ok("GET", "/subnets", 200, params={"network_id": net.id, **p})["subnets"]]
        assert sorted(q(ip_version=4)) == sorted([a.id, b.id])
        assert q(ip_version=6) == [c.id]
        assert q(cidr="10.71.1.0/24") == [b.id]
        assert q(enable_dhcp="false") == [b.id]
        assert q(gateway_ip="10.71.2.1") == [a.id]
        assert q(sort_key="name", sort_dir="asc") == [b.id, a.id, c.id]
        assert q(sort_key="name", sort_dir="desc") == [c.id, a.id, b.id]
        page = alice_api.ok("GET", "/subnets", 200, params=[("network_id", net.id), ("sort_key", "name"),
                                                             ("sort_dir", "asc"), ("limit", "2")])
        assert [s["id"] for s in page["subnets"]] == [b.id, a.id]
        assert "next" in {l["rel"] for l in page["subnets_links"]}
        got = [s.id for s in alice.network.subnets(network_id=net.id, limit=1, sort_key="name", sort_dir="asc")]
        assert got == [b.id, a.id, c.id]
    finally:
        alice.network.delete_network(net)


def test_port_pagination_and_previous_links(alice, alice_api):
    net = alice.network.create_network(name=unique("pp"))
    try:
        ports = [alice.network.create_port(network_id=net.id, name=f"p{i}", fixed_ips=[]) for i in range(5)]
        ids = [p.id for p in ports]
        base = [("network_id", net.id), ("sort_key", "name"), ("sort_dir", "asc")]
        # Walk backwards from the end with previous links: the reverse of the full list, page by page.
        last = alice_api.ok("GET", "/ports", 200, params=base + [("limit", "2"), ("page_reverse", "True")])
        assert [p["id"] for p in last["ports"]] == ids[3:5]
        seen = [p["id"] for p in last["ports"]]
        links = {l["rel"]: l["href"] for l in last["ports_links"]}
        hops = 0
        while "previous" in links and hops < 5:
            r = alice_api.session.get(links["previous"], headers={"X-Auth-Token": alice_api.token}, timeout=10)
            assert r.status_code == 200, r.text
            body = r.json()
            seen = [p["id"] for p in body["ports"]] + seen
            links = {l["rel"]: l["href"] for l in body.get("ports_links", [])}
            hops += 1
        assert seen == ids
        assert [p.id for p in alice.network.ports(network_id=net.id, limit=2, sort_key="name", sort_dir="asc")] == ids
    finally:
        for p in alice.network.ports(network_id=net.id):
            alice.network.delete_port(p)
        alice.network.delete_network(net)


def test_json_suffix_and_versions(server, alice_api, five):
    tag, nets = five
    body = alice_api.ok("GET", "/networks.json", 200, params={"tags": tag})
    assert len(body["networks"]) == 5
    assert alice_api.ok("GET", f"/networks/{nets[0].id}.json", 200)["network"]["id"] == nets[0].id
    versions = requests.get(server.url + "/", timeout=10).json()
    assert list(versions) == ["versions"]
    assert versions["versions"][0]["id"] == "v2.0" and versions["versions"][0]["status"] == "CURRENT"


def test_extensions(alice, alice_api):
    aliases = {e["alias"] for e in alice_api.ok("GET", "/extensions", 200)["extensions"]}
    for alias in ("standard-attr-tag", "pagination", "sorting", "project-id", "allowed-address-pairs",
                  "extra_dhcp_opt", "binding", "port-security", "provider", "revision-if-match", "filter-validation"):
        assert alias in aliases, alias
    one = alice_api.ok("GET", "/extensions/pagination", 200)["extension"]
    assert set(one) == {"name", "alias", "description", "updated", "links"}
    neutron_error(alice_api.get("/extensions/no-such-ext"), 404)
    assert alice.network.find_extension("sorting") is not None


def walk_next(api, coll, params):
    """Follows rel=next links from the first page; returns every item in order."""
    body = api.ok("GET", f"/{coll}", 200, params=params)
    items, hops = list(body[coll]), 0
    href = {l["rel"]: l["href"] for l in body.get(f"{coll}_links", [])}.get("next")
    while href and hops < 20:
        r = api.session.get(href, headers={"X-Auth-Token": api.token}, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body[coll]
        href = {l["rel"]: l["href"] for l in body.get(f"{coll}_links", [])}.get("next")
        hops += 1
    return items


def test_pagination_on_a_non_unique_sort_key(alice_api, five):
    """Ties on the sort key are broken by id, so walking pages neither repeats nor skips items."""
    tag, nets = five
    for direction in ("asc", "desc"):
        items = walk_next(alice_api, "networks", [("tags", tag), ("sort_key", "admin_state_up"),
                                                  ("sort_dir", direction), ("limit", "2")])
        assert sorted(n["id"] for n in items) == sorted(n.id for n in nets), direction
        states = [n["admin_state_up"] for n in items]
        assert states == sorted(states, reverse=(direction == "desc"))


def test_links_on_short_and_empty_pages(alice_api, five):
    tag, nets = five
    base = [("tags", tag), ("sort_key", "name"), ("sort_dir", "asc")]
    short = alice_api.ok("GET", "/networks", 200, params=base + [("limit", "10")])
    assert len(short["networks"]) == 5
    rels = {l["rel"]: l["href"] for l in short.get("networks_links", [])}
    assert "next" not in rels and "previous" in rels
    assert parse_qs(urlparse(rels["previous"]).query)["marker"] == [nets[0].id]
    empty = alice_api.ok("GET", "/networks", 200, params=base + [("limit", "2"), ("marker", nets[4].id)])
    rels = {l["rel"]: l["href"] for l in empty.get("networks_links", [])}
    assert "next" not in rels and "previous" in rels
    assert "marker" not in parse_qs(urlparse(rels["previous"]).query)


def test_changed_since(alice, alice_api, five):
    tag, nets = five
    stamp = alice_api.ok("GET", f"/networks/{nets[4].id}", 200)["network"]["updated_at"]
    body = alice_api.ok("GET", "/networks", 200, params={"tags": tag, "changed_since": stamp})
    assert nets[4].id in [n["id"] for n in body["networks"]]
    body = alice_api.ok("GET", "/networks", 200, params={"tags": tag, "changed_since": "2999-01-01T00:00:00Z"})
    assert body["networks"] == []
    neutron_error(alice_api.get("/networks", params={"changed_since": "yesterday"}), 400)


def test_subnet_shared_filter(admin, alice, alice_api):
    """Subnet 'shared' is hidden but is_filter (neutron-lib subnet definition): it follows the network."""
    mine = alice.network.create_network(name=unique("sh"))
    shared = admin.network.create_network(name=unique("sh"), shared=True)
    try:
        a = alice.network.create_subnet(network_id=mine.id, ip_version=4, cidr="10.72.0.0/24")
        b = admin.network.create_subnet(network_id=shared.id, ip_version=4, cidr="10.72.1.0/24")
        q = lambda v: [s["id"] for s in alice_api.ok("GET", "/subnets", 200, params={
            "network_id": [mine.id, shared.id], "shared": v})["subnets"]]
        assert q("false") == [a.id]
        assert q("true") == [b.id]
    finally:
        alice.network.delete_network(mine)
        admin.network.delete_network(shared)
