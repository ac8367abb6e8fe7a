"""A real Keystone (from PyPI, SQLite back end, fernet tokens, served by gunicorn on loopback) and a
`neutrino serve` in keystone mode in front of it, seeded as docs/keystone.md tells an operator to.

Keystone's executables come from the venv this pytest runs in (scripts/test: .venv-keystone, from
tests/keystone/requirements.txt); the neutrino binary from NEUTRINO_BIN.
"""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import openstack
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from neutrino_server import free_port, start_server, wait_until_answering  # noqa: E402
from throwaway_ca import Certs, make_certs  # noqa: E402

BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "admin-secret"
SERVICE_PASSWORD = "neutrino-secret"
DEMO_PASSWORD = "demo-secret"
START_TIMEOUT = 60.0
# Short, so that the revocation test waits seconds, not keystonemiddleware's default 5 minutes.
TOKEN_CACHE_TTL = 2


def keystone_conf(base: Path, name="keystone.conf", token_expiration=3600) -> Path:
    conf = base / name
    conf.write_text(f"""[DEFAULT]
log_file = {base / "keystone.log"}
[database]
connection = sqlite:///{base / "keystone.db"}
[token]
provider = fernet
expiration = {token_expiration}
[fernet_tokens]
key_repository = {base / "fernet-keys"}
[credential]
key_repository = {base / "credential-keys"}
[cache]
enabled = false
""")
    return conf


def manage(conf: Path, *args):
    cmd = [str(BIN / "keystone-manage"), "--config-file", str(conf), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@dataclass
class Keystone:
    base: Path
    conf: Path
    port: int
    proc: subprocess.Popen = None
    # Served over https with this certificate (tests/common/throwaway_ca.py) when set.
    certs: Certs = None

    @property
    def url(self):
        scheme = "https" if self.certs else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v3"

    def start(self):
        # Keystone parses the process's command line as its own options: the application is
        # loaded through a module that hides gunicorn's arguments from it.
        (self.base / "keystone_app.py").write_text(
            "import sys\nsys.argv = sys.argv[:1]\nfrom keystone.wsgi.api import application  # noqa\n")
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(self.conf))
        log = open(self.base / f"gunicorn-{self.port}.log", "ab")
        tls = ["--certfile", str(self.certs.cert), "--keyfile", str(self.certs.key)] if self.certs else []
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--threads", "4", "--timeout", "120", "--pythonpath", str(self.base), *tls,
             "keystone_app:application"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )
        log.close()
        wait_until_answering(self.proc, self.url, START_TIMEOUT, "Keystone (gunicorn)", self.log_text,
                             on_timeout=self.stop, verify=str(self.certs.ca) if self.certs else True)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def log_text(self):
        text = ""
        for name in (f"gunicorn-{self.port}.log", "keystone.log"):
            try:
                text += f"--- {name}\n" + (self.base / name).read_text(errors="replace")[-3000:]
            except OSError:
                pass
        return text

    def connect(self, user, password, project):
        return openstack.connect(
            auth_url=self.url, username=user, password=password, project_name=project,
            user_domain_name="Default", project_domain_name="Default", region_name="RegionOne",
            interface="public", identity_api_version="3",
        )


@pytest.fixture(scope="session")
def keystone(tmp_path_factory):
    ks = bootstrap_keystone(tmp_path_factory.mktemp("keystone"))
    yield ks
    ks.stop()


def bootstrap_keystone(base: Path) -> Keystone:
    """A new Keystone in `base` (database, keys, `keystone-manage bootstrap`), started."""
    conf = keystone_conf(base)
    user, group = os.getuid(), os.getgid()
    manage(conf, "db_sync")
    manage(conf, "fernet_setup", "--keystone-user", str(user), "--keystone-group", str(group))
    manage(conf, "credential_setup", "--keystone-user", str(user), "--keystone-group", str(group))
    ks = Keystone(base=base, conf=conf, port=free_port())
    manage(conf, "bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
           "--bootstrap-admin-url", ks.url, "--bootstrap-public-url", ks.url,
           "--bootstrap-internal-url", ks.url, "--bootstrap-region-id", "RegionOne")
    return ks.start()


# Seconds a token of `keystone_short_lived` lives.
SHORT_TOKEN_LIFETIME = 10


@pytest.fixture(scope="session")
def keystone_short_lived(keystone):
    """The same Keystone (database, fernet keys) served by a second gunicorn whose tokens expire
    after SHORT_TOKEN_LIFETIME seconds: its tokens are valid at both until then."""
    conf = keystone_conf(keystone.base, "keystone-short.conf", token_expiration=SHORT_TOKEN_LIFETIME)
    ks = Keystone(base=keystone.base, conf=conf, port=free_port())
    ks.start()
    yield ks
    ks.stop()


@pytest.fixture(scope="session")
def keystone_tls(keystone, tmp_path_factory):
    """The same Keystone (database, fernet keys) served by a second gunicorn over https, with a
    certificate of a throwaway CA: tokens of either are valid at both."""
    certs = make_certs(tmp_path_factory.mktemp("tls"))
    ks = Keystone(base=keystone.base, conf=keystone.conf, port=free_port(), certs=certs)
    ks.start()
    yield ks
    ks.stop()


def keystone_section(url, cache_ttl=TOKEN_CACHE_TTL, **extra):
    """`[identity.keystone]` for Neutrino's service user, reaching Keystone at `url`."""
    lines = "".join(f"{k} = {v}\n" for k, v in extra.items())
    return f"""[identity]
mode = "keystone"

[identity.keystone]
www_authenticate_uri = "{url}"
auth_url = "{url}"
username = "neutrino"
password = "{SERVICE_PASSWORD}"
project_name = "service"
user_domain_name = "Default"
project_domain_name = "Default"
token_cache_ttl_secs = {cache_ttl}
{lines}
"""


def register_neutrino(keystone, port):
    """The operator's part (docs/keystone.md): Neutrino's service user and the network endpoints
    at `port`, and a project `demo` with a member `demo`."""
    admin = keystone.connect("admin", ADMIN_PASSWORD, "admin")
    service_project = admin.identity.create_project(name="service", domain_id="default")
    service_role = admin.identity.find_role("service") or admin.identity.create_role(name="service")
    neutrino_user = admin.identity.create_user(
        name="neutrino", password=SERVICE_PASSWORD, domain_id="default")
    admin.identity.assign_project_role_to_user(service_project, neutrino_user, service_role)
    service = admin.identity.create_service(name="neutron", type="network")
    for interface in ("public", "internal", "admin"):
        admin.identity.create_endpoint(service_id=service.id, interface=interface,
                                       url=f"http://127.0.0.1:{port}", region_id="RegionOne")
    demo = admin.identity.create_project(name="demo", domain_id="default")
    demo_user = admin.identity.create_user(name="demo", password=DEMO_PASSWORD, domain_id="default")
    admin.identity.assign_project_role_to_user(demo, demo_user, admin.identity.find_role("member"))


@pytest.fixture(scope="session")
def neutrino(keystone, tmp_path_factory):
    """`neutrino serve` in keystone mode, registered by the operator's steps."""
    port = free_port()
    register_neutrino(keystone, port)
    extra = keystone_section(keystone.url)
    server = start_server(tmp_path_factory.mktemp("neutrino"), users={}, extra_toml=extra,
                          port=port)
    yield server
    code = server.stop()
    assert code == 0, f"neutrino serve exited with {code}:\n{server.log_text()}"


@pytest.fixture
def admin(keystone, neutrino):
    return keystone.connect("admin", ADMIN_PASSWORD, "admin")


@pytest.fixture
def demo(keystone, neutrino):
    return keystone.connect("demo", DEMO_PASSWORD, "demo")
