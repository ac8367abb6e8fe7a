"""A VRRP VIP behind a floating IP: two instances on different chassis run keepalived sharing a VIP
declared in their allowed_address_pairs; a floating IP points at the VIP's own port (a port with the
fixed IP that nobody plugs, as Octavia and upstream's docs do). The external host streams pings to the
floating IP while the master's keepalived is stopped: traffic moves to the backup with at most 3 s of
loss, and moves back when the master returns. Upstream ML2/OVS with DVR cannot do this (LP#1774459);
OVN's `virtual` ports can: the VIP's Logical_Switch_Port has the instances as virtual parents, and the
chassis of whichever parent announces the VIP (keepalived's gratuitous ARP) claims it."""

import os
import signal
import subprocess
import textwrap
import time

import pytest

from conftest import PingStream, fixed_ip, wait_until
from test_gateway import external_network, routed_network

MAX_LOSS = 3.0  # the bound on the loss while the VIP moves
PING_INTERVAL = 0.1
PORT = 7000


class Keepalived:
    """keepalived (VRRP only, unicast to its peer) in instance namespace `ns`, with its own config,
    PID files and log under `directory`; stopped by its PIDs, never by name."""

    def __init__(self, lab, ns, directory, own_ip, peer_ip, vip, priority):
        self.lab, self.ns = lab, ns
        self.dir = directory / ns
        self.dir.mkdir(parents=True)
        self.config = self.dir / "keepalived.conf"
        # VRRPv3 allows advertisements every 0.2 s: a backup takes over 3 intervals (plus a skew)
        # after the last one it heard, and at once on the priority-0 advertisement a master sends
        # when it stops. Preemption (the default) hands the VIP back to the higher priority.
        self.config.write_text(textwrap.dedent(f"""\
            global_defs {{
                router_id {ns}
                vrrp_version 3
                script_user root
            }}
            vrrp_instance vip {{
                state BACKUP
                interface eth0
                virtual_router_id 51
                priority {priority}
                advert_int 0.2
                unicast_src_ip {own_ip}
                unicast_peer {{
                    {peer_ip}
                }}
                virtual_ipaddress {{
                    {vip}/32 dev eth0
                }}
            }}
            """))
        self.proc = None

    def start(self):
        d = self.dir
        log = open(d / "keepalived.log", "ab")
        # -n: the parent stays our child (its PID is the Popen's); it forks the VRRP process, whose
        # PID file is ours too.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.netns(self.ns), "keepalived", "-n", "-l", "-D", "-G", "-P",
             "-f", self.config, "-p", d / "keepalived.pid", "-r", d / "vrrp.pid",
             "-c", d / "checkers.pid", "-b", d / "bfd.pid"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def _vrrp_pid(self):
        try:
            return int((self.dir / "vrrp.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self, sig=signal.SIGTERM, wait=10):
        """Signals the parent (which stops its VRRP process: priority-0 advertisement, VIP removed);
        the VRRP process is killed by its PID file if it outlives the parent."""
        if self.proc is None:
            return
        vrrp = self._vrrp_pid()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if vrrp and _is_our_keepalived(vrrp, self.config):
            try:
                os.kill(vrrp, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None

    def log(self):
        try:
            return (self.dir / "keepalived.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def _is_our_keepalived(pid, config):
    """`pid` is alive (not a zombie) and a keepalived started with our config file."""
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and str(config).encode() in cmdline and any(b"keepalived" in c for c in cmdline)


@pytest.fixture
def keepalived(tmp_path):
    """Starts keepalived processes for a test and stops every one of them afterwards, by PID."""
    started = []

    def make(*args, **kw):
        k = Keepalived(*args, directory=tmp_path / "keepalived", **kw)
        started.append(k)
        return k

    yield make
    for k in started:
        k.stop(wait=5)
        print(f"--- keepalived in {k.ns}\n{k.log()}")


def holds_vip(lab, ns, vip):
    out = lab.in_ns(ns, "ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout
    return f" {vip}/32 " in out


def virtual_parent(lab, port_id):
    """The Southbound's virtual parent of the virtual port `port_id` (None if unclaimed)."""
    out = lab.sbctl("--bare", "--columns=virtual_parent", "find", "Port_Binding",
                    f"logical_port={port_id}").strip()
    return out or None


def test_a_vrrp_vip_behind_a_floating_ip_fails_over_and_back(lab, keepalived):
    c = lab.cloud
    ext = external_network(lab)
    net, _ = routed_network(lab, ext)
    subnet_id = next(iter(c.network.subnets(network_id=net.id))).id

    # VRRP between the instances, and ICMP and TCP from anywhere (the external host comes in through
    # the floating IP, from its own address).
    group = c.network.create_security_group(name="vrrp")
    rules = {}
    for protocol, extra in (("vrrp", {"remote_group_id": group.id}),
                            ("icmp", {}),
                            ("tcp", {"port_range_min": PORT, "port_range_max": PORT})):
        rules[protocol] = c.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", ethertype="IPv4", protocol=protocol, **extra)
    # OVN's ip.proto takes a number: the rule names VRRP, its ACL must say 112. (With unicast peers
    # that both send, conntrack would let VRRP in as replies even past a broken ACL, so the data
    # path alone does not show this.)
    vrrp_acl = wait_until("the VRRP rule's ACL", lambda: lab.nbctl(
        "--bare", "--columns=match", "find", "ACL",
        f'external_ids:"neutron:security_group_rule_id"={rules["vrrp"].id}').strip(), 10)
    assert vrrp_acl.endswith(" && ip.proto == 112"), vrrp_acl

    vip_port = c.network.create_port(network_id=net.id, name="vip", fixed_ips=[{"subnet_id": subnet_id}],
                                     security_group_ids=[group.id])
    vip = fixed_ip(vip_port)
    m = c.network.create_port(network_id=net.id, name="m", security_group_ids=[group.id],
                              allowed_address_pairs=[{"ip_address": vip}])
    b = c.network.create_port(network_id=net.id, name="b", security_group_ids=[group.id],
                              allowed_address_pairs=[{"ip_address": vip}])
    fip = c.network.create_ip(floating_network_id=ext.id, port_id=vip_port.id).floating_ip_address

    # The VIP's port is OVN `virtual`, its parents the two instances.
    def vip_row():
        options = lab.nbctl("--bare", "--columns=type,options", "find", "Logical_Switch_Port",
                            f"name={vip_port.id}")
        return "virtual" in options and m.id in options and b.id in options and options
    print(f"the VIP's Logical_Switch_Port: {wait_until('the VIP port to be virtual', vip_row, 10).split()}")

    ip = {}
    for chassis, ns, port in ((1, "m", m), (2, "b", b)):  # different chassis; chassis-1 is the gateway
        lab.plug(chassis, ns, port)
        lab.dhcp(ns)
        lab.serve_name(ns, PORT)
        ip[ns] = fixed_ip(port)
    assert lab.reaches("m", ip["b"])

    master = keepalived(lab, "m", own_ip=ip["m"], peer_ip=ip["b"], vip=vip, priority=150)
    backup = keepalived(lab, "b", own_ip=ip["b"], peer_ip=ip["m"], vip=vip, priority=100)
    master.start()
    backup.start()
    wait_until("m to hold the VIP", lambda: holds_vip(lab, "m", vip), 15)
    wait_until("the external host to reach m on the floating IP",
               lambda: lab.ask_name("ext", fip, PORT, timeout=1) == "m", 15)
    wait_until("b not to hold the VIP", lambda: not holds_vip(lab, "b", vip), 3)
    assert virtual_parent(lab, vip_port.id) == m.id

    # The master's keepalived stops (SIGTERM by PID): the backup takes the VIP.
    stream = PingStream(lab, "ext", fip)
    wait_until("the ping stream to be answered", lambda: stream.replies, 5)
    time.sleep(1)
    stopped_at = time.time()
    master.stop()
    wait_until("b to answer on the floating IP",
               lambda: lab.ask_name("ext", fip, PORT, timeout=1) == "b", 10)
    assert virtual_parent(lab, vip_port.id) == b.id
    assert not holds_vip(lab, "m", vip)  # keepalived removed it when stopping
    time.sleep(1)
    failover_loss = stream.loss_after(stopped_at)

    # The master returns, and being the higher priority takes the VIP back.
    restarted_at = time.time()
    master.start()
    wait_until("m to answer on the floating IP again",
               lambda: lab.ask_name("ext", fip, PORT, timeout=1) == "m", 15)
    assert virtual_parent(lab, vip_port.id) == m.id
    wait_until("b to give up the VIP", lambda: not holds_vip(lab, "b", vip), 3)
    time.sleep(1)
    stream.stop()
    failback_loss = stream.loss_after(restarted_at)
    print(f"VIP {vip} (floating IP {fip}): master stopped -> {failover_loss:.2f} s of loss; "
          f"master back -> {failback_loss:.2f} s of loss "
          f"({len(stream.replies)} replies at {PING_INTERVAL} s intervals)")
    assert failover_loss <= MAX_LOSS, f"{failover_loss:.2f} s of loss when the master stopped"
    assert failback_loss <= MAX_LOSS, f"{failback_loss:.2f} s of loss when the master came back"
