"""Port plugged -> ACTIVE over the API, on the OVN back end (issue 8's target: p50 <= 200 ms,
p99 <= 1 s). Uses the data-plane lab (tests/dataplane/conftest.py: an OVN sandbox with 2 chassis and
`neutrino serve` with the OVN back end), plugs N ports one after another with `neutrino plug` and
polls each port's status over the API every 10 ms from the moment `neutrino plug` returns.

    sudo NEUTRINO_BIN=target/release/neutrino .venv/bin/python bench/ovn_plug_to_active.py [N]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dataplane"))
from conftest import Lab, network_with_subnet  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    lab = Lab(Path(tempfile.mkdtemp(prefix="plug-bench-")))
    try:
        c = lab.cloud
        net, _ = network_with_subnet(c, "bench", "10.99.0.0/16")
        samples = []
        for i in range(n):
            port = c.network.create_port(network_id=net.id, name=f"p{i}")
            lab.plug(1 + i % 2, f"b{i}", port)
            plugged = time.monotonic()
            while c.network.get_port(port.id).status != "ACTIVE":
                if time.monotonic() - plugged > 10:
                    raise SystemExit(f"port {i} not ACTIVE within 10 s")
                time.sleep(0.01)
            samples.append((time.monotonic() - plugged) * 1000)
        samples.sort()
        p = lambda q: samples[min(len(samples) - 1, int(q / 100 * len(samples)))]  # noqa: E731
        print(f"{n} ports: plug -> ACTIVE p50 {statistics.median(samples):.0f} ms, "
              f"p90 {p(90):.0f} ms, p99 {p(99):.0f} ms, max {samples[-1]:.0f} ms")
    finally:
        lab.close()


if __name__ == "__main__":
    main()
