"""Segments (`segment`, `standard-attr-segment`, `multi-provider`, `subnet-segmentid-writable`)
through the openstack CLI and openstacksdk: a network's segment, segments added, shown, renamed
and deleted, subnets on segments, and the rules' errors as clients receive them."""

from conftest import unique


def test_segments_with_cli(admin_cli, admin):
    net = admin_cli.json("network", "create", "--provider-network-type", "vlan",
                         "--provider-physical-network", "physnet1", unique("seg-net"))
    first = admin_cli.json("network", "segment", "list", "--network", net["id"])
    assert len(first) == 1 and first[0]["Network Type"] == "vlan"

    name = unique("seg")
    seg = admin_cli.json("network", "segment", "create", "--network", net["id"],
                         "--network-type", "vlan", "--physical-network", "physnet1",
                         "--segment", "2001", "--description", "rack 2", name)
    assert seg["segmentation_id"] == 2001 and seg["name"] == name
    assert seg["description"] == "rack 2"
    shown = admin_cli.json("network", "segment", "show", seg["id"])
    assert shown["physical_network"] == "physnet1" and shown["network_id"] == net["id"]

    admin_cli.run("network", "segment", "set", "--name", name + "-x", seg["id"])
    assert admin.network.get_segment(seg["id"]).name == name + "-x"
    listed = admin_cli.json("network", "segment", "list", "--network", net["id"])
    assert sorted(s["ID"] for s in listed) == sorted([first[0]["ID"], seg["id"]])

    # A subnet on the segment keeps it.
    sub = admin_cli.json("subnet", "create", "--network", net["id"], "--network-segment", seg["id"],
                         "--subnet-range", "10.91.0.0/24", unique("seg-sub"))
    assert sub["segment_id"] == seg["id"]
    r = admin_cli.run("network", "segment", "delete", seg["id"], check=False)
    assert r.returncode != 0 and "still associated with subnet" in r.stderr
    admin_cli.run("subnet", "delete", sub["id"])
    admin_cli.run("network", "segment", "delete", seg["id"])
    assert admin.network.find_segment(seg["id"]) is None
    admin_cli.run("network", "delete", net["id"])


def test_segments_with_sdk(admin, alice):
    net = admin.network.create_network(
        name=unique("mp-net"),
        segments=[{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                   "provider:segmentation_id": 2101},
                  {"provider:network_type": "geneve"}])
    assert len(net.segments) == 2
    segs = list(admin.network.segments(network_id=net.id))
    assert [s.network_type for s in segs] == ["vlan", "geneve"]
    assert segs[0].segmentation_id == 2101

    # Members see none of them.
    assert list(alice.network.segments()) == []

    # A network's one subnet moves onto a segment only while the network has one segment.
    single = alice.network.create_network(name=unique("one-seg"))
    sub = alice.network.create_subnet(network_id=single.id, cidr="10.92.0.0/24", ip_version=4)
    assert sub.segment_id is None
    seg = next(admin.network.segments(network_id=single.id))
    sub = alice.network.update_subnet(sub, segment_id=seg.id)
    assert sub.segment_id == seg.id
    assert admin.network.get_network(single.id).to_dict()["l2_adjacency"] is False

    alice.network.delete_subnet(sub)
    alice.network.delete_network(single)
    admin.network.delete_network(net)
    assert list(admin.network.segments(network_id=net.id)) == []


def test_vlan_transparent_network(alice):
    net = alice.network.create_network(name=unique("vt"), is_vlan_transparent=True)
    assert net.is_vlan_transparent is True
    alice.network.delete_network(net)


def test_segment_ranges_with_cli(admin_cli, admin, alice):
    ranges = admin_cli.json("network", "segment", "range", "list")
    assert any(r["Default"] and r["Network Type"] == "geneve" for r in ranges)

    name = unique("range")
    project = alice.current_project_id
    r = admin_cli.json("network", "segment", "range", "create", "--private", "--project", project,
                       "--network-type", "vxlan", "--minimum", "3100", "--maximum", "3109", name)
    assert r["default"] is False and r["shared"] is False
    assert r["project_id"] == project and r["minimum"] == 3100
    shown = admin_cli.json("network", "segment", "range", "show", r["id"])
    assert shown["id"] == r["id"] and shown["network_type"] == "vxlan"
    assert len(admin.network.get_network_segment_range(r["id"]).available) == 10

    admin_cli.run("network", "segment", "range", "set", "--name", name + "-x", "--minimum", "3100", "--maximum", "3119", r["id"])
    got = admin.network.get_network_segment_range(r["id"])
    assert got.name == name + "-x" and got.maximum == 3119

    # An overlapping range is refused.
    res = admin_cli.run("network", "segment", "range", "create", "--shared", "--network-type", "vxlan",
                        "--minimum", "3105", "--maximum", "3200", unique("range"), check=False)
    assert res.returncode != 0 and "overlaps" in res.stderr

    admin_cli.run("network", "segment", "range", "delete", r["id"])
    assert admin.network.find_network_segment_range(r["id"]) is None
