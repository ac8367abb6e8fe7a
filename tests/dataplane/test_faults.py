"""7. Drift and faults: a Logical_Switch_Port deleted by hand and an ACL changed by hand are repaired
within 5 s; with the Northbound database stopped, API writes succeed and reach OVN once it is back;
with a 3-member clustered Northbound database, killing the leader loses nothing."""

from pathlib import Path

from conftest import network_with_subnet, run, wait_until


def lsp_names(lab, db=None):
    return set(lab.nbctl("--bare", "--columns=name", "list", "Logical_Switch_Port", db=db).split())


def test_hand_made_drift_is_repaired_and_an_outage_loses_nothing(lab):
    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.60.0.0/24")
    group = c.network.create_security_group(name="g")
    rule = c.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                                ethertype="IPv4", protocol="tcp",
                                                port_range_min=22, port_range_max=22)
    port = c.network.create_port(network_id=net.id, name="p", security_group_ids=[group.id])
    wait_until("the port's row", lambda: port.id in lsp_names(lab), 5)

    lab.nbctl("lsp-del", port.id)
    wait_until("the deleted Logical_Switch_Port to come back", lambda: port.id in lsp_names(lab), 5)

    acl = lab.nbctl("--bare", "--columns=_uuid", "find", "ACL",
                    f"external_ids:\"neutron:security_group_rule_id\"={rule.id}").strip()
    original = lab.nbctl("get", "ACL", acl, "match").strip()
    lab.nbctl("set", "ACL", acl, 'match="ip4 && tcp && tcp.dst == 2222"')
    wait_until("the changed ACL to be changed back",
               lambda: lab.nbctl("get", "ACL", acl, "match").strip() == original, 5)

    # The Northbound database away: writes still succeed, and land once it is back.
    cmdline = lab.stop_daemon(lab.daemon_pidfile("nb"))
    late = c.network.create_port(network_id=net.id, name="late")
    c.network.delete_port(port)
    lab.start_daemon(cmdline)
    wait_until("the changes made during the outage",
               lambda: (names := lsp_names(lab)) and late.id in names and port.id not in names, 15)


def leader(lab):
    for ctl in lab.env["OVN_SANDBOX_NB_CTL"].split():
        out = run("ovn-appctl", "-t", ctl, "cluster/status", "OVN_Northbound", check=False).stdout
        if "Role: leader" in out:
            return Path(ctl).parent
    return None


def test_killing_the_northbound_leader_loses_nothing(make_lab):
    lab = make_lab(nb_cluster=True)
    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.61.0.0/24")
    before = [c.network.create_port(network_id=net.id, name=f"b{i}") for i in range(5)]
    wait_until("the first ports", lambda: {p.id for p in before} <= lsp_names(lab), 10)
    member = wait_until("a leader", lambda: leader(lab), 10)
    lab.stop_daemon(member / "ovsdb-server.pid")
    survivors = ",".join(r for r in lab.env["OVN_NB_DB"].split(",") if not r.startswith(f"unix:{member}/"))
    after = [c.network.create_port(network_id=net.id, name=f"a{i}") for i in range(5)]
    # ovn-nbctl talks only to a leader and fails outright while the survivors elect one.
    wait_until("a new leader", lambda: (m := leader(lab)) and m != member, 15)
    wait_until("every port, through the new leader",
               lambda: {p.id for p in before + after} <= lsp_names(lab, db=survivors), 15)


def neutrino(lab, *args):
    from neutrino_server import neutrino_bin

    return run(neutrino_bin(), *args, "--config", lab.server.config, "--data-dir", lab.server.data_dir,
               check=False)


def test_ovn_status_and_sync_dry_run_show_the_back_end(lab):
    import json
    import os
    import signal

    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.62.0.0/24")
    port = c.network.create_port(network_id=net.id, name="p")
    wait_until("the port's row", lambda: port.id in lsp_names(lab), 5)
    r = neutrino(lab, "ovn", "status", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    status = json.loads(r.stdout)
    assert status["nb_reachable"] and status["reconciler"]["ready"], status
    assert status["reconciler"]["ports"] == 1, status

    # With the server paused, drift stays for `sync` to see, list, and repair.
    os.kill(lab.server.proc.pid, signal.SIGSTOP)
    try:
        lab.nbctl("lsp-del", port.id)
        dry = neutrino(lab, "ovn", "sync", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"create Logical_Switch_Port {port.id}" in dry.stdout, dry.stdout
        assert port.id not in lsp_names(lab), "a dry run changes nothing"
        real = neutrino(lab, "ovn", "sync")
        assert real.returncode == 0, real.stderr
        assert port.id in lsp_names(lab)
        again = neutrino(lab, "ovn", "sync", "--dry-run")
        assert "would change 0 rows" in again.stdout, again.stdout
    finally:
        os.kill(lab.server.proc.pid, signal.SIGCONT)
