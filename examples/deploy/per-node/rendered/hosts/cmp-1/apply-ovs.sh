#!/bin/sh
# Open vSwitch settings of host cmp-1 for the OVN back end.
# Rendered by `neutrino deploy render` from osdpl.yaml (OpenStackDeployment/osh-gen2).
# Safe to run again: it creates only what is missing and sets the same values.
# OVS_DATAPATH_TYPE=netdev for hosts without the Open vSwitch kernel module.
set -eu
datapath=${OVS_DATAPATH_TYPE:-system}
ovs-vsctl set Open_vSwitch . external-ids:ovn-encap-type=geneve external-ids:ovn-encap-ip=10.60.0.2 external-ids:ovn-bridge-mappings=""
ovs-vsctl remove Open_vSwitch . external_ids ovn-cms-options
