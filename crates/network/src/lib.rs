//! The rules of the Networking API: one module per resource, plus policy. No HTTP and no SQL
//! here — the api crate speaks HTTP, the store crate speaks SQL.

mod address_group;
mod address_scope;
mod agent_scheduler;
mod agents;
pub mod attrs;
pub mod auto_allocate;
pub mod availability;
mod caller;
mod collection;
pub mod config;
mod default_rules;
mod default_statefulness;
mod error;
pub mod extensions;
mod flavor;
mod floatingip;
pub mod log;
pub mod model;
mod network;
mod pool_subnets;
mod port;
mod port_addresses;
mod port_bindings;
pub mod port_forwarding;
mod port_input;
mod port_qos;
mod port_security_groups;
pub mod qos;
pub mod quotas;
mod rbac;
pub mod read;
mod router;
mod router_gateway;
mod router_gateways;
mod router_interface;
mod router_routes;
mod rule_spec;
mod security_group;
mod security_group_rule;
mod segment;
mod segment_ranges;
mod segment_routes;
mod segments;
mod subnet;
mod subnet_onboard;
mod subnetpool;
mod subports;
pub mod tags;
pub mod time;
mod trunk;
mod trunk_ports;

use std::sync::Arc;

pub use caller::Caller;
pub use collection::{Collection, Kind, collection, collections};
pub use config::NetworkConfig;
pub use error::{Error, Failure, Result};
pub use neutrino_store::{Selection, Store, TagMatch};
pub use read::{Keep, PageRequest, Scope};
pub use rule_spec::protocol_number;

/// The Networking service: the store plus the settings its rules need.
#[derive(Clone)]
pub struct Networking {
    store: Store,
    cfg: Arc<NetworkConfig>,
    /// Whether this process stored the config's `default` segment ranges yet.
    ranges_synced: Arc<std::sync::atomic::AtomicBool>,
}

impl Networking {
    /// The service over `store`; fails if the config's segment ranges are malformed.
    pub fn new(store: Store, cfg: NetworkConfig) -> Result<Networking> {
        segments::check_config(&cfg)?;
        Ok(Networking {
            store,
            cfg: Arc::new(cfg),
            ranges_synced: Arc::default(),
        })
    }

    /// Stores the config's `default` network segment ranges, once per process (upstream
    /// renews them at each start), before anything reads the ranges.
    pub async fn ensure_segment_range_defaults(&self, kind: Kind) -> Result<()> {
        use std::sync::atomic::Ordering;
        if !kind.needs_segment_range_defaults() || self.ranges_synced.load(Ordering::Acquire) {
            return Ok(());
        }
        let cfg = self.cfg.clone();
        self.store
            .write(move |tx| segment_ranges::sync_defaults(tx, &cfg))
            .await?;
        self.ranges_synced.store(true, Ordering::Release);
        Ok(())
    }

    pub fn config(&self) -> &NetworkConfig {
        &self.cfg
    }
}
