//! The mapping and the plan against a real OVN Northbound database: each test starts its own
//! standalone `ovsdb-server`, brings it to a desired state through our OVSDB client, reads it back
//! with `ovn-nbctl` and the client's monitor cache, and changes it behind our back. One test
//! binary, so the crate links once; without ovsdb-server and the OVN schema the tests fail and say
//! what to install.

mod drift;
mod network;
mod router;
mod security;

use std::sync::Arc;
use std::time::Duration;

use neutrino_ovn::row::revision_of;
use neutrino_ovn::testing::NbServer;
use neutrino_ovn::{
    Change, Desired, FixedIp, MappingConfig, NetworkSpec, Plan, PortSpec, Resources, RouterSpec,
    RowId, Scope, SubnetSpec, desired_state, monitor_request, plan, table,
};
use neutrino_ovsdb::{Cache, Client, ClientConfig, Error, MonitorHandle, Operation};

const NET: &str = "fdbf1838-1e0c-45a8-997f-f709fca48fd9";
const SUBNET: &str = "5a4039fa-278d-49e4-a3b3-13c8030cee82";
const PORT_A: &str = "d3d6fd22-39aa-43fe-9c80-5e00db573640";
const PORT_B: &str = "724ad2ea-6f82-40d3-8660-2abad64ba54c";

fn network() -> NetworkSpec {
    NetworkSpec {
        id: NET.into(),
        name: "net1".into(),
        revision_number: 1,
        mtu: 1442,
        network_type: "geneve".into(),
        physical_network: None,
        segmentation_id: Some(7),
        segment_id: NET.into(),
        availability_zone_hints: vec![],
        dns_domain: String::new(),
        qos_policy_id: None,
        vlan_transparent: false,
        qinq: false,
    }
}

fn subnet() -> SubnetSpec {
    SubnetSpec {
        id: SUBNET.into(),
        network_id: NET.into(),
        revision_number: 1,
        cidr: "10.10.0.0/24".parse().unwrap(),
        gateway_ip: Some("10.10.0.1".parse().unwrap()),
        enable_dhcp: true,
        dns_nameservers: vec!["192.0.2.53".parse().unwrap()],
        host_routes: vec![],
        ipv6_address_mode: None,
        ipv6_ra_mode: None,
    }
}

fn port(id: &str, mac: &str, ip: &str) -> PortSpec {
    PortSpec {
        id: id.into(),
        name: format!("port-{ip}"),
        network_id: NET.into(),
        project_id: "p1".into(),
        revision_number: 1,
        admin_state_up: true,
        mac_address: mac.into(),
        fixed_ips: vec![FixedIp {
            subnet_id: SUBNET.into(),
            ip_address: ip.parse().unwrap(),
        }],
        device_id: String::new(),
        device_owner: String::new(),
        port_security_enabled: true,
        security_groups: vec![],
        allowed_address_pairs: vec![],
        host_id: String::new(),
        vnic_type: "normal".into(),
        trunk_parent: None,
        capabilities: Vec::new(),
        qos_policy_id: None,
    }
}

fn ports() -> Vec<PortSpec> {
    vec![
        port(PORT_A, "fa:16:3e:00:00:0a", "10.10.0.10"),
        port(PORT_B, "fa:16:3e:00:00:0b", "10.10.0.11"),
    ]
}

fn desired_with(ports: &[PortSpec]) -> Desired {
    desired_state(
        &MappingConfig::default(),
        &Resources {
            networks: &[network()],
            subnets: &[subnet()],
            ports,
            ..Default::default()
        },
    )
}

/// A Northbound database, our client and a monitor of the managed tables.
struct Lab {
    nb: NbServer,
    client: Client,
    monitor: MonitorHandle,
}

impl Lab {
    async fn start() -> Lab {
        let nb = NbServer::start();
        let mut config = ClientConfig::new([nb.remote()], "OVN_Northbound");
        config.request_timeout = Duration::from_secs(5);
        config.connect_timeout = Duration::from_secs(5);
        let client = Client::connect(config)
            .await
            .expect("connect to the NB server");
        let monitor = client.monitor(monitor_request()).await.expect("monitor");
        Lab {
            nb,
            client,
            monitor,
        }
    }

    fn cache(&self) -> Arc<Cache> {
        self.monitor.snapshot()
    }

    fn plan(&self, desired: &Desired, scope: &Scope) -> Plan {
        plan(desired, &*self.cache(), scope)
    }

    /// Waits up to 5 s for the cache to satisfy `condition`.
    async fn settle(&self, what: &str, condition: impl Fn(&Cache) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !condition(&self.cache()) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "cache never showed {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Plans, transacts, and waits until the cache shows the desired state reached.
    async fn apply(&self, desired: &Desired, scope: &Scope) -> Plan {
        let plan = self.plan(desired, scope);
        if !plan.is_empty() {
            self.client
                .transact(&plan.operations)
                .await
                .unwrap_or_else(|e| panic!("transaction failed: {e}\n{:#?}", plan.operations));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let rest = neutrino_ovn::plan(desired, &*self.cache(), scope);
            if rest.is_empty() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the cache never showed the desired state; still planned: {:#?}",
                rest.operations
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        plan
    }

    fn nbctl(&self, args: &[&str]) -> String {
        self.nb.nbctl(args)
    }

    /// One column of every row of `table`, sorted (`ovn-nbctl --bare`).
    fn column(&self, table: &str, column: &str) -> Vec<String> {
        let out = self.nbctl(&["--bare", &format!("--columns={column}"), "list", table]);
        let mut values: Vec<String> = out
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        values.sort();
        values
    }

    fn lsp_count(&self) -> usize {
        self.column("Logical_Switch_Port", "_uuid").len()
    }
}

fn names(plan: &Plan) -> Vec<&'static str> {
    plan.operations.iter().map(Operation::name).collect()
}
