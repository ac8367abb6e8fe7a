"""Read throughput on PostgreSQL: `GET /v2.0/ports/<id>` from wrk (one thread, 8 keep-alive
connections, 10 s after a 3 s warm-up) against one `neutrino serve` on a fresh database, for each
binary given, in alternating rounds. Prints requests/s, p50, and CPU per request of the server
and of all PostgreSQL processes (from /proc), and the transactions PostgreSQL counted per request
(a check that every read reached it).

    URL=$(bash scripts/postgres-sandbox start /tmp/pg-bench)
    python3 bench/pg_reads.py "$URL" target/release/neutrino [other-neutrino ...] [--rounds N]

Needs wrk (Debian package `wrk`) and psql; the URL's role needs CREATEDB.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid

LISTEN = "127.0.0.1:19696"
API = f"http://{LISTEN}"
HZ = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def postgres_ticks():
    pids = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return cpu_ticks(int(p) for p in pids.split())


def psql(url, sql):
    return subprocess.run(["psql", url, "-Atqc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def call(method, url, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body else None
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method)) as r:
        return r.headers, json.loads(r.read() or b"{}")


def token(data_dir):
    rc = dict(re.findall(r"export (\w+)=['\"]?([^'\"\n]*)", open(f"{data_dir}/openrc").read()))
    auth = {"identity": {"methods": ["password"], "password": {"user": {
        "name": rc["OS_USERNAME"], "domain": {"name": "Default"}, "password": rc["OS_PASSWORD"]}}},
        "scope": {"project": {"name": rc["OS_PROJECT_NAME"], "domain": {"name": "Default"}}}}
    headers, _ = call("POST", rc["OS_AUTH_URL"].rstrip("/") + "/auth/tokens", {"auth": auth})
    return headers["X-Subject-Token"]


def transactions(url, db):
    # The statistics reach pg_stat_database when a backend goes idle, at most once a second.
    time.sleep(1.2)
    done, undone = psql(url, "SELECT xact_commit, xact_rollback FROM pg_stat_database "
                             f"WHERE datname = '{db}'").split("|")
    return int(done) + int(undone)


def measure(url, binary):
    db = "reads_" + uuid.uuid4().hex[:8]
    psql(url, f"CREATE DATABASE {db}")
    data_dir = tempfile.mkdtemp(prefix="pg-reads-")
    env = dict(os.environ, NEUTRINO_DATABASE_URL=f"{url.rsplit('/', 1)[0]}/{db}", RUST_LOG="warn")
    server = subprocess.Popen([binary, "serve", "--listen", LISTEN, "--data-dir", data_dir],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(API + "/")
                break
            except OSError:
                time.sleep(0.05)
        tok = token(data_dir)
        _, net = call("POST", API + "/v2.0/networks", {"network": {"name": "n"}}, tok)
        net_id = net["network"]["id"]
        call("POST", API + "/v2.0/subnets",
             {"subnet": {"network_id": net_id, "cidr": "10.0.0.0/24", "ip_version": 4}}, tok)
        _, port = call("POST", API + "/v2.0/ports", {"port": {"network_id": net_id}}, tok)
        wrk = ["wrk", "-t1", "-c8", "--latency", "-H", f"X-Auth-Token: {tok}",
               f"{API}/v2.0/ports/{port['port']['id']}"]
        subprocess.run(wrk + ["-d3s"], check=True, capture_output=True)
        tx0 = transactions(url, db)
        server0, pg0, t0 = cpu_ticks([server.pid]), postgres_ticks(), time.monotonic()
        out = subprocess.run(wrk + ["-d10s"], check=True, capture_output=True, text=True).stdout
        server1, pg1, t1 = cpu_ticks([server.pid]), postgres_ticks(), time.monotonic()
        tx1 = transactions(url, db)
    finally:
        server.terminate()
        server.wait()
        psql(url, f"DROP DATABASE {db}")
        shutil.rmtree(data_dir, ignore_errors=True)
    n = int(re.search(r"(\d+) requests in", out).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    ms = lambda ticks: 1000 * ticks / HZ / n  # noqa: E731
    return {"requests_per_s": round(n / (t1 - t0)), "p50": re.search(r"50%\s+(\S+)", out).group(1),
            "server_ms": round(ms(server1 - server0), 3), "postgres_ms": round(ms(pg1 - pg0), 3),
            "transactions_per_request": round((tx1 - tx0) / n, 2),
            "failed": int(failed.group(1)) if failed else 0}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print("binary | requests/s | p50 | server CPU ms/request | PostgreSQL CPU ms/request | "
          "transactions/request | failed")
    for _ in range(args.rounds):
        for binary in args.binaries:
            r = measure(args.url, binary)
            print(f"{binary} | {r['requests_per_s']} | {r['p50']} | {r['server_ms']} | "
                  f"{r['postgres_ms']} | {r['transactions_per_request']} | {r['failed']}",
                  flush=True)


if __name__ == "__main__":
    main()
