"""/readyz and /metrics with the OVN back end: ready once it is connected and its first full
compare is done, not ready (naming the back end) while the Northbound database is away, ready
again once it is back; its metrics move with the traffic."""

import re

import requests

from conftest import network_with_subnet, wait_until


def readyz(lab):
    r = requests.get(lab.server.url + "/readyz", timeout=10)
    return r.status_code, r.json()


def metric(lab, series):
    text = requests.get(lab.server.url + "/metrics", timeout=10).text
    m = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else None


def test_readiness_follows_the_northbound_database(make_lab):
    lab = make_lab(chassis=1)
    wait_until("ready", lambda: readyz(lab)[0] == 200, 15)
    assert readyz(lab)[1]["checks"]["ovn"] == "ok"
    assert metric(lab, "neutrino_ovn_connected") == 1
    assert metric(lab, "neutrino_ovn_ready") == 1
    transactions = metric(lab, "neutrino_ovn_transactions_total")

    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.63.0.0/24")
    c.network.create_port(network_id=net.id, name="p")
    wait_until("the back end to apply the changes",
               lambda: metric(lab, 'neutrino_outbox_backlog{consumer="ovn"}') == 0
               and metric(lab, "neutrino_ovn_transactions_total") > transactions, 10)
    assert metric(lab, "neutrino_ovn_position") == metric(lab, "neutrino_outbox_position")
    wait_until("the port counted", lambda: metric(lab, "neutrino_ovn_ports") == 1, 10)
    assert metric(lab, "neutrino_ovn_failing") == 0
    assert metric(lab, "neutrino_ovn_last_full_compare_timestamp_seconds") > 0

    cmdline = lab.stop_daemon(lab.daemon_pidfile("nb"))
    status, body = wait_until("not ready without the Northbound database",
                              lambda: (r := readyz(lab))[0] == 503 and r, 10)
    assert body["checks"]["ovn"] != "ok" and body["checks"]["database"] == "ok", body
    assert metric(lab, "neutrino_ovn_connected") == 0
    # Writes still succeed; the back end's backlog grows until it is back.
    c.network.create_port(network_id=net.id, name="late")
    assert metric(lab, 'neutrino_outbox_backlog{consumer="ovn"}') >= 1
    lab.start_daemon(cmdline)
    wait_until("ready again", lambda: readyz(lab)[0] == 200, 20)
    wait_until("the backlog drained",
               lambda: metric(lab, 'neutrino_outbox_backlog{consumer="ovn"}') == 0, 15)
