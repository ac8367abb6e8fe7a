//! Validating Subnets (SN-1…SN-4, NB-1, MCN-19) and computing what each one may allocate (SN-5).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net};

use super::role::{NetRole, roles_from_labels};
use crate::finding::{Finding, Loc};
use crate::ipam::{AddressRanges, parse_range};
use crate::model::fields::Located;
use crate::model::subnet::Subnet;

/// A valid Subnet, ready for allocation and rendering.
#[derive(Clone, Debug)]
pub struct SubnetPlan {
    /// `namespace/name`.
    pub key: String,
    pub name: String,
    pub cidr: Ipv4Net,
    pub gateway: Option<Ipv4Addr>,
    pub nameservers: Vec<Ipv4Addr>,
    /// Addresses the allocator may hand out: include ranges (or the CIDR) minus exclude ranges minus the
    /// protected gateway, nameservers and (unless `useWholeCidr`) network and broadcast addresses.
    pub allocatable: AddressRanges,
    /// `allocatable` before service addresses (MetalLB pools, API VIP) were taken out of it.
    pub declared: AddressRanges,
    /// Roles from service labels (`labelled`) plus roles inferred from reserved bridge names.
    pub labelled: BTreeSet<NetRole>,
    pub roles: BTreeSet<NetRole>,
    pub cluster: Option<String>,
    /// The `ipam/SVC-*` labels, which every address allocated from the Subnet inherits (serviceMap).
    pub service_labels: Vec<String>,
    pub loc: Loc,
}

impl SubnetPlan {
    pub fn id(&self) -> String {
        format!("Subnet/{}", self.name)
    }

    pub fn has(&self, role: NetRole) -> bool {
        self.roles.contains(&role)
    }
}

pub fn subnet_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// Checks every Subnet; the valid ones become plans.
pub fn plan_subnets(
    subnets: &[Subnet],
    findings: &mut Vec<Finding>,
) -> BTreeMap<String, SubnetPlan> {
    let mut plans = BTreeMap::new();
    for subnet in subnets {
        if let Some(plan) = plan_subnet(subnet, findings) {
            plans.insert(plan.key.clone(), plan);
        }
    }
    plans
}

fn plan_subnet(subnet: &Subnet, findings: &mut Vec<Finding>) -> Option<SubnetPlan> {
    let id = subnet.meta.id();
    let cidr_text = subnet.cidr.as_ref()?;
    let cidr = match parse_cidr(&cidr_text.value) {
        Ok(cidr) => cidr,
        Err((rule, message, hint)) => {
            findings.push(Finding::error(rule, &id, cidr_text.loc.clone(), message).hint(hint));
            return None;
        }
    };
    let mut ok = true;
    if !subnet.include_ranges.is_empty() && !subnet.exclude_ranges.is_empty() {
        findings.push(
            Finding::error(
                "SN-2",
                &id,
                subnet.exclude_ranges[0].loc.clone(),
                "includeRanges and excludeRanges are both set; they are mutually exclusive",
            )
            .hint("keep only one of them: the allocatable ranges, or the ranges to keep out"),
        );
        ok = false;
    }
    let whole = AddressRanges::from_net(cidr);
    let mut ranges_of = |items: &[Located<String>], what: &str| -> AddressRanges {
        let mut set = AddressRanges::default();
        for item in items {
            match parse_range(&item.value) {
                Ok((a, b)) if cidr.contains(&a) && cidr.contains(&b) => set.insert(a, b),
                Ok(_) => {
                    findings.push(
                        Finding::error(
                            "SN-3",
                            &id,
                            item.loc.clone(),
                            format!("{what} item `{}` is not within {cidr}", item.value),
                        )
                        .hint(format!("keep every range inside {cidr}")),
                    );
                    ok = false;
                }
                Err(e) => {
                    findings.push(
                        Finding::error("SN-3", &id, item.loc.clone(), format!("{what} item: {e}"))
                            .hint("write A.B.C.D-A.B.C.E (first <= last) or a single address"),
                    );
                    ok = false;
                }
            }
        }
        set
    };
    let included = ranges_of(&subnet.include_ranges, "includeRanges");
    let excluded = ranges_of(&subnet.exclude_ranges, "excludeRanges");
    let gateway = match subnet
        .gateway
        .as_ref()
        .map(|gw| (gw, parse_gateway(&gw.value, cidr)))
    {
        None => None,
        Some((_, Ok(addr))) => Some(addr),
        Some((gw, Err((message, hint)))) => {
            findings.push(Finding::error("SN-4", &id, gw.loc.clone(), message).hint(hint));
            ok = false;
            None
        }
    };
    let mut nameservers = Vec::new();
    for ns in &subnet.nameservers {
        match ns.value.parse::<Ipv4Addr>() {
            Ok(a) => nameservers.push(a),
            Err(_) => {
                findings.push(
                    Finding::error(
                        "IN-3",
                        &id,
                        ns.loc.clone(),
                        format!("nameserver `{}` is not an IPv4 address", ns.value),
                    )
                    .hint("list DNS servers as IPv4 addresses"),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let mut allocatable = if subnet.include_ranges.is_empty() {
        whole
    } else {
        included
    };
    for (a, b) in excluded.intervals() {
        allocatable.remove(a, b);
    }
    if let Some(gw) = gateway {
        allocatable.remove_addr(gw);
    }
    for ns in &nameservers {
        allocatable.remove_addr(*ns);
    }
    if !subnet.use_whole_cidr {
        allocatable.remove_addr(cidr.network());
        allocatable.remove_addr(cidr.broadcast());
    }
    let labelled = roles_from_labels(subnet.meta.labels.keys());
    if labelled.contains(&NetRole::Pxe)
        && let Some(gw) = &subnet.gateway
    {
        findings.push(
            Finding::warning(
                "MCN-19",
                &id,
                gw.loc.clone(),
                "the PXE Subnet has a default gateway; the provisioning network needs no router",
            )
            .hint("remove `gateway` so no host routes through the PXE network"),
        );
    }
    Some(SubnetPlan {
        key: subnet_key(&subnet.meta.namespace, &subnet.meta.name),
        name: subnet.meta.name.clone(),
        cidr,
        gateway,
        nameservers,
        declared: allocatable.clone(),
        allocatable,
        roles: labelled.clone(),
        labelled,
        cluster: subnet.meta.cluster().map(str::to_string),
        service_labels: subnet
            .meta
            .labels
            .keys()
            .filter(|l| l.starts_with("ipam/SVC-"))
            .cloned()
            .collect(),
        loc: subnet.meta.loc.clone(),
    })
}

/// SN-1 / NB-1: the CIDR must be an IPv4 network address.
fn parse_cidr(text: &str) -> Result<Ipv4Net, (&'static str, String, String)> {
    match text.parse::<IpNet>() {
        Ok(IpNet::V4(net)) if net.trunc() == net => Ok(net),
        Ok(IpNet::V4(net)) => Err((
            "SN-1",
            format!("cidr `{text}` has host bits set"),
            format!("write the network address: {}", net.trunc()),
        )),
        Ok(IpNet::V6(_)) => Err((
            "NB-1",
            format!("cidr `{text}` is IPv6; infrastructure networks are IPv4 only"),
            "use an IPv4 CIDR; IPv6 is for OpenStack workload networks".to_string(),
        )),
        Err(_) => Err((
            "SN-1",
            format!("cidr `{text}` is not an IPv4 CIDR"),
            "write it as A.B.C.D/prefix, e.g. 10.20.0.0/24".to_string(),
        )),
    }
}

/// SN-4: the gateway is an IPv4 address inside the CIDR.
fn parse_gateway(text: &str, cidr: Ipv4Net) -> Result<Ipv4Addr, (String, String)> {
    match text.parse::<Ipv4Addr>() {
        Ok(addr) if cidr.contains(&addr) => Ok(addr),
        Ok(_) => Err((
            format!("gateway {text} is outside {cidr}"),
            format!("use a router address inside {cidr}"),
        )),
        Err(_) => Err((
            format!("gateway `{text}` is not an IPv4 address"),
            "write the router's IPv4 address".to_string(),
        )),
    }
}
