"""Data-plane tests: real packets through OVN, driven through Neutrino's API.

Each test gets its own lab: an OVN sandbox (scripts/ovn-sandbox: Northbound, Southbound, northd and N
chassis, each chassis a network namespace with its own ovs-vswitchd and ovn-controller), a `neutrino
serve` with the OVN back end pointed at it, and an admin openstacksdk connection. Instances are network
namespaces plugged into a chassis' integration bridge the way the compute service plugs a VM. The lab
is torn down after the test, whatever happened. Needs root (namespaces) and NEUTRINO_BIN.
"""

import fcntl
import ipaddress
import itertools
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "scripts" / "ovn-sandbox"
sys.path.insert(0, str(ROOT / "tests" / "common"))
from neutrino_server import connect, neutrino_bin, start_server  # noqa: E402

# Each lab takes a free slot (held by a lock file while it lives): its own name prefix, TCP ports and
# underlay, so that labs of test runs side by side, a sandbox started by hand with the defaults, and
# the smoke test's never meet.
SLOTS = 20
_labs = itertools.count()


def take_slot():
    for slot in range(SLOTS):
        lock = open(f"/tmp/dataplane-slot-{slot}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return slot, lock
    pytest.fail(f"all {SLOTS} data-plane lab slots are taken")


def run(*cmd, check=True, timeout=60, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def wait_until(what, predicate, within, every=0.05):
    """Polls `predicate` until it returns something true; fails naming `what` after `within` s."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within} s")
        time.sleep(every)


class Lab:
    def __init__(self, tmp_path, chassis=2, gateways=None, nb_cluster=False,
                 full_compare_secs=2, ovn_settings="", serve=True):
        if os.geteuid() != 0:
            pytest.fail("the data-plane tests need root (network namespaces, Open vSwitch)")
        n = next(_labs)
        slot, self.slot_lock = take_slot()
        self.name = f"dp{slot}"
        self.dir = Path(f"/tmp/dataplane-{os.getpid()}-{n}")
        self.tmp = tmp_path
        self.procs = []
        self.plugged = {}
        self.server = None
        args = ["up", "--dir", self.dir, "--name", self.name, "--port-base", 18000 + 100 * slot,
                "--underlay-cidr", f"10.251.{slot}.0/24", "--chassis", chassis]
        if gateways is not None:
            args += ["--gateways", gateways]
        if nb_cluster:
            args.append("--nb-cluster")
        self.sandbox("down", "--dir", self.dir, check=False)  # what an interrupted run left
        self.sandbox(*args, timeout=120)
        self.env = self._read_env()
        self.full_compare_secs = full_compare_secs
        # serve=False: the test starts its own servers, with ovn_toml() in their config.
        if serve:
            self.server = start_server(tmp_path / "neutrino", extra_toml=self.ovn_toml(ovn_settings))
            self.cloud = connect(self.server, "admin")

    def ovn_toml(self, ovn_settings=""):
        """The config lines that point a server's OVN back end at this sandbox. Full compares
        every 2 s by default: the store reloaded well within the tests' 5 s."""
        return textwrap.dedent(f"""\
            backend = "ovn"
            [ovn]
            nb_connection = "{self.env['NEUTRINO_OVN__NB_CONNECTION']}"
            sb_connection = "{self.env['NEUTRINO_OVN__SB_CONNECTION']}"
            probe_interval_ms = 1000
            full_compare_interval_secs = {self.full_compare_secs}
            """) + ovn_settings + "\n"

    # ------------------------------------------------------------ the sandbox

    def sandbox(self, *args, check=True, timeout=60):
        return run(SANDBOX, *args, check=check, timeout=timeout)

    def _read_env(self):
        env = {}
        for line in (self.dir / "ovn-sandbox.env").read_text().splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                # written with bash's printf %q
                env[key] = " ".join(shlex.split(value))
        return env

    def nbctl(self, *args, db=None):
        """ovn-nbctl on the Northbound database; `db` narrows the remotes (ovn-nbctl gives up on
        the first refused member of a cluster instead of trying the next)."""
        return run("ovn-nbctl", f"--db={db or self.env['OVN_NB_DB']}", "--timeout=10", *args).stdout

    def sbctl(self, *args):
        return run("ovn-sbctl", f"--db={self.env['OVN_SB_DB']}", "--timeout=10", *args).stdout

    def netns(self, name):
        """The namespace of instance `name` (prefixed, so that a test never meets a namespace made
        by hand), or the sandbox's external host for "ext"."""
        return self.env["OVN_SANDBOX_EXTERNAL_NETNS"] if name == "ext" else f"{self.name}-{name}"

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        log = ""
        if self.server:
            self.server.stop()
            log = self.server.log_text()
        # Namespaces `neutrino plug` made are the lab's to remove (the sandbox knows only its own).
        for ns in self.plugged:
            run("ip", "netns", "delete", self.netns(ns), check=False)
        self.sandbox("down", "--dir", self.dir, check=False, timeout=120)
        self.slot_lock.close()
        return log

    # ------------------------------------------------------------ instances

    def plug(self, chassis, ns, port):
        """Plugs `port` (an openstacksdk Port) into namespace `ns` on `chassis` (1, 2, ...) with
        `neutrino plug`, as the compute service plugs a VM's interface: MAC and MTU from the API."""
        self._neutrino_vif("plug", chassis, port.id, "--netns", self.netns(ns))
        self.plugged.setdefault(ns, []).append((chassis, port.id))

    def unplug(self, ns):
        """`neutrino unplug` for every port plugged into `ns` (which goes with them)."""
        for chassis, port_id in self.plugged.pop(ns):
            self._neutrino_vif("unplug", chassis, port_id)

    def _neutrino_vif(self, verb, chassis, port_id, *args):
        # The chassis is a namespace of its own: the tap goes there, and ovs-vsctl finds that
        # chassis' database through OVS_RUNDIR; the API is reached from here.
        env = dict(os.environ, **self.server.openrc(),
                   OVS_RUNDIR=self.env[f"OVN_SANDBOX_CHASSIS_{chassis}_DIR"])
        run(neutrino_bin(), verb, port_id, *args,
            "--host-netns", self.env[f"OVN_SANDBOX_CHASSIS_{chassis}_NETNS"], env=env)

    def dhcp(self, ns, dev="eth0"):
        """One DHCPv4 exchange: (address with prefix, {mtu, dns, routers, domain})."""
        ns = self.netns(ns)
        address = self.sandbox("dhcp", "--dir", self.dir, ns, dev, timeout=60).stdout.strip()
        options = {}
        for line in (self.dir / "dhcp" / f"{ns}.{dev}.result.options").read_text().splitlines():
            key, _, value = line.partition("=")
            options[key] = value
        return address, options

    def in_ns(self, ns, *cmd, check=False, timeout=30):
        return run("ip", "netns", "exec", self.netns(ns), *cmd, check=check, timeout=timeout)

    def ping(self, ns, address, count=1, wait=1):
        version = ["-6"] if ipaddress.ip_address(address).version == 6 else []
        return self.in_ns(ns, "ping", *version, "-c", count, "-W", wait, address).returncode == 0

    def reaches(self, ns, address, within=10):
        """Waits until `ns` gets an answer from `address` (the first packets of a flow may be lost
        while OVN installs flows)."""
        return wait_until(f"{ns} pings {address}", lambda: self.ping(ns, address), within)

    def serve_name(self, ns, port):
        """A TCP server in `ns` on `port` that answers every connection with the namespace's name."""
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_INET6);s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\n"
                f"s.bind(('::',{port}));s.listen(16);print('ready',flush=True)\n"
                "while True:\n c,_=s.accept();c.sendall(sys.argv[1].encode());c.close()\n")
        p = subprocess.Popen(["ip", "netns", "exec", self.netns(ns), sys.executable, "-c", code, ns],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
        return p

    def ask_name(self, ns, address, port, timeout=2):
        """Connects from `ns` to address:port; the name the server sent, or None."""
        code = ("import socket,sys\n"
                "try:\n"
                f" c=socket.create_connection((sys.argv[1],{port}),timeout={timeout});print(c.recv(100).decode())\n"
                "except OSError as e:\n print('')\n")
        r = self.in_ns(ns, sys.executable, "-c", code, address, timeout=timeout + 10)
        return r.stdout.strip() or None

    # ------------------------------------------------------------ the back end

    def port_status(self, port_id):
        return self.cloud.network.get_port(port_id).status

    def daemon_pidfile(self, member="nb"):
        return self.dir / "central" / member / "ovsdb-server.pid"

    def stop_daemon(self, pidfile):
        """Kills the daemon of `pidfile`; returns its command line, to start it again."""
        pid = int(Path(pidfile).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
        os.kill(pid, signal.SIGKILL)
        wait_until(f"pid {pid} to exit", lambda: not Path(f"/proc/{pid}").exists(), 10)
        Path(pidfile).unlink(missing_ok=True)
        return [c.decode() for c in cmdline]

    def start_daemon(self, cmdline):
        run(*cmdline)


@pytest.fixture
def make_lab(tmp_path):
    labs = []

    def make(**kw):
        lab = Lab(tmp_path / f"lab{len(labs)}", **kw)
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        log = lab.close()
        print(f"--- neutrino serve log (last 4000 characters)\n{log}")


@pytest.fixture
def lab(make_lab):
    return make_lab()


class PingStream:
    """`ping -D -i INTERVAL` from `ns` to `address` in the background: the wall-clock times of the
    replies. Killed by the lab at the end, whatever happens."""

    def __init__(self, lab, ns, address, interval=0.1):
        self.interval = interval
        self.replies = []
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", lab.netns(ns), "ping", "-n", "-D", "-i", str(interval), "-W", "1",
             address], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lab.procs.append(self.proc)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from ", line)
            if m:
                self.replies.append(float(m.group(1)))

    def answered_since(self, t):
        return any(r > t for r in self.replies)

    def outage(self, t):
        """(seconds from `t` to the first reply after it, the longest gap between replies around it)."""
        before = [r for r in self.replies if r <= t]
        after = [r for r in self.replies if r > t]
        if not after:
            return None, None
        return after[0] - t, after[0] - (before[-1] if before else t)

    def loss_after(self, t):
        """Seconds without replies around `t`: the longest gap between replies from the last one
        before `t` on, less the interval (a stream with no loss has gaps of one interval)."""
        before = [r for r in self.replies if r <= t]
        window = before[-1:] + [r for r in self.replies if r > t]
        return max(b - a for a, b in zip(window, window[1:])) - self.interval

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
        self.thread.join(timeout=5)


def network_with_subnet(cloud, name, cidr, **subnet):
    net = cloud.network.create_network(name=name)
    sub = cloud.network.create_subnet(network_id=net.id, ip_version=ipaddress.ip_network(cidr).version,
                                      cidr=cidr, name=f"{name}-v{ipaddress.ip_network(cidr).version}",
                                      **subnet)
    return net, sub


def fixed_ip(port, version=4):
    return next(f["ip_address"] for f in port.fixed_ips
                if ipaddress.ip_address(f["ip_address"]).version == version)
