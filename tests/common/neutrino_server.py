"""A `neutrino serve` for tests, started from the binary NEUTRINO_BIN names, with users, an engine
(SQLite, or PostgreSQL with NEUTRINO_TEST_ENGINE=postgres) and extra settings; and openstacksdk
connections to it. Shared by tests/clients, tests/dataplane and tests/examples (whose venv has no
openstacksdk: it is imported where a connection is made).
"""

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

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


def wait_until_answering(proc, url, timeout, what, log_text, on_timeout, verify=True):
    """Waits for `proc` to answer GET `url` with 200; fails the test, with its log, if it exits
    first or does not answer within `timeout` seconds (then `on_timeout()` ends it). `verify`:
    requests' (a CA file for https)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode} before answering:\n{log_text()}")
        try:
            if requests.get(url, timeout=2, verify=verify).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    on_timeout()
    pytest.fail(f"{what} did not answer GET {url} within {timeout}s:\n{log_text()}")


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
        wait_until_answering(self.proc, self.url + "/", START_TIMEOUT, "neutrino serve", self.log_text,
                             on_timeout=self.kill)
        return self

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


def start_server(base_dir, users=None, extra_toml="", port=None):
    """A server in `base_dir`; `extra_toml` is added to its config file (top-level keys first);
    `port`: one chosen beforehand (to register it somewhere first), else a free one."""
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)
    config = base_dir / "neutrino.toml"
    config.write_text(extra_toml + "\n" + database_toml() + config_toml(USERS if users is None else users))
    return Server(data_dir=base_dir / "data", config=config, port=port or free_port(),
                  log=base_dir / "neutrino.log").start()



def connect(server, user):
    u = USERS[user]
    import openstack

    return openstack.connect(
        auth_url=server.auth_url, username=user, password=server.password(user),
        project_name=u["project"], user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", interface="public", identity_api_version="3",
    )
