"""Three `neutrino serve` replicas with the OVN back end on one PostgreSQL database: exactly one of
them (the holder of the back end's lease) writes to OVN, the others serve the API and stand by.
When the holder is killed with SIGKILL (nothing released) while clients create ports on all three
replicas, the clients finish on the survivors, no acknowledged port is lost, one standby takes over
within 10 s with the default settings, the Northbound database converges to the store, and `neutrino ovn status`
names the new holder. A replica stopped with SIGTERM releases the lease, and the last one takes it
without waiting for it to expire. A replica started without the back end meanwhile keeps the
holder's place in the change feed.

Needs the PostgreSQL server of NEUTRINO_TEST_POSTGRES_URL (scripts/test starts one)."""

import json
import os
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import network_with_subnet, run, wait_until
from neutrino_server import USERS, Server, config_toml, connect, free_port, neutrino_bin

PG_URL = os.environ.get("NEUTRINO_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not PG_URL, reason="needs NEUTRINO_TEST_POSTGRES_URL (scripts/test starts a PostgreSQL server)")


def fresh_database():
    name = "replicas_" + uuid.uuid4().hex[:16]
    subprocess.run(["psql", PG_URL, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
                   check=True)
    return f"{PG_URL.rsplit('/', 1)[0]}/{name}"


def replica(base, name, config_text):
    d = base / name
    d.mkdir(parents=True)
    config = d / "neutrino.toml"
    config.write_text(config_text)
    return Server(data_dir=d / "data", config=config, port=free_port(), log=d / "neutrino.log").start()


def status(server):
    out = run(neutrino_bin(), "ovn", "status", "--json", "--config", server.config,
              "--data-dir", server.data_dir, check=False).stdout
    return json.loads(out)


def lease(server):
    return status(server)["lease"]


def held_by(server, lease_report):
    return lease_report is not None and lease_report["expires_in_secs"] > 0 \
        and lease_report["holder"].endswith(f":{server.proc.pid}")


def metric(server, series):
    text = requests.get(server.url + "/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    return None


class Load:
    """Threads creating ports through the replicas in turn; a request that fails at the
    connection (its replica was killed) goes to the next replica. Collects the ids of 201s."""

    def __init__(self, servers, network_id, threads=4):
        self.servers = servers
        self.tokens = [token(s) for s in servers]
        self.network_id = network_id
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]
        self.done = threading.Event()
        self.acknowledged, self.errors, self.retried = [], [], 0
        self.lock = threading.Lock()

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(timeout=30)
        return self.acknowledged

    def run(self, i):
        session = requests.Session()
        n = 0
        while not self.done.is_set():
            n += 1
            body = {"port": {"network_id": self.network_id, "name": f"load-{i}-{n}"}}
            for attempt in range(len(self.servers)):
                k = (i + n + attempt) % len(self.servers)
                try:
                    r = session.post(self.servers[k].url + "/v2.0/ports", json=body, timeout=20,
                                     headers={"X-Auth-Token": self.tokens[k]})
                except requests.ConnectionError:
                    with self.lock:
                        self.retried += 1
                    continue
                with self.lock:
                    if r.status_code == 201:
                        self.acknowledged.append(r.json()["port"]["id"])
                    else:
                        self.errors.append((r.status_code, r.text[:200]))
                break


def token(server):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": server.password("admin")}}},
        "scope": {"project": {"name": USERS["admin"]["project"], "domain": {"name": "Default"}}}}}
    r = requests.post(server.auth_url + "/auth/tokens", json=body, timeout=10)
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def switch_ports(lab):
    names = lab.nbctl("--bare", "--columns=name", "list", "Logical_Switch_Port").split()
    return sorted(names)


def test_one_replica_drives_ovn_and_a_standby_takes_over(make_lab, tmp_path):
    lab = make_lab(chassis=1, serve=False)
    config_text = (lab.ovn_toml() + f'\n[database]\nurl = "{fresh_database()}"\n\n'
                   + config_toml(USERS))
    servers = [replica(tmp_path, "a", config_text)]
    try:
        holder = wait_until("a replica to hold the lease",
                            lambda: held_by(servers[0], lease(servers[0])) and servers[0], 10)
        standbys = [replica(tmp_path, name, config_text) for name in ("b", "c")]
        servers += standbys
        # Every replica serves the API and reports ready; only the holder does the back end's work.
        for s in servers:
            wait_until("ready", lambda: requests.get(s.url + "/readyz", timeout=10).status_code == 200, 15)
        assert metric(holder, "neutrino_ovn_lease_held") == 1
        for s in standbys:
            assert metric(s, "neutrino_ovn_lease_held") == 0
            assert metric(s, "neutrino_ovn_transactions_total") == 0

        cloud = connect(standbys[0], "admin")
        net, _ = network_with_subnet(cloud, "n1", "10.64.0.0/16")
        p1 = cloud.network.create_port(network_id=net.id, name="p1")
        wait_until("a port made on a standby to reach OVN through the holder",
                   lambda: p1.id in switch_ports(lab), 10)

        # A replica configured without the back end does not drop the holder's feed position.
        odd = replica(tmp_path, "d", config_text.replace('backend = "ovn"', 'backend = "none"', 1))
        servers.append(odd)
        assert status(odd)["reconciler"] is not None, "the back end's feed position was dropped"
        assert "every replica should have the same back end" in odd.log_text()
        odd.stop()

        # Clients create ports on all three replicas while the holder is killed; a request that
        # fails on one replica is sent to the next.
        cloud.network.update_quota(cloud.current_project_id, ports=-1)
        load = Load([holder, *standbys], net.id, threads=6)
        load.start()
        time.sleep(1.5)
        holder.kill()  # SIGKILL: the lease is neither renewed nor released
        died = time.monotonic()
        new_holder = wait_until("a standby to take the lease", lambda: next(
            (s for s in standbys if held_by(s, lease(s))), None), 12)
        took = time.monotonic() - died
        assert took <= 10, f"the lease moved after {took:.1f} s"
        report = lease(standbys[0])
        assert [s for s in standbys if held_by(s, report)] == [new_holder], report
        p2 = cloud.network.create_port(network_id=net.id, name="p2")
        wait_until("the new holder to write what was made meanwhile",
                   lambda: p2.id in switch_ports(lab), 20)
        last = next(s for s in standbys if s is not new_holder)
        assert report["token"] == 2, report
        assert metric(new_holder, "neutrino_ovn_lease_held") == 1
        assert metric(last, "neutrino_ovn_lease_held") == 0
        time.sleep(1.5)
        acknowledged = load.stop()
        print(f"took over in {took:.1f} s; {len(acknowledged)} ports acknowledged under load, "
              f"{load.retried} requests sent again to another replica")
        assert load.errors == [], load.errors[:5]
        assert load.retried > 0, "no request met the killed replica: the load proves nothing"

        # Nothing acknowledged is lost or doubled, and the Northbound database holds each port of
        # the store once, and nothing else of ours.
        stored = [p.id for p in cloud.network.ports(network_id=net.id)]
        assert len(stored) == len(set(stored))
        missing = set(acknowledged) - set(stored)
        assert not missing, f"{len(missing)} acknowledged ports are not in the database"
        wait_until("OVN to converge", lambda: switch_ports(lab) == sorted(stored), 10)

        # A graceful stop gives the lease up at once: right after it the lease is free or already
        # the last replica's, and the last one holds it well before the old lease would expire.
        assert new_holder.stop() == 0, new_holder.log_text()
        stopped = time.monotonic()
        report = lease(last)
        assert report["expires_in_secs"] < 0 or held_by(last, report), report
        wait_until("the last replica to take the released lease",
                   lambda: held_by(last, lease(last)), 10)
        took = time.monotonic() - stopped
        assert lease(last)["token"] == 3
        p3 = connect(last, "admin").network.create_port(network_id=net.id, name="p3")
        wait_until("the last replica to drive OVN", lambda: p3.id in switch_ports(lab), 10)
        print(f"the released lease was taken in {took:.1f} s")
        assert last.stop() == 0, last.log_text()
        assert lease(last)["expires_in_secs"] < 0
    finally:
        for s in servers:
            s.kill()
