"""Keystone mode against a real Keystone: tokens Keystone issued work with the API's policy
unchanged, anything else gets keystonemiddleware's 401, revocations are honoured within the
cache TTL and expiry even sooner (a cached answer never outlives its token), and a Keystone that
is down gives 503 (not 401, not 500) until it is back."""

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests

from conftest import (
    ADMIN_PASSWORD,
    DEMO_PASSWORD,
    SHORT_TOKEN_LIFETIME,
    TOKEN_CACHE_TTL,
    keystone_section,
)
from neutrino_server import start_server


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def api(neutrino, token, path="/v2.0/networks", method="GET", **kw):
    headers = {"X-Auth-Token": token} if token is not None else {}
    return requests.request(method, neutrino.url + path, headers=headers, timeout=30, **kw)


def test_builtin_identity_is_not_served(neutrino):
    assert requests.get(neutrino.url + "/v3", timeout=10).status_code == 404
    assert not (neutrino.data_dir / "openrc").exists(), "keystone mode writes no credentials"


def test_member_creates_and_admin_sees_all(neutrino, admin, demo):
    # openstacksdk finds Neutrino through Keystone's catalog, as every client does.
    name = unique("net")
    net = demo.network.create_network(name=name)
    assert net.project_id == demo.current_project_id
    assert name in [n.name for n in demo.network.networks()]
    # admin's project is another one: the network shows up only because admin sees all.
    assert admin.current_project_id != demo.current_project_id
    seen = {n.name: n.project_id for n in admin.network.networks()}
    assert seen[name] == demo.current_project_id
    other = admin.network.create_network(name=unique("admin-net"))
    assert other.name not in [n.name for n in demo.network.networks()], "a member sees only its own"
    # Another project's network does not exist for the member's token.
    assert api(neutrino, demo.auth_token, f"/v2.0/networks/{other.id}").status_code == 404
    # member may not do what only admin may: upstream's policy, unchanged.
    resp = api(neutrino, demo.auth_token, "/v2.0/networks", "POST",
               json={"network": {"name": unique("x"), "provider:network_type": "vlan"}})
    assert resp.status_code == 403, resp.text
    demo.network.delete_network(net)
    admin.network.delete_network(other)


def test_bad_and_missing_tokens_get_401_pointing_at_keystone(keystone, neutrino):
    for token in ("not-a-token", "gAAAAABnot-a-fernet-token", None):
        resp = api(neutrino, token)
        assert resp.status_code == 401, (token, resp.status_code, resp.text)
        assert resp.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.url}"'
        assert resp.json()["error"]["code"] == 401


def test_revoked_token_is_refused_within_the_ttl(keystone, neutrino, admin, demo):
    token = demo.auth_token
    assert api(neutrino, token).status_code == 200
    revoked = requests.delete(keystone.url + "/auth/tokens", timeout=30,
                              headers={"X-Auth-Token": admin.auth_token, "X-Subject-Token": token})
    assert revoked.status_code == 204, revoked.text
    # Believed from the cache for at most the TTL: that is the bargain of a cache.
    time.sleep(TOKEN_CACHE_TTL + 0.5)
    resp = api(neutrino, token)
    assert resp.status_code == 401, resp.text


def test_removed_role_is_honoured_within_the_ttl(keystone, admin, neutrino):
    project = admin.identity.create_project(name=unique("p"), domain_id="default")
    user = admin.identity.create_user(name=unique("u"), password="pw", domain_id="default")
    member = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(project, user, member)
    conn = keystone.connect(user.name, "pw", project.name)
    token = conn.auth_token
    assert api(neutrino, token).status_code == 200
    admin.identity.unassign_project_role_from_user(project, user, member)
    time.sleep(TOKEN_CACHE_TTL + 0.5)
    assert api(neutrino, token).status_code == 401


def test_keystone_down_gives_503_then_service_resumes(keystone, neutrino, demo):
    fresh = demo.auth_token  # issued, never shown to Neutrino: not in its cache
    never_seen = "not-a-token-" + uuid.uuid4().hex
    keystone.stop()
    try:
        for token in (fresh, never_seen):
            resp = api(neutrino, token)
            assert resp.status_code == 503, resp.text
            assert resp.json()["NeutronError"]["type"] == "ServiceUnavailable"
    finally:
        keystone.start()
    assert api(neutrino, fresh).status_code == 200
    assert api(neutrino, never_seen).status_code == 401


def test_openstack_cli_through_keystone(keystone, neutrino, demo):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_URL=keystone.url, OS_USERNAME="demo", OS_PASSWORD=DEMO_PASSWORD,
               OS_PROJECT_NAME="demo", OS_USER_DOMAIN_NAME="Default",
               OS_PROJECT_DOMAIN_NAME="Default", OS_IDENTITY_API_VERSION="3",
               OS_REGION_NAME="RegionOne", OS_INTERFACE="public")
    cli = str(Path(sys.executable).parent / "openstack")

    def openstack(*args):
        r = subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"openstack {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    name = unique("cli-net")
    created = json.loads(openstack("network", "create", name, "-f", "json"))
    assert created["project_id"] == demo.current_project_id
    assert name in openstack("network", "list", "-f", "value", "-c", "Name").split()
    openstack("network", "delete", name)


def test_system_and_domain_scoped_tokens_are_refused(keystone, neutrino, admin):
    """The API's policies are project-scoped, as upstream's with enforce_scope: 403, not 401."""
    # bootstrap made admin an admin of the system; of the domain it is made here.
    admin.identity.assign_domain_role_to_user(
        admin.identity.get_domain("default"), admin.identity.find_user("admin"),
        admin.identity.find_role("admin"))
    for scope in ({"system": {"all": True}}, {"domain": {"id": "default"}}):
        auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": ADMIN_PASSWORD, "domain": {"id": "default"}}}},
            "scope": scope}}
        issued = requests.post(keystone.url + "/auth/tokens", json=auth, timeout=30)
        assert issued.status_code == 201, issued.text
        resp = api(neutrino, issued.headers["X-Subject-Token"])
        assert resp.status_code == 403, (scope, resp.text)
        assert resp.json()["NeutronError"]["type"] == "PolicyNotAuthorized"


def test_expired_token_is_refused_even_while_cached(keystone, keystone_short_lived, neutrino, tmp_path):
    """A cached answer lasts until the token expires or the TTL passes, whichever is first: with a
    TTL of ten minutes, a token that expires in seconds is refused once it has expired, as
    keystonemiddleware refuses an expired token it holds in its cache."""
    server = start_server(tmp_path, users={}, extra_toml=keystone_section(keystone.url, cache_ttl=600))
    try:
        # Warm up first (Neutrino's service token, both gunicorns' workers): on a loaded machine
        # the first validation alone can take longer than the short token lives.
        warm = keystone.connect("demo", DEMO_PASSWORD, "demo").auth_token
        assert api(server, warm).status_code == 200
        keystone_short_lived.connect("demo", DEMO_PASSWORD, "demo").auth_token
        short = keystone_short_lived.connect("demo", DEMO_PASSWORD, "demo")
        token = short.auth_token
        expires = short.session.auth.get_auth_ref(short.session).expires
        assert api(server, token).status_code == 200, "valid before it expires (and now cached)"
        wait = (expires - datetime.now(timezone.utc)).total_seconds() + 1
        assert 0 < wait <= SHORT_TOKEN_LIFETIME + 1, wait
        time.sleep(wait)
        resp = api(server, token)
        assert resp.status_code == 401, resp.text
        assert resp.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.url}"'
        # Keystone itself no longer accepts it either: not only Neutrino's cache says so.
        seen_by_keystone = requests.get(keystone.url + "/auth/tokens", timeout=30, headers={
            "X-Auth-Token": token, "X-Subject-Token": token})
        assert seen_by_keystone.status_code in (401, 404), seen_by_keystone.text
    finally:
        code = server.stop()
        assert code == 0, f"neutrino serve exited with {code}:\n{server.log_text()}"
