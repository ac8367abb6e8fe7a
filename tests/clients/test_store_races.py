"""Races on the PostgreSQL engine: three server processes on one database exhausting an address pool
and a quota together, a serialization failure forced by a trigger, and the database killed under load.

These only make sense on PostgreSQL (several processes on one database, a database that can go away):
with NEUTRINO_TEST_ENGINE != postgres the module is skipped; the PostgreSQL pass of scripts/test runs it.
The concurrent parts use plain `requests`, one session per thread, each with a token of the server it
talks to. Tokens are valid on every server (the signing keys are in the database): one test uses a
token of one server on the other, across `neutrino identity rotate-key`.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import USERS, Server, config_toml, database_toml, free_port, neutrino_bin, unique

pytestmark = pytest.mark.skipif(
    os.environ.get("NEUTRINO_TEST_ENGINE") != "postgres",
    reason="PostgreSQL only (several servers on one database, a database that goes away): "
           "runs with NEUTRINO_TEST_ENGINE=postgres, as in the PostgreSQL pass of scripts/test",
)

SANDBOX = Path(__file__).resolve().parents[2] / "scripts" / "postgres-sandbox"
HTTP_TIMEOUT = 20  # seconds for one request; no request should come near it


# ---------------------------------------------------------------- servers and clients


def start_on(base_dir, preamble):
    """A server whose neutrino.toml starts with `preamble` (its [database] section, which several
    servers may share) and has the suite's USERS."""
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)
    config = base_dir / "neutrino.toml"
    config.write_text(preamble + config_toml(USERS))
    return Server(data_dir=base_dir / "data", config=config, port=free_port(), log=base_dir / "neutrino.log").start()


def url_of(database_section):
    return re.search(r'^url = "([^"]+)"$', database_section, re.M).group(1)


def psql(url, sql):
    """Runs SQL on the database of `url`; returns psql's unaligned output."""
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url],
                       input=sql, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"psql failed ({r.returncode}):\n{sql}\n{r.stderr}"
    return r.stdout.strip()


@dataclass
class Reply:
    """One request and what came of it: a status and body, or the transport error instead."""

    label: str
    method: str
    path: str
    request: object
    status: int = None
    body: object = None
    error: str = None
    request_id: str = None

    @property
    def kind(self):
        if isinstance(self.body, dict) and isinstance(self.body.get("NeutronError"), dict):
            return self.body["NeutronError"].get("type")
        return None

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    def unavailable(self):
        return self.status == 503 and self.kind == "ServiceUnavailable"

    def __str__(self):
        req = "" if self.request is None else " " + json.dumps(self.request)
        if self.status is None:
            return f"[{self.label}] {self.method} {self.path}{req} -> no answer: {self.error}"
        body = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return f"[{self.label} {self.request_id}] {self.method} {self.path}{req} -> {self.status} {body[:400]}"


class Client:
    """Plain HTTP to one server as one user, with a token that server issued."""

    def __init__(self, server, user, label):
        self.server, self.user, self.label = server, user, label
        u = USERS[user]
        auth = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": server.password(user)}}},
            "scope": {"project": {"name": u["project"], "domain": {"name": "Default"}}},
        }}
        r = requests.post(server.auth_url + "/auth/tokens", json=auth, timeout=HTTP_TIMEOUT)
        assert r.status_code == 201, f"[{label}] token for {user}: {r.status_code} {r.text}"
        self.token = r.headers["X-Subject-Token"]
        self.project_id = r.json()["token"]["project"]["id"]
        self.session = requests.Session()

    def fork(self):
        """The same server, user and token with a session of its own (one per thread)."""
        c = object.__new__(Client)
        c.__dict__.update(self.__dict__)
        c.session = requests.Session()
        return c

    def call(self, method, path, body=None, params=None):
        """One request; never raises: a transport error (no answer) is recorded in the reply."""
        reply = Reply(self.label, method, path, body)
        try:
            r = self.session.request(method, self.server.url + "/v2.0" + path, json=body, params=params,
                                     headers={"X-Auth-Token": self.token, "Accept": "application/json"},
                                     timeout=HTTP_TIMEOUT)
        except requests.RequestException as e:
            reply.error = f"{type(e).__name__}: {e}"
            return reply
        reply.status = r.status_code
        reply.request_id = r.headers.get("X-Openstack-Request-Id")
        try:
            reply.body = r.json() if r.content else None
        except ValueError:
            reply.body = r.text
        return reply

    def ok(self, method, path, status, body=None, params=None):
        r = self.call(method, path, body, params)
        assert r.status == status, f"expected {status}: {r}\n{log_errors(self.server)}"
        return r.body


def log_errors(*servers, lines=15):
    """The last warnings and errors of the servers' logs, for failure messages."""
    out = []
    for s in servers:
        text = re.sub(r"\x1b\[[0-9;]*m", "", s.log.read_text(errors="replace"))
        hits = [line for line in text.splitlines() if re.search(r"ERROR|WARN|panic", line)]
        out.append(f"--- {s.log}: last {min(lines, len(hits))} of {len(hits)} warning/error lines ---")
        out.extend(hits[-lines:])
    return "\n".join(out)


def listing(title, replies, limit=25):
    replies = list(replies)
    lines = [f"{title} ({len(replies)}):"] + [f"  {r}" for r in replies[:limit]]
    if len(replies) > limit:
        lines.append(f"  ... and {len(replies) - limit} more")
    return "\n".join(lines)


def run_together(n, fn):
    """Runs fn(i) for i in range(n) on n threads released at the same moment; returns the results."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


def pool_addresses(subnet):
    out = set()
    for p in subnet["allocation_pools"]:
        a, b = int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"]))
        out.update(str(ipaddress.ip_address(i)) for i in range(a, b + 1))
    return out


def ports_on(client, network_id):
    r = client.call("GET", "/ports", params={"network_id": network_id})
    assert r.status == 200, f"listing the ports: {r}\n{log_errors(client.server)}"
    return r.body["ports"]


@dataclass
class Replicas:
    a: Server
    b: Server
    c: Server
    db_url: str

    @property
    def servers(self):
        return (self.a, self.b, self.c)

    def admins(self):
        return [Client(s, "admin", label) for s, label in zip(self.servers, "ABC")]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Three server processes on one fresh database, started at the same time (the schema is
    created by whichever takes the migration lock first)."""
    database = database_toml()
    base = tmp_path_factory.mktemp("races")
    servers = []

    def start(name):
        srv = start_on(base / name, database)
        servers.append(srv)
        return srv

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            a, b, c = pool.map(start, ["a", "b", "c"])
        yield Replicas(a, b, c, url_of(database))
    finally:
        for srv in servers:
            code = srv.stop()
            assert code == 0, f"neutrino serve ({srv.log}) exited with {code}:\n{srv.log_text()}"


# ---------------------------------------------------------------- 1. one address pool, three processes


def test_three_servers_allocate_a_pool_until_it_is_exhausted(replicas):
    admins = replicas.admins()
    admin_a = admins[0]
    net = admin_a.ok("POST", "/networks", 201, {"network": {"name": unique("race-pool")}})["network"]
    sub = admin_a.ok("POST", "/subnets", 201, {"subnet": {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.9.0.0/26"}})["subnet"]
    pool = pool_addresses(sub)
    assert sub["gateway_ip"] == "10.9.0.1" and len(pool) == 61, f"a /26 with gateway .1 has 61 addresses: {sub}"
    for other in admins[1:]:
        assert other.ok("GET", f"/subnets/{sub['id']}", 200)["subnet"]["allocation_pools"] == sub["allocation_pools"]

    def client(i):
        """Creates ports through one server until it is refused (and a little beyond the pool, at most)."""
        c = admins[i % 3].fork()
        replies = []
        for n in range(len(pool) + 3):
            r = c.call("POST", "/ports", {"port": {"network_id": net["id"], "name": f"pool-{i}-{n}"}})
            replies.append(r)
            if r.status != 201:
                break
        return replies

    replies = [r for rs in run_together(16, client) for r in rs]
    servers = replicas.servers

    broken = [r for r in replies if r.status is None or r.status >= 500]
    assert not broken, listing("server errors or no answer while allocating", broken) + "\n" + log_errors(*servers)
    refusals = [r for r in replies if r.status != 201]
    wrong = [r for r in refusals if (r.status, r.kind) != (409, "IpAddressGenerationFailure")]
    assert not wrong, listing("refusals other than 409 IpAddressGenerationFailure", wrong)

    created = [r.body["port"] for r in replies if r.status == 201]
    by_server = Counter(r.label for r in replies if r.status == 201)
    assert len(created) == len(pool), (
        f"{len(created)} ports created (by server: {dict(by_server)}), but the pool has {len(pool)} addresses; "
        f"{len(refusals)} clients were refused" + "\n" + listing("refusals", refusals))
    assert len(refusals) == 16, listing("every client is refused once the pool is empty", refusals)

    ips = [ip["ip_address"] for p in created for ip in p["fixed_ips"]]
    assert all(len(p["fixed_ips"]) == 1 and p["fixed_ips"][0]["subnet_id"] == sub["id"] for p in created), \
        [p["fixed_ips"] for p in created if len(p["fixed_ips"]) != 1]
    twice = {ip: n for ip, n in Counter(ips).items() if n > 1}
    assert not twice, f"addresses handed out more than once: {twice}"
    assert set(ips) == pool, f"outside the pool: {set(ips) - pool}; never handed out: {pool - set(ips)}"
    macs = {m: n for m, n in Counter(p["mac_address"] for p in created).items() if n > 1}
    assert not macs, f"MAC addresses handed out more than once: {macs}"
    assert len({p["id"] for p in created}) == len(created), "a port id was returned twice"

    for c in admins:
        listed = {p["id"]: p for p in ports_on(c, net["id"])}
        missing = [p["id"] for p in created if p["id"] not in listed]
        moved = [(p["id"], p["fixed_ips"], listed[p["id"]]["fixed_ips"]) for p in created
                 if p["id"] in listed and (listed[p["id"]]["fixed_ips"], listed[p["id"]]["mac_address"])
                 != (p["fixed_ips"], p["mac_address"])]
        extra = sorted(set(listed) - {p["id"] for p in created})
        assert not (missing or moved or extra), (
            f"server {c.label} lists the network's ports differently from what was acknowledged: "
            f"missing {missing}; with other addresses {moved}; never acknowledged {extra}")


# ---------------------------------------------------------------- 2. one quota, three processes


def test_port_quota_is_exact_across_servers(replicas):
    admin = Client(replicas.a, "admin", "A")
    alices = [Client(s, "alice", label) for s, label in zip(replicas.servers, "ABC")]
    alice_a = alices[0]
    project = alice_a.project_id
    assert all(a.project_id == project for a in alices)
    quota = admin.ok("PUT", f"/quotas/{project}", 200, {"quota": {"port": 7}})["quota"]
    assert quota["port"] == 7, quota
    for other in replicas.admins()[1:]:
        assert other.ok("GET", f"/quotas/{project}", 200)["quota"]["port"] == 7

    net = alice_a.ok("POST", "/networks", 201, {"network": {"name": unique("race-quota")}})["network"]
    alice_a.ok("POST", "/subnets", 201, {"subnet": {"network_id": net["id"], "ip_version": 4,
                                                    "cidr": "10.10.0.0/22"}})
    owned = admin.ok("GET", "/ports", 200, params={"project_id": project})["ports"]
    assert owned == [], f"{project} owns ports before the test: {owned}"

    def create(i):
        c = alices[i % 3].fork()
        return c.call("POST", "/ports", {"port": {"network_id": net["id"], "name": f"quota-{i}"}})

    replies = run_together(30, create)
    servers = replicas.servers
    broken = [r for r in replies if r.status is None or r.status >= 500]
    assert not broken, listing("server errors or no answer under the quota", broken) + "\n" + log_errors(*servers)
    created = [r for r in replies if r.status == 201]
    refused = [r for r in replies if r.status != 201]
    wrong = [r for r in refused if (r.status, r.kind) != (409, "OverQuota")]
    assert not wrong, listing("refusals other than 409 OverQuota", wrong)
    assert len(created) == 7, listing(f"{len(created)} of 30 creates succeeded under a quota of 7", created)

    ids = sorted(r.body["port"]["id"] for r in created)
    for c in replicas.admins():
        owned = sorted(p["id"] for p in c.ok("GET", "/ports", 200, params={"project_id": project})["ports"])
        assert owned == ids, f"server {c.label}: the project owns {len(owned)} ports {owned}, acknowledged {ids}"


# ---------------------------------------------------------------- 3. one identity, two processes


def neutrino_cli(server, *args):
    """`neutrino ARGS` with the config and data dir of `server`; returns its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEUTRINO_")}
    r = subprocess.run([neutrino_bin(), *args, "--config", str(server.config), "--data-dir", str(server.data_dir)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, f"neutrino {' '.join(args)} exited with {r.returncode}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def signing_key_of(token, db_url):
    """The id of the stored signing key whose HMAC signs `token` (None: none of them)."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    payload, mac = raw[:-32], raw[-32:]
    for line in psql(db_url, "SELECT id, secret FROM signing_keys ORDER BY id").split():
        key_id, secret = line.split("|")
        if hmac.compare_digest(hmac.new(base64.b64decode(secret), payload, hashlib.sha256).digest(), mac):
            return int(key_id)
    return None


def on_server(client, server, label):
    """The client's token (issued by its own server) used on `server`."""
    c = client.fork()
    c.server, c.label = server, label
    return c


def test_a_token_of_one_server_is_valid_on_the_other_across_a_key_rotation(replicas):
    # alice's password is in the config, as every replica needs it: generated passwords (admin's)
    # are per data dir, and a token carries its user's credential epoch.
    alice_a = Client(replicas.a, "alice", "A")
    before = signing_key_of(alice_a.token, replicas.db_url)
    assert before is not None, "A signs with a key stored in the database"
    a_on_b = on_server(alice_a, replicas.b, "A's token on B")
    net = a_on_b.ok("POST", "/networks", 201, {"network": {"name": unique("token-across")}})["network"]
    assert a_on_b.ok("GET", f"/networks/{net['id']}", 200)["network"]["project_id"] == alice_a.project_id
    b_on_a = on_server(Client(replicas.b, "alice", "B"), replicas.a, "B's token on A")
    b_on_a.ok("GET", f"/networks/{net['id']}", 200)

    out = neutrino_cli(replicas.a, "identity", "rotate-key")
    assert f"signing key {before + 1} added" in out, out
    keys = neutrino_cli(replicas.a, "identity", "keys")
    assert re.search(rf"^\s*{before + 1}\s+\d+s\s+signing$", keys, re.M), keys
    assert re.search(rf"^\s*{before}\s+\d+s\s+accepted for \d+s$", keys, re.M), keys

    # A signs with the new key from its next refresh (every 30 s); B must accept those tokens
    # whether or not it has refreshed itself.
    deadline = time.monotonic() + 45
    while True:
        fresh = Client(replicas.a, "alice", "A after the rotation")
        if signing_key_of(fresh.token, replicas.db_url) == before + 1:
            break
        assert time.monotonic() < deadline, "A still signs with the replaced key 45 s after the rotation"
        time.sleep(1)
    on_server(fresh, replicas.b, "A's new token on B").ok("GET", f"/networks/{net['id']}", 200)
    fresh.ok("GET", f"/networks/{net['id']}", 200)
    # Tokens of the replaced key stay valid on both until they expire.
    a_on_b.ok("GET", f"/networks/{net['id']}", 200)
    alice_a.ok("DELETE", f"/networks/{net['id']}", 204)


# ---------------------------------------------------------------- 4. a serialization failure, forced


FORCE_RETRY = """
CREATE SEQUENCE force_retry;
CREATE FUNCTION force_retry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('force_retry') <= 2 THEN
        RAISE EXCEPTION 'forced serialization failure (test_store_races)' USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER force_retry BEFORE INSERT ON ports FOR EACH ROW EXECUTE FUNCTION force_retry();
"""

UNFORCE_RETRY = """
DROP TRIGGER IF EXISTS force_retry ON ports;
DROP FUNCTION IF EXISTS force_retry();
DROP SEQUENCE IF EXISTS force_retry;
"""


def test_forced_serialization_failure_is_retried(replicas):
    admin = Client(replicas.a, "admin", "A")
    net = admin.ok("POST", "/networks", 201, {"network": {"name": unique("race-retry")}})["network"]
    psql(replicas.db_url, FORCE_RETRY)
    try:
        r = admin.call("POST", "/ports", {"port": {"network_id": net["id"], "name": "retried"}})
        attempts = int(psql(replicas.db_url, "SELECT last_value FROM force_retry"))
    finally:
        psql(replicas.db_url, UNFORCE_RETRY)
    assert r.status == 201, f"the first request must succeed after two serialization failures: {r}\n" + \
        log_errors(replicas.a)
    assert attempts == 3, f"the insert ran {attempts} times; expected 2 failed attempts and 1 that committed"
    listed = ports_on(admin, net["id"])
    assert [p["id"] for p in listed] == [r.body["port"]["id"]], f"the network's ports: {listed}"


# ---------------------------------------------------------------- 5. the database dies under load


@dataclass
class Sandbox:
    dir: Path
    url: str

    def start(self):
        r = subprocess.run(["bash", str(SANDBOX), "start", str(self.dir)], capture_output=True, text=True,
                           timeout=90)
        assert r.returncode == 0, f"postgres-sandbox start {self.dir} failed:\n{r.stderr}"
        return r.stdout.strip()

    def postmaster(self):
        return int((self.dir / "pid").read_text().split()[0])


@pytest.fixture
def sandbox():
    """A PostgreSQL server of this test's own (under /tmp: the server runs as user postgres, who
    cannot enter pytest's directories), stopped and removed at the end."""
    d = Path(tempfile.mkdtemp(prefix="neutrino-races-pg-", dir="/tmp"))
    sb = Sandbox(d, None)
    try:
        sb.url = sb.start()
        yield sb
    finally:
        r = subprocess.run(["bash", str(SANDBOX), "stop", str(d)], capture_output=True, text=True, timeout=90)
        if d.exists() and not any(d.iterdir()):
            d.rmdir()
        assert r.returncode == 0, f"postgres-sandbox stop {d} failed:\n{r.stderr}"


class Load:
    """Threads that create ports (each request names its port uniquely) and list networks until
    stopped; every reply is recorded with the phase it ended in."""

    def __init__(self, client, network_id, threads=4, pause=0.02):
        self.client, self.network_id, self.pause = client, network_id, pause
        self.phase = "before"
        self.replies = []  # (phase, Reply)
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def run(self, i):
        c = self.client.fork()
        n = 0
        while not self.stop_event.is_set():
            n += 1
            for r in (c.call("POST", "/ports", {"port": {"network_id": self.network_id, "name": f"load-{i}-{n}"}}),
                      c.call("GET", "/networks")):
                with self.lock:
                    self.replies.append((self.phase, r))
            time.sleep(self.pause)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=HTTP_TIMEOUT + 5)

    def since(self, index):
        with self.lock:
            return [r for _, r in self.replies[index:]]

    def mark(self):
        with self.lock:
            return len(self.replies)


def test_database_down_under_load_gives_503_and_resumes(tmp_path, sandbox):
    srv = start_on(tmp_path / "server", f'[database]\nurl = "{sandbox.url}"\n\n[network.quotas]\nport = -1\n\n')
    try:
        admin = Client(srv, "admin", "S")
        net = admin.ok("POST", "/networks", 201, {"network": {"name": unique("race-outage")}})["network"]
        admin.ok("POST", "/subnets", 201, {"subnet": {"network_id": net["id"], "ip_version": 4,
                                                      "cidr": "10.11.0.0/20"}})
        with Load(admin, net["id"]) as load:
            time.sleep(1.0)

            # Kill the postmaster (ours: started by the fixture) without warning, under load.
            load.phase = "outage"
            outage_start = load.mark()
            pid = sandbox.postmaster()
            assert "postgres" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"), \
                f"{sandbox.dir}/pid names {pid}, which is not a postmaster"
            os.kill(pid, signal.SIGKILL)
            time.sleep(1.5)
            assert srv.proc.poll() is None, f"neutrino serve exited while the database was down:\n{srv.log_text()}"

            url = sandbox.start()
            assert url == sandbox.url, f"the sandbox came back at {url}, not at {sandbox.url} (the server's URL)"
            restarted = time.monotonic()
            load.phase = "restarted"
            restart_mark = load.mark()

            # Within a few seconds both a write and a read succeed again.
            deadline = restarted + 10
            while time.monotonic() < deadline:
                since = load.since(restart_mark)
                if any(r.method == "POST" and r.status == 201 for r in since) and \
                        any(r.method == "GET" and r.status == 200 for r in since):
                    break
                time.sleep(0.1)
            recovered_after = time.monotonic() - restarted
            load.phase = "after"
            time.sleep(1.0)
            after_mark = load.mark()
            time.sleep(0.5)

        assert srv.proc.poll() is None, f"neutrino serve exited:\n{srv.log_text()}"
        phased = list(load.replies)
        during = [r for _, r in phased[outage_start:restart_mark]]
        replies = [r for _, r in phased]
        log = log_errors(srv)

        # Never a 500 or no answer; errors are 503 ServiceUnavailable.
        broken = [f"{p}: {r}" for p, r in phased if not r.ok and not r.unavailable()]
        assert not broken, listing("answers other than success or 503 ServiceUnavailable", broken) + "\n" + log
        before = [r for _, r in phased[:outage_start] if not r.ok]
        assert not before, listing("failures before the database went down", before) + "\n" + log
        assert any(r.unavailable() for r in during), \
            listing("the outage was not noticed: no 503 while the database was down", during)
        tail = [r for _, r in phased[after_mark:] if not r.ok]
        assert recovered_after < 10 and not tail, (
            f"requests did not succeed again within 10 s of the restart ({recovered_after:.1f} s)\n"
            + listing("failures after recovery", tail or [r for r in load.since(restart_mark) if not r.ok]) + "\n" + log)

        # After the restart: every acknowledged port is there once with its address, addresses are
        # unique, and a port nobody saw acknowledged exists only if its request got no clear answer.
        posts = [r for r in replies if r.method == "POST"]
        acked = {r.body["port"]["id"]: r.body["port"] for r in posts if r.status == 201}
        ambiguous = {r.request["port"]["name"] for r in posts if r.status != 201}
        listed = ports_on(admin, net["id"])
        ids = Counter(p["id"] for p in listed)
        assert all(n == 1 for n in ids.values()), f"ports listed twice: {[i for i, n in ids.items() if n > 1]}"
        names = Counter(p["name"] for p in listed)
        assert all(n == 1 for n in names.values()), \
            f"one create made several ports: {[n for n, k in names.items() if k > 1]}"
        ips = Counter(ip["ip_address"] for p in listed for ip in p["fixed_ips"])
        assert all(n == 1 for n in ips.values()), f"addresses held twice: {[i for i, n in ips.items() if n > 1]}"
        by_id = {p["id"]: p for p in listed}
        lost = [p for i, p in acked.items() if i not in by_id]
        assert not lost, f"{len(lost)} acknowledged ports are gone: {[(p['id'], p['name']) for p in lost]}"
        changed = [(i, p["fixed_ips"], by_id[i]["fixed_ips"]) for i, p in acked.items()
                   if (by_id[i]["fixed_ips"], by_id[i]["mac_address"]) != (p["fixed_ips"], p["mac_address"])]
        assert not changed, f"acknowledged ports with other addresses now: {changed}"
        ghosts = [(p["id"], p["name"]) for p in listed if p["id"] not in acked and p["name"] not in ambiguous]
        assert not ghosts, f"ports that no request created (or whose create was refused): {ghosts}"
        print(f"{len(replies)} requests: {len(acked)} ports acknowledged, {len(during)} during the outage "
              f"({sum(r.unavailable() for r in during)} answered 503); "
              f"{len(listed) - len(acked)} of {len(ambiguous)} unacknowledged creates exist; "
              f"recovered {recovered_after:.1f} s after the restart")

        # A last write and read, after the load.
        admin.ok("POST", "/ports", 201, {"port": {"network_id": net["id"], "name": "after-the-outage"}})
        admin.ok("GET", "/networks", 200)
    finally:
        code = srv.stop()
    assert code == 0, f"neutrino serve exited with {code}:\n{srv.log_text()}"
