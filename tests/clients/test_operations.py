"""What operators look at: /metrics read by Prometheus' own OpenMetrics parser, with counters that
move with the traffic, and JSON logs whose request lines carry the id the client was given."""

import json

import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import start_server


def families(server):
    resp = requests.get(server.url + "/metrics", timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
    # The reference parser: raises on anything that is not valid OpenMetrics.
    return {f.name: f for f in text_string_to_metric_families(resp.text)}


def sample(fams, family, name, **labels):
    for s in fams[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def test_metrics_parse_and_move_with_traffic(server, admin):
    before = families(server)
    lists = dict(route="/v2.0/networks", method="GET", status="200")
    creates = dict(route="/v2.0/networks", method="POST", status="201")
    listed = sample(before, "neutrino_http_requests", "neutrino_http_requests_total", **lists) or 0
    created = sample(before, "neutrino_http_requests", "neutrino_http_requests_total", **creates) or 0
    position = sample(before, "neutrino_outbox_position", "neutrino_outbox_position")
    assert before["neutrino_http_request_duration_seconds"].type == "histogram"

    net = admin.network.create_network(name="metrics-moving")
    list(admin.network.networks())
    list(admin.network.networks())
    after = families(server)
    assert sample(after, "neutrino_http_requests", "neutrino_http_requests_total", **lists) >= listed + 2
    assert sample(after, "neutrino_http_requests", "neutrino_http_requests_total", **creates) == created + 1
    assert sample(after, "neutrino_outbox_position", "neutrino_outbox_position") > position
    assert sample(after, "neutrino_database_up", "neutrino_database_up") == 1
    admin.network.delete_network(net)


def test_json_logs_carry_request_ids(tmp_path):
    srv = start_server(tmp_path, extra_toml='[log]\nformat = "json"\n\n')
    try:
        resp = requests.get(srv.url + "/v2.0/networks", timeout=10)  # no token: 401
        assert resp.status_code == 401
        request_id = resp.headers["X-Openstack-Request-Id"]
    finally:
        assert srv.stop() == 0
    lines = [json.loads(line) for line in srv.log.read_text().splitlines()
             if line.startswith("{")]
    assert lines, srv.log_text()
    mine = [entry for entry in lines if entry.get("fields", {}).get("request_id") == request_id]
    assert len(mine) == 1, lines[-5:]
    assert mine[0]["fields"]["status"] == 401 and mine[0]["fields"]["path"] == "/v2.0/networks"
