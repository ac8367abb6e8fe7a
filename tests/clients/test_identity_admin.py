"""The built-in identity's admin API through the `openstack` CLI, openstacksdk and plain HTTP: projects, users
and role assignments made by an admin, a token for the new user that works on the Networking API, and the
token's end when the role, the user or the project goes away."""

import openstack
import requests

from conftest import unique


def token_for(server, user, password, project):
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
    }}
    return requests.post(server.auth_url.rstrip("/") + "/auth/tokens", json=body, timeout=10)


def networks_status(server, token):
    return requests.get(server.url + "/v2.0/networks", headers={"X-Auth-Token": token}, timeout=10).status_code


def test_cli_project_user_role_lifecycle(server, admin_cli):
    p, u, pw = unique("proj"), unique("user"), unique("pw")
    project = admin_cli.json("project", "create", "--description", "made by the CLI", p)
    assert (project["name"], project["enabled"], project["domain_id"]) == (p, True, "default")
    assert p in [x["Name"] for x in admin_cli.json("project", "list")]
    assert admin_cli.json("project", "show", p)["id"] == project["id"]
    user = admin_cli.json("user", "create", "--password", pw, "--project", p, u)
    assert user["name"] == u and "password" not in user
    assert u in [x["Name"] for x in admin_cli.json("user", "list")]

    # No role yet: no token for the project.
    assert token_for(server, u, pw, p).status_code == 401
    admin_cli.run("role", "add", "--user", u, "--project", p, "member")
    listed = admin_cli.json("role", "assignment", "list", "--user", u, "--project", p, "--names")
    assert [(a["Role"], a["User"], a["Project"]) for a in listed] == [("member", f"{u}@Default", f"{p}@Default")]
    assert any(a["User"] == user["id"] for a in admin_cli.json("role", "assignment", "list")), \
        "the unfiltered list has the grant too"

    # The new user works on the Networking API, in its project.
    conn = openstack.connect(auth_url=server.auth_url, username=u, password=pw, project_name=p,
                             user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", interface="public", identity_api_version="3")
    net = conn.network.create_network(name=unique("net"))
    assert net.project_id == project["id"]
    conn.network.delete_network(net)

    # Taking the role back ends the token at its next use.
    r = token_for(server, u, pw, p)
    assert r.status_code == 201, r.text
    token = r.headers["X-Subject-Token"]
    assert networks_status(server, token) == 200
    admin_cli.run("role", "remove", "--user", u, "--project", p, "member")
    assert networks_status(server, token) == 401
    assert admin_cli.json("role", "assignment", "list", "--user", u, "--project", p) == []

    # So does deleting the user; then the project goes.
    admin_cli.run("role", "add", "--user", u, "--project", p, "member")
    token = token_for(server, u, pw, p).headers["X-Subject-Token"]
    assert networks_status(server, token) == 200
    admin_cli.run("user", "delete", u)
    assert networks_status(server, token) == 401
    assert u not in [x["Name"] for x in admin_cli.json("user", "list")]
    admin_cli.run("project", "delete", p)
    assert admin_cli.run("project", "show", p, check=False).returncode != 0


def test_config_entities_stay(admin_cli, alice_cli):
    r = admin_cli.run("project", "delete", "project-a", check=False)
    assert r.returncode != 0 and "config file" in r.stderr, r.stderr
    r = admin_cli.run("user", "delete", "alice", check=False)
    assert r.returncode != 0 and "config file" in r.stderr, r.stderr
    r = admin_cli.run("project", "create", "project-a", check=False)
    assert r.returncode != 0 and ("Conflict" in r.stderr or "409" in r.stderr), r.stderr
    names = {(a["User"], a["Project"], a["Role"]) for a in admin_cli.json("role", "assignment", "list", "--names")}
    assert ("alice@Default", "project-a@Default", "member") in names


def test_members_cannot_administer(alice_cli):
    r = alice_cli.run("project", "create", unique("proj"), check=False)
    assert r.returncode != 0 and "403" in r.stderr, r.stderr
    r = alice_cli.run("user", "create", "--password", "x", unique("user"), check=False)
    assert r.returncode != 0 and "403" in r.stderr, r.stderr


def test_sdk_identity_calls(admin):
    p = admin.identity.create_project(name=unique("proj"), description="sdk")
    u = admin.identity.create_user(name=unique("user"), password="pw", default_project_id=p.id)
    member = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(p, u, member)
    assert admin.identity.validate_user_has_project_role(p, u, member)
    assert [a.role["id"] for a in admin.identity.role_assignments(user_id=u.id)] == [member.id]
    admin.identity.unassign_project_role_from_user(p, u, member)
    assert not admin.identity.validate_user_has_project_role(p, u, member)
    admin.identity.update_user(u, enabled=False)
    assert admin.identity.get_user(u.id).is_enabled is False
    admin.identity.delete_user(u)
    admin.identity.delete_project(p)
    assert admin.identity.find_project(p.name) is None
