"""examples/production: the deployment example is checked by the tools that will read it.

* the Kubernetes manifests against the API schemas kubernetes-validate ships (strict: unknown
  fields are errors), for the oldest Kubernetes the README names and the newest it knows;
* the ConfigMap holds examples/production/neutrino.toml byte for byte;
* the manifests, the systemd unit and the HAProxy config agree with that file (port, drain time,
  probe paths, one workload whose every pod runs the same back end, sized for the OVN back end);
* the real binary (NEUTRINO_BIN, built by scripts/test) starts on the file, in Keystone mode, with
  only the secrets and this machine's addresses given by the environment as in production; with
  no OVN database reachable two replicas serve, one holds the back end's lease (its /readyz is
  503 naming `ovn`), the other stands by and takes the lease over when the first is stopped; a
  misspelt key stops it;
* `haproxy -c` accepts haproxy.cfg and `systemd-analyze verify` the unit, without a warning.

Needs NEUTRINO_BIN; uses a fresh database on NEUTRINO_TEST_POSTGRES_URL's server when that is set
(scripts/test starts one), else SQLite in a temporary directory.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "common"))
from neutrino_server import free_port, neutrino_bin  # noqa: E402
EXAMPLE = ROOT / "examples" / "production"
K8S = EXAMPLE / "kubernetes"
# Oldest: the preStop `sleep` action is in the schema from 1.30 on (README.md says 1.30 or later).
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
START_TIMEOUT = 30.0
# After the drain, `neutrino serve` gives the back end this long to stop and release its lease
# (crates/neutrino/src/serve.rs, `backend.stop`).
BACKEND_STOP_SECS = 5
# docs/benchmarks.md, "The OVN back end": server RSS / peak with 10,000 ports, back end on (MiB).
OVN_RSS_MIB, OVN_PEAK_MIB = 171, 196


def config():
    return tomllib.loads((EXAMPLE / "neutrino.toml").read_text())


def manifests():
    """Every object of kubernetes/*.yaml, as (file name, object)."""
    out = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                out.append((path.name, doc))
    return out


def objects(kind):
    return [doc for _, doc in manifests() if doc["kind"] == kind]


def one(kind, name):
    found = [d for d in objects(kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def container(workload):
    (c,) = workload["spec"]["template"]["spec"]["containers"]
    return c


def clean_env(**settings):
    """The environment of a server under test: no NEUTRINO_* of ours (NEUTRINO_BIN, the test's
    PostgreSQL URL) leaks into its config, only `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEUTRINO_")}
    env.update(settings)
    return env


# --- Kubernetes --------------------------------------------------------------------------------

@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_manifests_match_the_api_schema(version):
    found = manifests()
    kinds = sorted({doc["kind"] for _, doc in found})
    assert kinds == ["ConfigMap", "Deployment", "PodDisruptionBudget", "Secret", "Service"]
    errors = []
    for name, doc in found:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except jsonschema.ValidationError as e:  # kubernetes_validate's is a subclass
            errors.append(f"{name}: {doc['kind']} {doc['metadata']['name']} is not valid for Kubernetes "
                          f"{version}: {'.'.join(map(str, e.path))}: {e.message}")
    assert not errors, "\n".join(errors)


def test_the_configmap_holds_the_example_config_byte_for_byte():
    embedded = one("ConfigMap", "neutrino-config")["data"]["neutrino.toml"]
    assert embedded.encode() == (EXAMPLE / "neutrino.toml").read_bytes(), (
        "kubernetes/configmap.yaml differs from examples/production/neutrino.toml: copy the file "
        "into it again (indented by four spaces)")


def mebibytes(quantity):
    """A Kubernetes memory quantity in MiB (the suffixes the manifests use)."""
    for suffix, factor in (("Mi", 1), ("Gi", 1024)):
        if quantity.endswith(suffix):
            return int(quantity[:-len(suffix)]) * factor
    raise AssertionError(f"unexpected memory quantity {quantity!r}")


def test_the_workloads_agree_with_the_config():
    cfg = config()
    port = int(cfg["listen"].rsplit(":", 1)[1])
    assert cfg["identity"]["mode"] == "keystone", "built-in tokens are per replica"
    assert cfg["backend"] == "ovn", "every replica runs the OVN back end; its lease picks the writer"
    assert cfg["ovn"]["lease_secs"] >= 3
    assert cfg["database"]["url"] == "", "the database URL comes from the Secret"
    assert cfg["identity"]["keystone"]["password"] == "", "the password comes from the Secret"
    secret = one("Secret", "neutrino-secrets")
    workloads = [(n, d) for n, d in manifests()
                 if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod")]
    assert [(n, d["kind"], d["metadata"]["name"]) for n, d in workloads] == [
        ("deployment.yaml", "Deployment", "neutrino")], "one workload: every replica alike"
    api = one("Deployment", "neutrino")
    assert api["spec"]["replicas"] == 3
    pod = api["spec"]["template"]["spec"]
    c = container(api)
    assert c["command"] + c["args"] == [
        "/usr/local/bin/neutrino", "serve", "--config", "/etc/neutrino/neutrino.toml"]
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts["config"] == "/etc/neutrino"
    assert mounts["data"] == cfg["data_dir"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "neutrino-config"
    assert [p["containerPort"] for p in c["ports"]] == [port]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    # /readyz bounds its checks by 3 s: a shorter probe timeout would fail healthy replicas.
    assert c["readinessProbe"]["timeoutSeconds"] > 3
    # SIGKILL must cut neither the drain nor the back end's stop, which releases its lease.
    pre_stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > (
        pre_stop + cfg["shutdown_timeout_secs"] + BACKEND_STOP_SECS)
    assert pod["enableServiceLinks"] is False
    env = {e["name"]: e for e in c["env"]}
    assert sorted(env) == ["NEUTRINO_DATABASE_URL", "NEUTRINO_IDENTITY__KEYSTONE__PASSWORD"], (
        "only the secrets come from the environment: every pod runs the shared file's back end")
    for var, key in [("NEUTRINO_DATABASE_URL", "database-url"),
                     ("NEUTRINO_IDENTITY__KEYSTONE__PASSWORD", "keystone-password")]:
        ref = env[var]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == ("neutrino-secrets", key), var
        assert key in secret["stringData"], key
    # Any pod may become the lease holder: each is sized for the back end.
    resources = c["resources"]
    assert mebibytes(resources["requests"]["memory"]) >= OVN_RSS_MIB, resources
    assert mebibytes(resources["limits"]["memory"]) >= OVN_PEAK_MIB, resources
    assert resources["requests"]["cpu"] and resources["limits"]["cpu"], resources


def test_the_service_and_the_budget_select_the_pods():
    api = one("Deployment", "neutrino")
    labels = api["spec"]["template"]["metadata"]["labels"]

    def selects(selector):
        return all(labels.get(k) == v for k, v in selector.items())

    assert selects(api["spec"]["selector"]["matchLabels"])
    service = one("Service", "neutrino")
    assert [s["metadata"]["name"] for s in objects("Service")] == ["neutrino"]
    assert selects(service["spec"]["selector"])
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    budget = one("PodDisruptionBudget", "neutrino")["spec"]
    assert selects(budget["selector"]["matchLabels"])
    assert budget["maxUnavailable"] == 1


# --- the binary --------------------------------------------------------------------------------

def database_url():
    """A fresh PostgreSQL database when the test run has a server, else "" (SQLite)."""
    url = os.environ.get("NEUTRINO_TEST_POSTGRES_URL")
    if not url:
        return ""
    name = "examples_" + uuid.uuid4().hex[:16]
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"], check=True)
    return f"{url.rsplit('/', 1)[0]}/{name}"


class Replica:
    """`neutrino serve` on the example file, as a replica starts in production: the secrets from
    the environment, and this machine's addresses (a loopback port, a data dir, a Keystone and OVN
    databases on closed ports) as environment overrides. Replicas given the same `shared` settings
    share the database, as in production."""

    def __init__(self, tmp_path, name, shared):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{name}.log"
        env = clean_env(NEUTRINO_LISTEN=f"127.0.0.1:{self.port}", **shared)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [neutrino_bin(), "serve", "--config", str(EXAMPLE / "neutrino.toml")],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        # As the lease names it: the host name and the process id.
        self.holder = f"{Path('/proc/sys/kernel/hostname').read_text().strip()}:{self.proc.pid}"

    def wait_alive(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"neutrino serve exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer within {START_TIMEOUT}s:\n{self.log.read_text()}")
            time.sleep(0.1)

    def lease_held(self):
        text = requests.get(self.base + "/metrics", timeout=5).text
        values = re.findall(r"^neutrino_ovn_lease_held (\d+)$", text, re.M)
        assert len(values) == 1, "no neutrino_ovn_lease_held in /metrics: is the OVN back end on?"
        return int(values[0])

    def stop(self):
        """SIGTERM, as systemd and Kubernetes stop a replica; its exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.1f} s")
        time.sleep(0.1)


NOT_CONNECTED = {"status": "not ready",
                 "checks": {"database": "ok", "migrations": "ok", "ovn": "not connected to its database"}}
STANDBY = {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "ovn": "ok"}}


def test_the_binary_serves_on_the_example_config(tmp_path):
    """Two replicas on the example file with the OVN back end on and no OVN database reachable:
    both serve; the first holds the lease and is not ready (what an operator sees while OVN is
    away), the second stands by, ready; a SIGTERM hands the lease over at once."""
    url = database_url()
    lease_secs = config()["ovn"]["lease_secs"]
    shared = dict(
        NEUTRINO_DATABASE_URL=url,
        NEUTRINO_IDENTITY__KEYSTONE__PASSWORD="not-a-real-password",
        NEUTRINO_IDENTITY__KEYSTONE__AUTH_URL=f"http://127.0.0.1:{free_port()}/v3",
        NEUTRINO_OVN__NB_CONNECTION=f"tcp:127.0.0.1:{free_port()}",
        NEUTRINO_OVN__SB_CONNECTION=f"tcp:127.0.0.1:{free_port()}",
        NEUTRINO_DATA_DIR=str(tmp_path / "data"),
    )
    first = Replica(tmp_path, "first", shared)
    second = None
    try:
        first.wait_alive()
        assert requests.get(first.base + "/healthz", timeout=5).json() == {"status": "alive"}
        # Alone, it claims the lease at once; with no Northbound database to connect to, its
        # /readyz is 503 naming the back end, and nothing else.
        wait_for("the first replica holds the lease", lambda: first.lease_held() == 1, lease_secs)
        ready = requests.get(first.base + "/readyz", timeout=5)
        assert (ready.status_code, ready.json()) == (503, NOT_CONNECTED), ready.text
        # Keystone mode: no token is 401 naming the public Keystone of the file; a token is asked
        # of the Keystone the environment named, which is down: 503, and no built-in /v3.
        anon = requests.get(first.base + "/v2.0/networks", timeout=5)
        assert anon.status_code == 401
        assert anon.headers["WWW-Authenticate"] == 'Keystone uri="https://keystone.example.com/v3"'
        token = requests.get(first.base + "/v2.0/networks", headers={"X-Auth-Token": "t"}, timeout=30)
        assert token.status_code == 503, token.text
        assert requests.get(first.base + "/v3", timeout=5).status_code == 404

        # A second replica stands by: ready, not holding the lease, for longer than a lease.
        second = Replica(tmp_path, "second", shared)
        second.wait_alive()
        deadline = time.monotonic() + lease_secs + 1
        while time.monotonic() < deadline:
            ready = requests.get(second.base + "/readyz", timeout=5)
            assert (ready.status_code, ready.json()) == (200, STANDBY), ready.text
            assert (first.lease_held(), second.lease_held()) == (1, 0)
            time.sleep(0.5)

        # SIGTERM releases the lease: the standby takes it at its next claim (a third of
        # lease_secs), well before the lease would have lapsed, and reports OVN as the holder did.
        stopped_at = time.monotonic()
        assert first.stop() == 0, first.log.read_text()
        wait_for("the standby takes the lease over", lambda: second.lease_held() == 1,
                 lease_secs / 3 + 1 - (time.monotonic() - stopped_at))
        ready = requests.get(second.base + "/readyz", timeout=5)
        assert (ready.status_code, ready.json()) == (503, NOT_CONNECTED), ready.text
        # `neutrino ovn status`, run beside them with the same settings, names the holder (it
        # exits 1: the Northbound database is unreachable).
        status = subprocess.run(
            [neutrino_bin(), "ovn", "status", "--json", "--config", str(EXAMPLE / "neutrino.toml")],
            capture_output=True, text=True, timeout=30, env=clean_env(**shared))
        assert status.returncode == 1, status.stderr
        report = json.loads(status.stdout)
        assert report["nb_reachable"] is False
        assert report["lease"]["holder"] == second.holder, report
        assert 0 < report["lease"]["expires_in_secs"] <= lease_secs, report
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert second.proc.returncode == 0, second.log.read_text()
    # [log] format = "json": every line a JSON object, for the log collector.
    for replica in (first, second):
        lines = [ln for ln in replica.log.read_text().splitlines() if ln.strip()]
        assert lines, f"no log in {replica.log}"
        for line in lines:
            assert isinstance(json.loads(line), dict), line
    assert not (tmp_path / "data" / "openrc").exists(), "Keystone mode writes no credentials"
    if url:
        assert list((tmp_path / "data").iterdir()) == [], "PostgreSQL and Keystone: data_dir stays empty"


def print_config(path, **settings):
    return subprocess.run([neutrino_bin(), "serve", "--config", str(path), "--print-config"],
                          capture_output=True, text=True, timeout=30, env=clean_env(**settings))


def test_the_ovn_settings_are_accepted():
    """The file's [ovn] section passes the back end's own checks (done when the config is
    loaded), with the back end on as the file says."""
    done = print_config(EXAMPLE / "neutrino.toml")
    assert done.returncode == 0, done.stderr
    effective = tomllib.loads(done.stdout)
    assert effective["backend"] == "ovn"
    assert effective["ovn"]["nb_connection"] == config()["ovn"]["nb_connection"]
    assert effective["ovn"]["lease_secs"] == config()["ovn"]["lease_secs"]


@pytest.mark.parametrize("good, bad", [
    ("token_cache_ttl_secs = 300", "token_cache_ttl_sec = 300"),
    ("max_connections = 16", "max_conections = 16"),
    ("[identity.keystone]", "[identity.keystones]"),
    ("lease_secs = 6", "lease_sec = 6"),
])
def test_a_misspelt_key_in_the_example_stops_the_start(tmp_path, good, bad):
    """The check above would catch a wrong key: the loader refuses unknown keys."""
    text = (EXAMPLE / "neutrino.toml").read_text()
    assert text.count(good) == 1, good
    broken = tmp_path / "neutrino.toml"
    broken.write_text(text.replace(good, bad))
    done = print_config(broken)
    assert done.returncode != 0, f"{bad!r} was accepted"
    assert "unknown field" in done.stderr, done.stderr
    assert print_config(EXAMPLE / "neutrino.toml").returncode == 0


# --- HAProxy and systemd -----------------------------------------------------------------------

def test_haproxy_accepts_the_config():
    assert shutil.which("haproxy"), "haproxy is not installed (tests/examples/APT-PACKAGES)"
    done = subprocess.run(["haproxy", "-c", "-f", str(EXAMPLE / "haproxy.cfg")],
                          capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output and "ALERT" not in output, output


def test_haproxy_checks_readiness_on_every_replica():
    text = (EXAMPLE / "haproxy.cfg").read_text()
    port = config()["listen"].rsplit(":", 1)[1]
    assert re.search(r"^\s*http-check send meth GET uri /readyz\b", text, re.M)
    assert re.search(r"^\s*http-check expect status 200$", text, re.M)
    assert re.search(r"^\s*default-server check\b", text, re.M)
    servers = re.findall(r"^\s*server (\S+) (\S+):(\d+)", text, re.M)
    assert len(servers) == 3 and all(p == port for _, _, p in servers), servers


def test_systemd_accepts_the_unit(tmp_path):
    """`systemd-analyze verify` without a message. It insists that ExecStart's binary exists, so
    it verifies a copy whose ExecStart names the binary under test; the rest is unchanged."""
    assert shutil.which("systemd-analyze"), "systemd-analyze is not installed (package systemd)"
    text = (EXAMPLE / "neutrino.service").read_text()
    exec_start = "\nExecStart=/usr/local/bin/neutrino "
    assert text.count(exec_start) == 1
    unit = tmp_path / "neutrino.service"
    unit.write_text(text.replace(exec_start, f"\nExecStart={neutrino_bin()} "))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and not output, output


def test_systemd_lets_the_drain_finish():
    service = {}
    for line in (EXAMPLE / "neutrino.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            service.setdefault(key.strip(), []).append(value.strip())
    assert service["Type"] == ["exec"], "neutrino serve does not notify systemd"
    stop = service["TimeoutStopSec"][0]
    assert stop.endswith("s")
    # The drain, then the back end's stop, which releases its lease.
    assert int(stop[:-1]) > config()["shutdown_timeout_secs"] + BACKEND_STOP_SECS
    assert service["KillSignal"] == ["SIGTERM"]
    assert service["EnvironmentFile"] == ["/etc/neutrino/neutrino.env"]
    assert service["ExecStart"] == ["/usr/local/bin/neutrino serve --config /etc/neutrino/neutrino.toml"]
    assert not [v for v in service.get("Environment", []) if "NEUTRINO_" in v], (
        "every host runs the shared file: settings come from it or from the secrets' file")
