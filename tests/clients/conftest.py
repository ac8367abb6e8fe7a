"""Real clients (openstacksdk, the `openstack` CLI, plain HTTP) against a running `neutrino serve`.

The binary is not built here: `NEUTRINO_BIN` names it (scripts/test builds it). One server is shared by
the whole session; tests that need their own (restart, kill -9, the README quick start) start one with
`start_server`. Every test names its resources uniquely (`unique()`), so tests do not depend on each other.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from neutrino_server import (  # noqa: E402,F401 (re-exported for the test modules)
    USERS,
    Server,
    config_toml,
    connect,
    database_toml,
    free_port,
    neutrino_bin,
    start_server,
)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("neutrino"))
    yield srv
    code = srv.stop()
    if code != 0:
        print(f"neutrino serve exited with {code}:\n{srv.log_text()}", file=sys.stderr)


# ---------------------------------------------------------------- openstacksdk


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
