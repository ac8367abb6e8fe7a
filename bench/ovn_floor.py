"""The OVN floor of this machine (issue 8), on the data-plane lab (tests/dataplane/conftest.py: an
OVN sandbox with 2 chassis, northd, and `neutrino serve` with the OVN back end):

* northd's time per port add: a `Logical_Switch_Port` added with `ovn-nbctl --wait=sb` (returns
  once northd has written the Southbound database) against the same add without the wait — one
  port per transaction, and 100 per transaction;
* a port's claim to its flows: ports plugged one after another with `neutrino plug`; a monitor of
  the Southbound `Port_Binding` table notes when each port is claimed (`chassis` set) and when it
  is up (`up`, which ovn-controller sets once the port's flows are installed in Open vSwitch).

    sudo NEUTRINO_BIN=target/release/neutrino .venv/bin/python bench/ovn_floor.py [N]
"""

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dataplane"))
from conftest import Lab, network_with_subnet  # noqa: E402


def ms_since(t0):
    return (time.monotonic() - t0) * 1000


def percentiles(samples):
    samples = sorted(samples)
    at = lambda q: samples[min(len(samples) - 1, int(q / 100 * len(samples)))]  # noqa: E731
    return (f"p50 {statistics.median(samples):.1f}, p90 {at(90):.1f}, "
            f"p99 {at(99):.1f}, max {samples[-1]:.1f} ms")


def northd_per_port(lab, n):
    """Median time of an add with --wait=sb minus one without, per port."""
    lab.nbctl("ls-add", "floor-northd")

    def timed(wait, names):
        adds = []
        for name in names:
            adds += ["--", "lsp-add", "floor-northd", name]
        t0 = time.monotonic()
        lab.nbctl(*(["--wait=sb"] if wait else []), *adds[1:])
        return ms_since(t0)

    single_wait = [timed(True, [f"w{i}"]) for i in range(n)]
    single_bare = [timed(False, [f"b{i}"]) for i in range(n)]
    batch_wait = [timed(True, [f"bw{k}-{i}" for i in range(100)]) for k in range(5)]
    batch_bare = [timed(False, [f"bb{k}-{i}" for i in range(100)]) for k in range(5)]
    lab.nbctl("ls-del", "floor-northd")
    one = statistics.median(single_wait) - statistics.median(single_bare)
    hundred = (statistics.median(batch_wait) - statistics.median(batch_bare)) / 100
    print(f"northd, one port per transaction: {one:.2f} ms per port "
          f"(--wait=sb {statistics.median(single_wait):.1f} ms, "
          f"without {statistics.median(single_bare):.1f} ms; median of {n})")
    print(f"northd, 100 ports per transaction: {hundred:.2f} ms per port "
          f"(--wait=sb {statistics.median(batch_wait):.0f} ms, "
          f"without {statistics.median(batch_bare):.0f} ms; median of 5)")


class Bindings:
    """A monitor of the Southbound Port_Binding table: when each logical port was first claimed
    and first up, by this process's clock."""

    def __init__(self, lab):
        self.claimed, self.up = {}, {}
        self.proc = subprocess.Popen(
            ["ovsdb-client", "monitor", lab.env["OVN_SB_DB"].split(",")[0], "OVN_Southbound",
             "Port_Binding", "logical_port,chassis,up", "--format=json"],
            stdout=subprocess.PIPE, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.monotonic()
            try:
                update = json.loads(line)
            except ValueError:
                continue
            for _, action, port, chassis, up in update.get("data", []):
                if action == "old" or port is None:
                    continue
                if chassis and chassis[0] == "uuid":
                    self.claimed.setdefault(port, now)
                if up is True:
                    self.up.setdefault(port, now)

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def claim_to_up(lab, n):
    c = lab.cloud
    net, _ = network_with_subnet(c, "floor", "10.98.0.0/16")
    bindings = Bindings(lab)
    time.sleep(0.5)
    ports = []
    for i in range(n):
        port = c.network.create_port(network_id=net.id, name=f"f{i}")
        lab.plug(1 + i % 2, f"f{i}", port)
        ports.append(port.id)
        deadline = time.monotonic() + 10
        while port.id not in bindings.up:
            if time.monotonic() > deadline:
                raise SystemExit(f"port {i} not up in the Southbound database within 10 s")
            time.sleep(0.005)
    bindings.close()
    samples = [(bindings.up[p] - bindings.claimed[p]) * 1000 for p in ports]
    print(f"claim -> flows installed (Port_Binding.chassis set -> up), {n} ports, 2 chassis: "
          f"{percentiles(samples)}")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    lab = Lab(Path(tempfile.mkdtemp(prefix="ovn-floor-")))
    try:
        northd_per_port(lab, n)
        claim_to_up(lab, n)
    finally:
        lab.close()


if __name__ == "__main__":
    main()
