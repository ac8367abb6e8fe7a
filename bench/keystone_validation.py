"""What Keystone mode adds to a request whose token is cached (issue 10's target: <= 1 ms p50).

Starts a real Keystone (tests/keystone/conftest.py: PyPI keystone on gunicorn, SQLite, fernet tokens),
registers Neutrino in it as docs/keystone.md says, and starts two release servers side by side: one
in keystone mode, one with the built-in identity. Each gets one network of the caller's project;
then one keep-alive client shows that network, alternating between the two servers request by
request, so both see the same machine load. The first keystone-mode request validates the token at
Keystone and fills the cache; every later one is answered from the cache. Prints p50/p90 of both
and the difference.

    NEUTRINO_BIN=target/release/neutrino .venv-keystone/bin/python bench/keystone_validation.py [N]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "keystone"))
sys.path.insert(0, str(ROOT / "tests" / "common"))
from conftest import DEMO_PASSWORD, bootstrap_keystone, keystone_section, register_neutrino  # noqa: E402
from neutrino_server import USERS, free_port, start_server  # noqa: E402


def builtin_token(server, user):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": server.password(user)}}},
        "scope": {"project": {"name": USERS[user]["project"], "domain": {"name": "Default"}}}}}
    r = requests.post(server.auth_url + "/auth/tokens", json=body, timeout=10)
    r.raise_for_status()
    return r.headers["X-Subject-Token"]


def network_of(session, server, token):
    r = session.post(server.url + "/v2.0/networks", json={"network": {"name": "bench"}},
                     headers={"X-Auth-Token": token}, timeout=10)
    r.raise_for_status()
    return r.json()["network"]["id"]


def percentile(samples, q):
    return statistics.quantiles(samples, n=100)[q - 1]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    base = Path(tempfile.mkdtemp(prefix="keystone-bench-"))
    (base / "keystone").mkdir()
    keystone = bootstrap_keystone(base / "keystone")
    servers = []
    try:
        port = free_port()
        register_neutrino(keystone, port)
        with_keystone = start_server(base / "keystone-mode", users={}, port=port,
                                     extra_toml=keystone_section(keystone.url, cache_ttl=300))
        servers.append(with_keystone)
        builtin = start_server(base / "builtin")
        servers.append(builtin)

        demo = keystone.connect("demo", DEMO_PASSWORD, "demo").auth_token
        alice = builtin_token(builtin, "alice")
        session = requests.Session()
        targets = []
        for name, server, token in (("keystone", with_keystone, demo), ("builtin", builtin, alice)):
            net = network_of(session, server, token)
            targets.append((name, f"{server.url}/v2.0/networks/{net}", {"X-Auth-Token": token}))

        first = {}
        for name, url, headers in targets:
            t = time.perf_counter()
            session.get(url, headers=headers, timeout=10).raise_for_status()
            first[name] = (time.perf_counter() - t) * 1000
        samples = {name: [] for name, _, _ in targets}
        for i in range(n):
            for name, url, headers in targets[i % 2:] + targets[:i % 2]:
                t = time.perf_counter()
                r = session.get(url, headers=headers, timeout=10)
                samples[name].append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text

        print(f"{n} shows of one network per server, one keep-alive client, alternating")
        print("| identity | first request ms | p50 ms | p90 ms |")
        print("|---|---|---|---|")
        for name, _, _ in targets:
            s = samples[name]
            print(f"| {name} | {first[name]:.2f} | {statistics.median(s):.3f} | {percentile(s, 90):.3f} |")
        added = statistics.median(samples["keystone"]) - statistics.median(samples["builtin"])
        print(f"keystone mode adds {added:.3f} ms at p50 to a request with a cached token")
    finally:
        for s in servers:
            s.stop()
        keystone.stop()


if __name__ == "__main__":
    main()
