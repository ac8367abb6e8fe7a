"""Network logs through OVN: a log of a security group names its ACLs (`log`, `name`,
`severity`, `meter`, with the `acl_log_meter` meter), and a ping into an instance of the group then
writes an `acl_log` line naming the log (`neutron-<log id>`) into the ovn-controller log of a
chassis; once the log is disabled, pings write no more lines."""

import re
import time
from pathlib import Path

from conftest import fixed_ip, network_with_subnet, wait_until


def controller_log(lab):
    """Every chassis' ovn-controller log, one after the other."""
    dirs = [d for key, d in lab.env.items() if re.fullmatch(r"OVN_SANDBOX_CHASSIS_\d+_DIR", key)]
    assert dirs, lab.env
    return "\n".join(Path(d, "ovn-controller.log").read_text(errors="replace") for d in dirs)


def acl_log_lines(lab, log_id):
    return [line for line in controller_log(lab).splitlines()
            if "acl_log" in line and f'name="neutron-{log_id}"' in line]


def acl_names(lab):
    return lab.nbctl("--bare", "--columns=name", "list", "ACL")


def test_a_logged_security_group_writes_acl_log_lines(lab):
    c = lab.cloud
    net, _ = network_with_subnet(c, "n1", "10.60.0.0/24")
    logged = c.network.create_security_group(name="logged")
    c.network.create_security_group_rule(security_group_id=logged.id, direction="ingress",
                                         ethertype="IPv4", protocol="icmp")
    a = c.network.create_port(network_id=net.id, name="a")
    b = c.network.create_port(network_id=net.id, name="b", security_group_ids=[logged.id])
    lab.plug(1, "a", a)
    lab.plug(2, "b", b)
    lab.dhcp("a")
    lab.dhcp("b")
    ip_b = fixed_ip(b)
    assert lab.reaches("a", ip_b)
    assert "acl_log" not in controller_log(lab)

    r = c.network.post("/log/logs", json={"log": {
        "name": "web", "resource_type": "security_group", "resource_id": logged.id,
        "event": "ACCEPT"}})
    assert r.status_code == 201, r.text
    log = r.json()["log"]
    wait_until("the group's ACLs to name the log",
               lambda: f"neutron-{log['id']}" in acl_names(lab), 5)
    assert lab.nbctl("--bare", "--columns=name", "list", "Meter").strip() == "acl_log_meter"
    lab.nbctl("--wait=hv", "sync")

    def pinged_and_logged():
        lab.ping("a", ip_b)
        return acl_log_lines(lab, log["id"])

    lines = wait_until("an acl_log line naming the log", pinged_and_logged, 10)
    assert "verdict=allow" in lines[-1] and "severity=info" in lines[-1], lines[-1]
    assert "icmp" in lines[-1], lines[-1]

    # Disabled: the ACLs are no longer logged, and pings write no more lines.
    r = c.network.put(f"/log/logs/{log['id']}", json={"log": {"enabled": False}})
    assert r.status_code == 200, r.text
    wait_until("the ACLs to drop the log's name",
               lambda: f"neutron-{log['id']}" not in acl_names(lab), 5)
    lab.nbctl("--wait=hv", "sync")
    before = len(acl_log_lines(lab, log["id"]))
    for _ in range(3):
        assert lab.ping("a", ip_b)
    time.sleep(1)
    assert len(acl_log_lines(lab, log["id"])) == before

    r = c.network.delete(f"/log/logs/{log['id']}")
    assert r.status_code == 204, r.text
    wait_until("the meter to go with the last log",
               lambda: lab.nbctl("--bare", "--columns=name", "list", "Meter").strip() == "", 5)
