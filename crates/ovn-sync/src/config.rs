//! `[ovn]` of `neutrino.toml`: where the OVN databases are and how the back end paces itself.

use std::net::IpAddr;
use std::time::Duration;

use neutrino_ovn::MappingConfig;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OvnConfig {
    /// The Northbound database: `tcp:HOST:PORT` or `unix:PATH`; several, comma-separated, for
    /// the members of a clustered database (upstream's `ovn_nb_connection`).
    pub nb_connection: String,
    /// The Southbound database, written like `nb_connection`: port status and the gateway
    /// chassis come from it. Empty: no Southbound (ports stay DOWN, gateways are not scheduled).
    pub sb_connection: String,
    /// Milliseconds between echo probes; a database silent for one more interval is dropped and
    /// reconnected (a database that stops closes its sockets and is noticed at once; probes find
    /// hung servers and broken networks). Upstream's default, 60 s: a server busy with a large
    /// transaction answers nothing until it is done. 0 turns our probes off.
    pub probe_interval_ms: u64,
    /// The most changes of the feed applied in one Northbound transaction.
    pub batch_size: usize,
    /// Seconds between full compares of the Northbound database with the store (drift repair).
    pub full_compare_interval_secs: u64,
    /// DHCPv4 lease time handed out, seconds.
    pub dhcp_lease_time: u32,
    /// DNS servers handed out by DHCP when a subnet names none.
    pub dns_servers: Vec<IpAddr>,
    /// Translate floating IPs of bound ports on the port's own chassis instead of the gateway.
    pub distributed_floating_ips: bool,
    /// Seconds after its last heartbeat that a chassis' agent is reported dead (upstream's
    /// `agent_down_time`). The back end asks every chassis for a heartbeat three times as often.
    pub agent_down_time_secs: u64,
    /// Seconds a replica holds the back end's lease without renewing it (renewed every third of
    /// it). When the holder dies a standby replica takes over within this plus a third.
    pub lease_secs: u64,
    /// Packets per second the meter of network logs (`acl_log_meter`) lets into the OVN
    /// controllers' logs (upstream's `[network_log] rate_limit`).
    pub log_rate_limit: i64,
    /// The meter's burst, packets (upstream's `[network_log] burst_limit`).
    pub log_burst_limit: i64,
}

impl Default for OvnConfig {
    fn default() -> Self {
        let mapping = MappingConfig::default();
        OvnConfig {
            nb_connection: "unix:/run/ovn/ovnnb_db.sock".into(),
            sb_connection: "unix:/run/ovn/ovnsb_db.sock".into(),
            probe_interval_ms: 60_000,
            batch_size: 1000,
            full_compare_interval_secs: 60,
            dhcp_lease_time: mapping.dhcp_lease_time,
            dns_servers: mapping.dns_servers,
            distributed_floating_ips: mapping.distributed_floating_ips,
            agent_down_time_secs: 75,
            lease_secs: 6,
            log_rate_limit: mapping.log_rate_limit,
            log_burst_limit: mapping.log_burst_limit,
        }
    }
}

impl OvnConfig {
    pub fn nb_remotes(&self) -> Vec<String> {
        remotes(&self.nb_connection)
    }

    pub fn sb_remotes(&self) -> Vec<String> {
        remotes(&self.sb_connection)
    }

    pub fn probe_interval(&self) -> Option<Duration> {
        (self.probe_interval_ms > 0).then(|| Duration::from_millis(self.probe_interval_ms))
    }

    pub fn agent_down_time(&self) -> Duration {
        Duration::from_secs(self.agent_down_time_secs)
    }

    /// How often the chassis are asked for a heartbeat (`NB_Global.nb_cfg` is raised).
    pub fn heartbeat_interval(&self) -> Duration {
        self.agent_down_time() / 3
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    pub fn full_compare_interval(&self) -> Duration {
        Duration::from_secs(self.full_compare_interval_secs.max(1))
    }

    pub fn mapping(&self) -> MappingConfig {
        MappingConfig {
            dhcp_lease_time: self.dhcp_lease_time,
            dns_servers: self.dns_servers.clone(),
            distributed_floating_ips: self.distributed_floating_ips,
            log_rate_limit: self.log_rate_limit,
            log_burst_limit: self.log_burst_limit,
        }
    }

    /// What is wrong with the settings, if anything (checked before serving).
    pub fn check(&self) -> Result<(), String> {
        if self.nb_remotes().is_empty() {
            return Err("[ovn] nb_connection is empty".into());
        }
        for (key, remotes) in [
            ("nb_connection", self.nb_remotes()),
            ("sb_connection", self.sb_remotes()),
        ] {
            for remote in remotes {
                neutrino_ovsdb::Remote::parse(&remote)
                    .map_err(|e| format!("[ovn] {key}: {remote}: {e}"))?;
            }
        }
        // Upstream's minimums (`[network_log] rate_limit` >= 100, `burst_limit` >= 25).
        if self.log_rate_limit < 100 || self.log_rate_limit > i64::from(u32::MAX) {
            return Err("[ovn] log_rate_limit must be between 100 and 4294967295".into());
        }
        if self.log_burst_limit < 25 || self.log_burst_limit > i64::from(u32::MAX) {
            return Err("[ovn] log_burst_limit must be between 25 and 4294967295".into());
        }
        if self.batch_size == 0 {
            return Err("[ovn] batch_size must be at least 1".into());
        }
        if self.agent_down_time_secs < 3 {
            return Err("[ovn] agent_down_time_secs must be at least 3".into());
        }
        if self.lease_secs < 3 {
            return Err("[ovn] lease_secs must be at least 3".into());
        }
        Ok(())
    }
}

fn remotes(connection: &str) -> Vec<String> {
    connection
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}
