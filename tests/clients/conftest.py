"""Real clients (openstacksdk, the `openstack` CLI, plain HTTP) against a running `neutrino serve`.

The binary is not built here: `NEUTRINO_BIN` names it (scripts/test builds it). One server is shared by
the whole session; tests that need their own (restart, kill -9, the README quick start) start one with
`start_server`. Every test names its resources uniquely (`unique()`), so tests do not depend on each other.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import openstack
import pytest
import requests

# Users of the shared server: admin (generated password), two members in different projects, and a
# reader in alice's project.
USERS = {
    "admin": {"project": "admin", "roles": ["admin"], "password": None},
    "alice": {"project": "project-a", "roles": ["member"], "password": "alice-secret"},
    "bob": {"project": "project-b", "roles": ["member"], "password": "bob-secret"},
    "carol": {"project": "project-a", "roles": ["reader"], "password": "carol-secret"},
}

START_TIMEOUT = 30.0


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


def config_toml(users):
    lines = []
    for name, u in users.items():
        lines.append("[[identity.users]]")
        lines.append(f'name = "{name}"')
        lines.append(f'project = "{u["project"]}"')
        lines.append("roles = [" + ", ".join(f'"{r}"' for r in u["roles"]) + "]")
        if u.get("password"):
            lines.append(f'password = "{u["password"]}"')
        lines.append("")
    return "\n".join(lines)


@dataclass
class Server:
    data_dir: Path
    config: Path
    port: int
    log: Path
    proc: subprocess.Popen = None
    log_file: object = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self):
        return f"{self.url}/v3"

    def start(self):
        self.log_file = open(self.log, "ab")
        # The server reads NEUTRINO_* variables as config (NEUTRINO_BIN among them): the test owns the config.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEUTRINO_")}
        self.proc = subprocess.Popen(
            [neutrino_bin(), "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", str(self.data_dir), "--config", str(self.config)],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"neutrino serve exited with {self.proc.returncode} before answering:\n{self.log_text()}")
            try:
                if requests.get(self.url + "/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"neutrino serve did not answer GET / within {START_TIMEOUT}s:\n{self.log_text()}")

    def stop(self):
        """SIGTERM by PID, wait for a clean exit."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail("neutrino serve did not stop within 15s of SIGTERM")
        self._close_log()
        return self.proc.returncode

    def kill(self):
        """SIGKILL by PID: no chance to flush anything."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        self._close_log()

    def _close_log(self):
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def openrc(self):
        env = {}
        for line in (self.data_dir / "openrc").read_text().splitlines():
            line = line.strip()
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                if value.startswith("'") and value.endswith("'"):
                    value = value[1:-1].replace("'\\''", "'")
                env[key] = value
        return env

    def password(self, user):
        if USERS.get(user, {}).get("password"):
            return USERS[user]["password"]
        return json.loads((self.data_dir / "identity-passwords.json").read_text())[user]


def database_toml():
    """`[database]` for the engine of this run: nothing (SQLite in the data dir), or with
    NEUTRINO_TEST_ENGINE=postgres a fresh database on the server of NEUTRINO_TEST_POSTGRES_URL."""
    if os.environ.get("NEUTRINO_TEST_ENGINE") != "postgres":
        return ""
    url = os.environ.get("NEUTRINO_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("NEUTRINO_TEST_ENGINE=postgres needs NEUTRINO_TEST_POSTGRES_URL (scripts/test starts a server)")
    name = "clients_" + uuid.uuid4().hex[:16]
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"], check=True)
    return f'[database]\nurl = "{url.rsplit("/", 1)[0]}/{name}"\n\n'


def start_server(base_dir, users=None):
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)
    config = base_dir / "neutrino.toml"
    config.write_text(database_toml() + config_toml(USERS if users is None else users))
    return Server(data_dir=base_dir / "data", config=config, port=free_port(), log=base_dir / "neutrino.log").start()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("neutrino"))
    yield srv
    code = srv.stop()
    if code != 0:
        print(f"neutrino serve exited with {code}:\n{srv.log_text()}", file=sys.stderr)


# ---------------------------------------------------------------- openstacksdk


def connect(server, user):
    u = USERS[user]
    return openstack.connect(
        auth_url=server.auth_url, username=user, password=server.password(user),
        project_name=u["project"], user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", interface="public", identity_api_version="3",
    )


@pytest.fixture(scope="session")
def admin(server):
    return connect(server, "admin")


@pytest.fixture(scope="session")
def alice(server):
    return connect(server, "alice")


@pytest.fixture(scope="session")
def bob(server):
    return connect(server, "bob")


@pytest.fixture(scope="session")
def carol(server):
    return connect(server, "carol")


# ---------------------------------------------------------------- plain HTTP


@dataclass
class Api:
    """Raw HTTP against /v2.0 with a user's token: exact status codes, headers and bodies."""

    base: str
    token: str
    project_id: str
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method, path, body=None, raw=None, headers=None, params=None):
        h = {"X-Auth-Token": self.token, "Accept": "application/json"}
        if body is not None or raw is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.session.request(method, self.base + path, data=data, headers=h, params=params, timeout=30)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, method, path, status, body=None, **kw):
        r = self.request(method, path, body=body, **kw)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


def api_for(server, conn):
    return Api(base=server.url + "/v2.0", token=conn.session.get_token(), project_id=conn.current_project_id)


@pytest.fixture(scope="session")
def admin_api(server, admin):
    return api_for(server, admin)


@pytest.fixture(scope="session")
def alice_api(server, alice):
    return api_for(server, alice)


@pytest.fixture(scope="session")
def bob_api(server, bob):
    return api_for(server, bob)


@pytest.fixture(scope="session")
def carol_api(server, carol):
    return api_for(server, carol)


def neutron_error(resp, status, type_=None, contains=None):
    """Asserts a NeutronError envelope and returns its inner dict."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert list(body) == ["NeutronError"], body
    err = body["NeutronError"]
    assert set(err) == {"type", "message", "detail"}, err
    if type_ is not None:
        assert err["type"] == type_, err
    if contains is not None:
        assert contains in err["message"], err
    return err


# ---------------------------------------------------------------- the openstack CLI


def openstack_exe():
    exe = shutil.which("openstack", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if not exe:
        pytest.fail("the openstack CLI is not installed next to this python nor on PATH")
    return exe


@dataclass
class Cli:
    server: Server
    cloud: str

    def run(self, *args, check=True):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("OS_"):
                del env[k]
        env["OS_CLIENT_CONFIG_FILE"] = str(self.server.data_dir / "clouds.yaml")
        r = subprocess.run([openstack_exe(), "--os-cloud", self.cloud, *args],
                           env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert r.returncode == 0, f"openstack {' '.join(args)} failed ({r.returncode}):\n{r.stderr}"
        return r

    def json(self, *args):
        out = self.run(*args, "-f", "json").stdout
        return json.loads(out) if out.strip() else None

    def json_many(self, *commands):
        """Runs independent commands at the same time (each CLI start costs a second or more)."""
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            return list(pool.map(lambda c: self.json(*c), commands))


@pytest.fixture(scope="session")
def admin_cli(server):
    return Cli(server, "neutrino-admin")


@pytest.fixture(scope="session")
def alice_cli(server):
    return Cli(server, "neutrino-alice")


# ---------------------------------------------------------------- helpers


def unique(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
