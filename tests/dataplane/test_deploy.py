"""`neutrino deploy` on the OVN sandbox: the host settings rendered from an OpenStackDeployment spec,
applied to the gateway chassis (after the sandbox's own external settings are taken away), and the
floating network `bootstrap` creates give a working external network: an instance with a floating
IP from the bootstrapped pool answers the external host. The server runs with the rendered
neutrino.toml's [network] and [ovn] settings: DHCP hands out the spec's dns_servers."""

import json
import subprocess
import tomllib

from conftest import network_with_subnet, wait_until
from neutrino_server import neutrino_bin

# The sandbox's physnet1: 172.24.4.0/24 behind br-ex of the gateway chassis (ex0 is the NIC), the
# external host on .2 with the upstream gateway .1; br-phy carries the Geneve underlay.
SPEC = """\
apiVersion: lcm.mirantis.com/v1alpha1
kind: OpenStackDeployment
metadata:
  name: sandbox
spec:
  openstack_version: caracal
  preset: compute
  features:
    neutron:
      backend: ml2/ovn
      tunnel_interface: br-phy
      dns_servers: [172.24.4.2]
      external_networks:
        - physnet: physnet1
          interface: ex0
          bridge: br-ex
          network_types: [flat]
          mtu: 1500
      floating_network:
        enabled: true
        physnet: physnet1
        subnet:
          range: 172.24.4.0/24
          pool_start: 172.24.4.100
          pool_end: 172.24.4.200
          gateway: 172.24.4.1
"""


def deploy(*args):
    return subprocess.run([neutrino_bin(), "deploy", *map(str, args)], capture_output=True, text=True,
                          timeout=60)


def service_settings(rendered):
    """The rendered neutrino.toml's [network] and [ovn] keys, as lines the lab adds to its config
    (the lab writes `backend` and the OVN connections itself)."""
    config = tomllib.loads((rendered / "neutrino.toml").read_text())
    assert config["backend"] == "ovn"
    lines = [f"{k} = {json.dumps(v)}" for k, v in config["ovn"].items()]
    lines.append("[network]")
    lines += [f"{k} = {json.dumps(v)}" for k, v in config["network"].items()]
    return "\n".join(lines)


def chassis_ids(lab, n):
    return lab.sandbox("exec", "--dir", lab.dir, f"chassis-{n}", "ovs-vsctl", "get", "Open_vSwitch", ".",
                       "external_ids").stdout


def test_rendered_settings_and_bootstrap_give_a_working_external_network(make_lab, tmp_path):
    spec = tmp_path / "osdpl.yaml"
    spec.write_text(SPEC)
    rendered = tmp_path / "rendered"
    r = deploy("render", spec, "--out", rendered)
    assert r.returncode == 0, r.stderr
    lab = make_lab(ovn_settings=service_settings(rendered))
    c = lab.cloud

    # The gateway chassis loses what the sandbox set up for physnet1; the rendered script puts it
    # back (run twice: the second run must change nothing and not fail).
    gw = ("exec", "--dir", lab.dir, "chassis-1")
    lab.sandbox(*gw, "ovs-vsctl", "remove", "Open_vSwitch", ".", "external_ids", "ovn-bridge-mappings")
    lab.sandbox(*gw, "ovs-vsctl", "remove", "Open_vSwitch", ".", "external_ids", "ovn-cms-options")
    lab.sandbox(*gw, "ovs-vsctl", "del-br", "br-ex")
    assert "ovn-bridge-mappings" not in chassis_ids(lab, 1)
    script = rendered / "ovs" / "apply-ovs.sh"
    for _ in range(2):
        lab.sandbox(*gw, "env", "OVS_DATAPATH_TYPE=netdev", "OVN_GATEWAY=1", "sh", script)
    ids = chassis_ids(lab, 1)
    assert 'ovn-bridge-mappings="physnet1:br-ex"' in ids, ids
    assert "enable-chassis-as-gw" in ids, ids
    assert f'ovn-encap-ip="{lab.env["OVN_SANDBOX_CHASSIS_1_ENCAP_IP"]}"' in ids, ids
    ports = lab.sandbox(*gw, "ovs-vsctl", "list-ports", "br-ex").stdout.split()
    assert "ex0" in ports, ports
    wait_until("chassis-1 to be a gateway again in the Southbound",
               lambda: "enable-chassis-as-gw" in lab.sbctl("--bare", "--columns=other_config", "find",
                                                          "Chassis", "name=chassis-1"), 10)

    clouds = lab.server.data_dir / "clouds.yaml"
    r = deploy("bootstrap", spec, "--os-cloud", "neutrino-admin", "--clouds", clouds)
    assert r.returncode == 0, r.stdout + r.stderr
    r = deploy("bootstrap", spec, "--os-cloud", "neutrino-admin", "--clouds", clouds)
    assert r.returncode == 0 and "nothing to change" in r.stdout, r.stdout + r.stderr

    public = c.network.find_network("public")
    router = c.network.find_router("r1")
    assert router.external_gateway_info["network_id"] == public.id
    net, sub = network_with_subnet(c, "private", "10.60.0.0/24")
    c.network.add_interface_to_router(router, subnet_id=sub.id)
    a = c.network.create_port(network_id=net.id, name="a")
    default = c.network.get_port(a.id).security_group_ids[0]
    c.network.create_security_group_rule(security_group_id=default, direction="ingress",
                                         ethertype="IPv4", protocol="icmp")
    lab.plug(2, "a", a)  # not the gateway chassis: the floating IP's traffic crosses over Geneve
    _, options = lab.dhcp("a")
    assert options.get("dns") == "172.24.4.2", f"the spec's dns_servers reach instances: {options}"
    fip = c.network.create_ip(floating_network_id=public.id, port_id=a.id)
    address = fip.floating_ip_address
    assert 100 <= int(address.rsplit(".", 1)[1]) <= 200, f"{address} is from the bootstrapped pool"
    assert lab.reaches("ext", address, within=20)
