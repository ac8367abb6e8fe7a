//! The Networking service's part of an OpenStackDeployment (`spec:features:neutron`): read it with
//! its places in the file, check it (alone and against a cluster design), render the Neutrino
//! service config and each host's Open vSwitch/OVN settings from it, and bootstrap the floating
//! network through the Networking API.

pub mod bootstrap;
pub mod chassis;
pub mod checks;
pub mod cli;
pub mod error;
pub mod render;
pub mod spec;
