#!/bin/sh
# Open vSwitch settings of host cmp-r1-001 for the OVN back end.
# Rendered by `neutrino deploy render` from osdpl.yaml (OpenStackDeployment/osh-dev).
# Safe to run again: it creates only what is missing and sets the same values.
# OVS_DATAPATH_TYPE=netdev for hosts without the Open vSwitch kernel module.
set -eu
datapath=${OVS_DATAPATH_TYPE:-system}
ovs-vsctl --may-exist add-br br-ex -- set Bridge br-ex datapath_type="$datapath"
ovs-vsctl --may-exist add-port br-ex pr-floating
ip link set pr-floating up
ovs-vsctl --may-exist add-br br-prov -- set Bridge br-prov datapath_type="$datapath"
ovs-vsctl set Open_vSwitch . external-ids:ovn-encap-type=geneve external-ids:ovn-encap-ip=10.60.1.10 external-ids:ovn-bridge-mappings="physnet1:br-ex,physnet2:br-prov"
ovs-vsctl remove Open_vSwitch . external_ids ovn-cms-options
