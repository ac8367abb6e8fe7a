//! The allocation state file: what `render` decided, read back on the next run so every address stays.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::allocator::AllocationKey;
use crate::error::ClusterError;

pub const STATE_KIND: &str = "AllocationState";
pub const STATE_API_VERSION: &str = "neutrino.io/v1alpha1";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllocationState {
    pub api_version: String,
    pub kind: String,
    /// The cluster API VIP when it was taken from an `ipam/SVC-LBhost` Subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_vip: Option<Ipv4Addr>,
    #[serde(default)]
    pub allocations: Vec<StateEntry>,
    /// sha256 of each host's rendered netplan, to notice changes that need approval (NB-10).
    #[serde(default)]
    pub netplan_sha256: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateEntry {
    pub subnet: String,
    pub host: String,
    pub interface: String,
    pub address: Ipv4Addr,
}

impl AllocationState {
    pub fn new() -> Self {
        AllocationState {
            api_version: STATE_API_VERSION.to_string(),
            kind: STATE_KIND.to_string(),
            ..Default::default()
        }
    }

    pub fn addresses(&self) -> BTreeMap<AllocationKey, Ipv4Addr> {
        self.allocations
            .iter()
            .map(|e| {
                (
                    AllocationKey {
                        subnet: e.subnet.clone(),
                        host: e.host.clone(),
                        interface: e.interface.clone(),
                    },
                    e.address,
                )
            })
            .collect()
    }

    pub fn set_addresses(&mut self, addresses: &BTreeMap<AllocationKey, Ipv4Addr>) {
        self.allocations = addresses
            .iter()
            .map(|(k, a)| StateEntry {
                subnet: k.subnet.clone(),
                host: k.host.clone(),
                interface: k.interface.clone(),
                address: *a,
            })
            .collect();
    }

    pub fn read(path: &Path) -> Result<Self, ClusterError> {
        let text = std::fs::read_to_string(path).map_err(|e| ClusterError::io(path, e))?;
        Self::parse(&path.display().to_string(), &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Self, ClusterError> {
        let state: AllocationState = serde_saphyr::from_str(text).map_err(|e| {
            let loc = e.location();
            ClusterError::Syntax {
                file: file.to_string(),
                line: loc.map_or(0, |l| u32::try_from(l.line()).unwrap_or(u32::MAX)),
                column: loc.map_or(0, |l| u32::try_from(l.column()).unwrap_or(u32::MAX)),
                message: e
                    .without_snippet()
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            }
        })?;
        if state.kind != STATE_KIND || state.api_version != STATE_API_VERSION {
            return Err(ClusterError::Syntax {
                file: file.to_string(),
                line: 1,
                column: 1,
                message: format!(
                    "not an allocation state (expected {STATE_API_VERSION} {STATE_KIND})"
                ),
            });
        }
        Ok(state)
    }

    pub fn to_yaml(&self) -> String {
        // Serialising plain strings, numbers and maps cannot fail; fall back to an empty document anyway.
        serde_saphyr::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut state = AllocationState::new();
        state.api_vip = Some(Ipv4Addr::new(10, 0, 0, 5));
        state.set_addresses(&BTreeMap::from([(
            AllocationKey {
                subnet: "ns/lcm".into(),
                host: "h1".into(),
                interface: "k8s-lcm".into(),
            },
            Ipv4Addr::new(10, 0, 0, 10),
        )]));
        let text = state.to_yaml();
        assert_eq!(
            AllocationState::parse("state.yaml", &text).expect("parses"),
            state
        );
    }

    #[test]
    fn bad_state_is_an_error_with_a_line() {
        let err = AllocationState::parse("s.yaml", "apiVersion: neutrino.io/v1alpha1\nkind: AllocationState\nallocations:\n  - {subnet: a, host: b, interface: c, address: nope}\n")
            .expect_err("bad address");
        assert!(err.to_string().contains("s.yaml:4"), "{err}");
    }
}
