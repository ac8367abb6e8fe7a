"""Servers of their own: the README quick start, restart, and kill -9 durability."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import openstack
import requests

from conftest import Api, openstack_exe, start_server


def connect_openrc(srv):
    rc = srv.openrc()
    return openstack.connect(
        auth_url=rc["OS_AUTH_URL"], username=rc["OS_USERNAME"], password=rc["OS_PASSWORD"],
        project_name=rc["OS_PROJECT_NAME"], user_domain_name=rc["OS_USER_DOMAIN_NAME"],
        project_domain_name=rc["OS_PROJECT_DOMAIN_NAME"], region_name=rc.get("OS_REGION_NAME"),
        identity_api_version="3")


def test_readme_quick_start(tmp_path):
    """The README's quick start, literally, in bash, with the default users (no [[identity.users]])."""
    srv = start_server(tmp_path, users={})
    try:
        script = (f"set -e\nsource {srv.data_dir}/openrc\n"
                  "openstack network create net1\n"
                  "openstack subnet create --network net1 --subnet-range 10.0.0.0/24 sub1\n"
                  "openstack port create --network net1 p1\n"
                  "openstack port list --network net1 --long\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["PATH"] = os.path.dirname(openstack_exe()) + os.pathsep + env.get("PATH", "")
        r = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"quick start failed:\n{r.stdout}\n{r.stderr}"
        table = r.stdout.split("openstack port list")[-1]
        assert "p1" in table and "10.0.0." in table and "DOWN" in table, r.stdout
        assert "| Fixed IP Addresses" in r.stdout, r.stdout

        conn = connect_openrc(srv)
        net = conn.network.find_network("net1")
        assert net is not None and net.project_id == conn.current_project_id
        sub = conn.network.find_subnet("sub1")
        assert sub.cidr == "10.0.0.0/24" and sub.network_id == net.id
        port = conn.network.find_port("p1")
        assert port.network_id == net.id and port.fixed_ips[0]["subnet_id"] == sub.id
        assert port.fixed_ips[0]["ip_address"].startswith("10.0.0.")
        # clouds.yaml has the two default clouds.
        clouds = (srv.data_dir / "clouds.yaml").read_text()
        assert "neutrino-admin" in clouds and "neutrino-demo" in clouds
    finally:
        srv.stop()


def test_restart_keeps_generated_passwords_and_tokens(tmp_path):
    srv = start_server(tmp_path, users={})
    try:
        before = srv.openrc()
        clouds_before = (srv.data_dir / "clouds.yaml").read_text()
        conn = connect_openrc(srv)
        token = conn.session.get_token()
        net = conn.network.create_network(name="survives-restart")
        assert srv.stop() == 0, srv.log_text()

        srv.start()
        after = srv.openrc()
        assert after["OS_PASSWORD"] == before["OS_PASSWORD"]
        assert after["OS_USERNAME"] == before["OS_USERNAME"] == "admin"
        assert (srv.data_dir / "clouds.yaml").read_text() == clouds_before
        # The old password logs in, and a token issued before the restart still works.
        conn2 = connect_openrc(srv)
        assert conn2.network.get_network(net.id).name == "survives-restart"
        r = requests.get(srv.url + "/v2.0/networks", headers={"X-Auth-Token": token}, timeout=10)
        assert r.status_code == 200 and net.id in [n["id"] for n in r.json()["networks"]]
    finally:
        srv.stop()


def test_kill_9_keeps_every_acknowledged_create(tmp_path):
    srv = start_server(tmp_path, users={})
    conn = connect_openrc(srv)
    api = Api(base=srv.url + "/v2.0", token=conn.session.get_token(), project_id=conn.current_project_id)
    acked = {"networks": {}, "subnets": {}, "ports": {}}
    try:
        def create_stack(i):
            n = api.ok("POST", "/networks", 201, {"network": {"name": f"durable-{i}"}})["network"]
            s = api.ok("POST", "/subnets", 201, {"subnet": {"network_id": n["id"], "ip_version": 4,
                                                            "cidr": f"10.{i}.0.0/24"}})["subnet"]
            p = api.ok("POST", "/ports", 201, {"port": {"network_id": n["id"], "name": f"durable-{i}"}})["port"]
            t = api.ok("PUT", f"/networks/{n['id']}/tags", 200, {"tags": [f"t{i}"]})
            assert t["tags"] == [f"t{i}"]
            return n, s, p

        with ThreadPoolExecutor(max_workers=8) as pool:
            for n, s, p in pool.map(create_stack, range(40)):
                acked["networks"][n["id"]] = n
                acked["subnets"][s["id"]] = s
                acked["ports"][p["id"]] = p
        # Acknowledged deletes and updates must survive as well.
        doomed = list(acked["ports"])[:5]
        for pid in doomed:
            api.ok("DELETE", f"/ports/{pid}", 204)
            del acked["ports"][pid]
        renamed = next(iter(acked["networks"].values()))
        renamed["name"] = api.ok("PUT", f"/networks/{renamed['id']}", 200, {"network": {"name": "renamed"}})["network"]["name"]
        # Everything above was answered with 201/200/204: kill without any chance to flush.
        srv.kill()

        srv.start()
        api.token = connect_openrc(srv).session.get_token()
        nets = {n["id"]: n for n in api.ok("GET", "/networks", 200)["networks"]}
        subs = {s["id"]: s for s in api.ok("GET", "/subnets", 200)["subnets"]}
        ports = {p["id"]: p for p in api.ok("GET", "/ports", 200)["ports"]}
        missing = [i for i in acked["networks"] if i not in nets]
        assert not missing, f"{len(missing)} acknowledged networks lost after kill -9"
        assert all(i in subs for i in acked["subnets"]), "acknowledged subnets lost after kill -9"
        assert all(i in ports for i in acked["ports"]), "acknowledged ports lost after kill -9"
        for pid, p in acked["ports"].items():
            assert ports[pid]["fixed_ips"] == p["fixed_ips"]
            assert ports[pid]["mac_address"] == p["mac_address"]
        assert not set(doomed) & set(ports), "deleted ports are back after kill -9"
        assert len(ports) == len(acked["ports"])
        assert nets[renamed["id"]]["name"] == "renamed"
        for nid, n in acked["networks"].items():
            assert nets[nid]["name"] == n["name"]
        assert sorted(n["tags"][0] for n in nets.values()) == sorted(f"t{i}" for i in range(40))
        # Allocations survived too: the same addresses cannot be handed out twice.
        some = next(iter(acked["ports"].values()))
        r = api.post("/ports", {"port": {"network_id": some["network_id"], "fixed_ips": some["fixed_ips"]}})
        assert r.status_code == 409, r.text
    finally:
        srv.stop()
