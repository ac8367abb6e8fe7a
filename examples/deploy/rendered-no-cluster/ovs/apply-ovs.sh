#!/bin/sh
# Open vSwitch settings of any chassis host for the OVN back end; OVN_GATEWAY=1 on gateways.
# Rendered by `neutrino deploy render` from osdpl.yaml (OpenStackDeployment/osh-dev).
# Safe to run again: it creates only what is missing and sets the same values.
# OVS_DATAPATH_TYPE=netdev for hosts without the Open vSwitch kernel module.
set -eu
datapath=${OVS_DATAPATH_TYPE:-system}
ovs-vsctl --may-exist add-br br-ex -- set Bridge br-ex datapath_type="$datapath"
ovs-vsctl --may-exist add-port br-ex pr-floating
ip link set pr-floating up
ovs-vsctl --may-exist add-br br-prov -- set Bridge br-prov datapath_type="$datapath"
tunnel=${OVN_TUNNEL_INTERFACE:-br-tenant}
encap_ip=$(ip -4 -o addr show dev "$tunnel" | awk '{split($4, a, "/"); print a[1]; exit}')
[ -n "$encap_ip" ] || { echo "$tunnel has no IPv4 address: cannot set ovn-encap-ip" >&2; exit 1; }
ovs-vsctl set Open_vSwitch . external-ids:ovn-encap-type=geneve external-ids:ovn-encap-ip="$encap_ip" external-ids:ovn-bridge-mappings="physnet1:br-ex,physnet2:br-prov"
if [ "${OVN_GATEWAY:-0}" = 1 ]; then
    ovs-vsctl set Open_vSwitch . external-ids:ovn-cms-options=enable-chassis-as-gw
else
    ovs-vsctl remove Open_vSwitch . external_ids ovn-cms-options
fi
