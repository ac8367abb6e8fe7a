"""examples/production: the deployment example is checked by the tools that will read it.

* the Kubernetes manifests against the API schemas kubernetes-validate ships (strict: unknown
  fields are errors), for the oldest Kubernetes the README names and the newest it knows;
* the ConfigMap holds examples/production/neutrino.toml byte for byte;
* the manifests, the systemd unit and the HAProxy config agree with that file (port, drain time,
  probe paths, the one OVN replica);
* the real binary (NEUTRINO_BIN, built by scripts/test) starts on the file, in Keystone mode, with
  only the secrets and this machine's addresses given by the environment as in production; a
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
import socket
import subprocess
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
EXAMPLE = ROOT / "examples" / "production"
K8S = EXAMPLE / "kubernetes"
# Oldest: the preStop `sleep` action is in the schema from 1.30 on (README.md says 1.30 or later).
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
START_TIMEOUT = 30.0


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


def neutrino_bin():
    path = os.environ.get("NEUTRINO_BIN")
    if not path:
        pytest.fail("NEUTRINO_BIN is not set: it must name the neutrino binary (scripts/test builds it)")
    if not os.access(path, os.X_OK):
        pytest.fail(f"NEUTRINO_BIN={path} is not an executable file")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    assert kinds == ["ConfigMap", "Deployment", "PodDisruptionBudget", "Secret", "Service", "StatefulSet"]
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


def test_the_workloads_agree_with_the_config():
    cfg = config()
    port = int(cfg["listen"].rsplit(":", 1)[1])
    assert cfg["identity"]["mode"] == "keystone", "built-in tokens are per replica"
    assert cfg["backend"] == "none", "the shared file must not turn the OVN back end on everywhere"
    assert cfg["database"]["url"] == "", "the database URL comes from the Secret"
    assert cfg["identity"]["keystone"]["password"] == "", "the password comes from the Secret"
    secret = one("Secret", "neutrino-secrets")
    api, ovn = one("Deployment", "neutrino"), one("StatefulSet", "neutrino-ovn")
    assert api["spec"]["replicas"] == 3
    assert ovn["spec"]["replicas"] == 1, "the OVN back end has no lease yet: one replica at most"
    for workload in (api, ovn):
        name = workload["metadata"]["name"]
        pod = workload["spec"]["template"]["spec"]
        c = container(workload)
        assert c["command"] + c["args"] == [
            "/usr/local/bin/neutrino", "serve", "--config", "/etc/neutrino/neutrino.toml"], name
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        assert mounts["config"] == "/etc/neutrino", name
        assert mounts["data"] == cfg["data_dir"], name
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["config"]["configMap"]["name"] == "neutrino-config", name
        assert [p["containerPort"] for p in c["ports"]] == [port], name
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz", name
        # /readyz bounds its checks by 3 s: a shorter probe timeout would fail healthy replicas.
        assert c["readinessProbe"]["timeoutSeconds"] > 3, name
        pre_stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pod["terminationGracePeriodSeconds"] > cfg["shutdown_timeout_secs"] + pre_stop, name
        assert pod["enableServiceLinks"] is False, name
        env = {e["name"]: e for e in c["env"]}
        for var, key in [("NEUTRINO_DATABASE_URL", "database-url"),
                         ("NEUTRINO_IDENTITY__KEYSTONE__PASSWORD", "keystone-password")]:
            ref = env[var]["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) == ("neutrino-secrets", key), (name, var)
            assert key in secret["stringData"], key
        assert c["resources"]["requests"] and c["resources"]["limits"], name
    assert "NEUTRINO_BACKEND" not in {e["name"] for e in container(api)["env"]}
    assert {"name": "NEUTRINO_BACKEND", "value": "ovn"} in container(ovn)["env"]
    assert ovn["spec"]["serviceName"] == "neutrino-ovn"


def test_the_service_and_the_budget_select_the_pods():
    api, ovn = one("Deployment", "neutrino"), one("StatefulSet", "neutrino-ovn")
    api_labels = api["spec"]["template"]["metadata"]["labels"]
    ovn_labels = ovn["spec"]["template"]["metadata"]["labels"]

    def selects(selector, labels):
        return all(labels.get(k) == v for k, v in selector.items())

    for w, labels in ((api, api_labels), (ovn, ovn_labels)):
        assert selects(w["spec"]["selector"]["matchLabels"], labels)
    service = one("Service", "neutrino")
    assert selects(service["spec"]["selector"], api_labels)
    assert selects(service["spec"]["selector"], ovn_labels)
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    budget = one("PodDisruptionBudget", "neutrino")["spec"]
    assert selects(budget["selector"]["matchLabels"], api_labels)
    assert not selects(budget["selector"]["matchLabels"], ovn_labels)
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


def test_the_binary_serves_on_the_example_config(tmp_path):
    """As a replica starts in production: the example file, the secrets from the environment, and
    this machine's addresses (a loopback port, a temporary data dir, a Keystone URL on a closed port)
    as environment overrides."""
    port, keystone_port = free_port(), free_port()
    url = database_url()
    env = clean_env(
        NEUTRINO_DATABASE_URL=url,
        NEUTRINO_IDENTITY__KEYSTONE__PASSWORD="not-a-real-password",
        NEUTRINO_IDENTITY__KEYSTONE__AUTH_URL=f"http://127.0.0.1:{keystone_port}/v3",
        NEUTRINO_LISTEN=f"127.0.0.1:{port}",
        NEUTRINO_DATA_DIR=str(tmp_path / "data"),
    )
    log = tmp_path / "neutrino.log"
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen([neutrino_bin(), "serve", "--config", str(EXAMPLE / "neutrino.toml")],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"neutrino serve exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer within {START_TIMEOUT}s:\n{log.read_text()}")
            time.sleep(0.1)
        assert requests.get(base + "/healthz", timeout=5).json() == {"status": "alive"}
        ready = requests.get(base + "/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "ok"
        assert "ovn" not in ready.json()["checks"], "backend = none: no OVN check"
        # Keystone mode: no token is 401 naming the public Keystone of the file; a token is asked
        # of the Keystone the environment named, which is down: 503, and no built-in /v3.
        anon = requests.get(base + "/v2.0/networks", timeout=5)
        assert anon.status_code == 401
        assert anon.headers["WWW-Authenticate"] == 'Keystone uri="https://keystone.example.com/v3"'
        token = requests.get(base + "/v2.0/networks", headers={"X-Auth-Token": "t"}, timeout=30)
        assert token.status_code == 503, token.text
        assert requests.get(base + "/v3", timeout=5).status_code == 404
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
    assert proc.returncode == 0, log.read_text()
    # [log] format = "json": every line a JSON object, for the log collector.
    lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
    assert lines, "no log"
    for line in lines:
        assert isinstance(json.loads(line), dict), line
    assert not (tmp_path / "data" / "openrc").exists(), "Keystone mode writes no credentials"
    if url:
        assert list((tmp_path / "data").iterdir()) == [], "PostgreSQL and Keystone: data_dir stays empty"


def print_config(path, **settings):
    return subprocess.run([neutrino_bin(), "serve", "--config", str(path), "--print-config"],
                          capture_output=True, text=True, timeout=30, env=clean_env(**settings))


def test_the_ovn_replica_settings_are_accepted():
    """The one replica with NEUTRINO_BACKEND=ovn: the file's [ovn] section passes the back end's
    own checks (done when the config is loaded)."""
    done = print_config(EXAMPLE / "neutrino.toml", NEUTRINO_BACKEND="ovn")
    assert done.returncode == 0, done.stderr
    effective = tomllib.loads(done.stdout)
    assert effective["backend"] == "ovn"
    assert effective["ovn"]["nb_connection"] == config()["ovn"]["nb_connection"]


@pytest.mark.parametrize("good, bad", [
    ("token_cache_ttl_secs = 300", "token_cache_ttl_sec = 300"),
    ("max_connections = 16", "max_conections = 16"),
    ("[identity.keystone]", "[identity.keystones]"),
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
    assert int(stop[:-1]) > config()["shutdown_timeout_secs"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert service["EnvironmentFile"] == ["/etc/neutrino/neutrino.env"]
    assert service["ExecStart"] == ["/usr/local/bin/neutrino serve --config /etc/neutrino/neutrino.toml"]
