//! Cluster networking for bare-metal MOSK clouds: reads the Container Cloud objects operators write
//! (Subnet, L2Template, IpamHost, MetalLBConfig, Cluster, KaaSCephCluster), checks them against the rules
//! of the network design, allocates host addresses, and renders each host's netplan plus the MetalLB,
//! Ceph and API VIP settings.

pub mod check;
pub mod cli;
pub mod design;
pub mod error;
pub mod finding;
pub mod ipam;
pub mod model;
pub mod render;
pub mod rules;
pub mod source;
pub mod synth;
pub mod yaml;
