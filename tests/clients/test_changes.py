"""The change feed, as an operator reads it with `neutrino changes`: after writes made with the
openstack CLI, the feed holds exactly the resources that changed — cascades included — each
with the revision the API shows (or a delete), on the engine of this run."""

import json
import subprocess

from conftest import Cli, api_for, connect, neutrino_bin, start_server, unique


def changes(server, since=0):
    """`neutrino changes --since N --json` against the server's database."""
    r = subprocess.run(
        [neutrino_bin(), "changes", "--since", str(since), "--json",
         "--config", str(server.config), "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, f"neutrino changes failed ({r.returncode}):\n{r.stderr}"
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def last_by_resource(entries):
    out = {}
    for e in entries:
        out[(e["kind"], e["id"])] = e
    return out


def test_cli_writes_and_cascades_are_in_the_feed(tmp_path):
    srv = start_server(tmp_path / "feed")
    try:
        cli = Cli(srv, "neutrino-admin")
        api = api_for(srv, connect(srv, "admin"))
        start = max((e["seq"] for e in changes(srv)), default=0)

        net = cli.json("network", "create", unique("feed-net"))
        sub = cli.json("subnet", "create", "--network", net["id"], "--subnet-range", "10.77.0.0/24", unique("feed-sub"))
        # A DHCP port: the network's own, so deleting the network deletes it.
        port = cli.json("port", "create", "--network", net["id"], "--device-owner", "network:dhcp", unique("feed-port"))
        cli.run("port", "set", "--name", unique("renamed"), port["id"])
        sg = cli.json("security", "group", "create", unique("feed-sg"))
        rules = api.ok("GET", f"/security-group-rules?security_group_id={sg['id']}", 200)["security_group_rules"]

        entries = changes(srv, start)
        seen = last_by_resource(entries)
        positions = [e["seq"] for e in entries]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        # Every resource the CLI made or changed is there, at the revision the API shows now.
        for kind, rid, path in [
            ("network", net["id"], f"/networks/{net['id']}"),
            ("subnet", sub["id"], f"/subnets/{sub['id']}"),
            ("port", port["id"], f"/ports/{port['id']}"),
            ("security_group", sg["id"], f"/security-groups/{sg['id']}"),
        ]:
            shown = api.ok("GET", path, 200)
            body = next(iter(shown.values()))
            assert (kind, rid) in seen, f"{kind} {rid} missing from the feed: {entries}"
            assert seen[(kind, rid)]["revision"] == body["revision_number"], (kind, seen[(kind, rid)], body)
            assert seen[(kind, rid)]["op"] in ("create", "update")
        for rule in rules:
            assert seen[("security_group_rule", rule["id"])]["op"] == "create"
        assert seen[("port", port["id"])]["op"] == "update", "the rename is the port's last change"

        # Deleting the network takes its segment, subnet and port with it: those deletes, nothing else.
        segments = api.ok("GET", f"/segments?network_id={net['id']}", 200)["segments"]
        assert len(segments) == 1, segments
        mark = positions[-1]
        cli.run("network", "delete", net["id"])
        after = changes(srv, mark)
        assert {(e["kind"], e["id"], e["op"]) for e in after} == {
            ("network", net["id"], "delete"),
            ("segment", segments[0]["id"], "delete"),
            ("subnet", sub["id"], "delete"),
            ("port", port["id"], "delete"),
        }, after
        # Deleting the group takes its rules.
        mark = after[-1]["seq"]
        cli.run("security", "group", "delete", sg["id"])
        gone = {(e["kind"], e["id"]) for e in changes(srv, mark) if e["op"] == "delete"}
        assert gone == {("security_group", sg["id"])} | {("security_group_rule", r["id"]) for r in rules}
    finally:
        srv.stop()
