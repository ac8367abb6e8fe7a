//! Subnets: IP settings checked by the IPAM rules, overlap within the network, the network's
//! revision, the network's `shared` and `router:external` shown on its subnets, and the in-use
//! rule on delete.

use std::collections::HashMap;

use ipnet::IpNet;

use serde::Deserialize;
use serde_json::{Map, Value};

use neutrino_ipam::{
    self as ipam, GatewayChoice, Ipv6Mode, SubnetLimits, SubnetSpec, SubnetUpdate,
};
use neutrino_store::tables::{NETWORKS, SUBNETS};
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Network, Port, Resource, Standard, Subnet};
use crate::network::Networks;
use crate::network::{is_network_service_port, tags_on_create};
use crate::read::{Scope, check_revision, completed, field, load, load_for_change};
use crate::segment_routes;
use crate::subnetpool::SubnetPool;
use crate::{Caller, Error, NetworkConfig, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    required("network_id"),
    required("ip_version"),
    attr("cidr", true, false),
    attr("gateway_ip", true, true),
    attr("allocation_pools", true, true),
    attr("dns_nameservers", true, true),
    attr("host_routes", true, true),
    attr("enable_dhcp", true, true),
    attr("ipv6_ra_mode", true, false),
    attr("ipv6_address_mode", true, false),
    attr("subnetpool_id", true, false),
    attr("use_default_subnetpool", true, false),
    attr("prefixlen", true, false),
    attr("service_types", true, true),
    attr("dns_publish_fixed_ip", true, true),
    attr("segment_id", true, true),
    attr("tags", true, false),
];

fn limits(cfg: &NetworkConfig) -> SubnetLimits {
    SubnetLimits {
        max_dns_nameservers: cfg.max_dns_nameservers,
        max_subnet_host_routes: cfg.max_subnet_host_routes,
    }
}

/// `service_types` (subnet-service-types): the device owners whose ports take addresses here.
/// Upstream's check accepts a type that starts with `network:` or `neutron:`, or with any one
/// character of `compute:` (its code adds that prefix as a list of characters); kept as is, so
/// what upstream takes is taken.
fn service_types(b: &Body) -> Result<Option<Vec<String>>> {
    let Some(value) = b.get("service_types") else {
        return Ok(None);
    };
    let types = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.clone(),
        _ => return Err(Error::bad_request("Subnet service types must be a list.")),
    };
    let mut out = Vec::with_capacity(types.len());
    for t in types {
        let Value::String(t) = t else {
            return Err(Error::invalid_input(format!(
                "Subnet service type {} is not a string",
                attrs::show(&t)
            ))
            .with_kind("InvalidInputSubnetServiceType"));
        };
        let valid = t.starts_with("network:")
            || t.starts_with("neutron:")
            || t.starts_with(|c: char| "compute:".contains(c));
        if !valid {
            return Err(Error::invalid_input(format!(
                "Subnet service type {t} does not correspond to a valid device owner"
            ))
            .with_kind("InvalidSubnetServiceType"));
        }
        out.push(t);
    }
    Ok(Some(out))
}

/// Runs a value validator of the ipam crate and reports its reason as upstream does.
fn checked<T>(attr: &str, r: std::result::Result<T, String>) -> Result<T> {
    r.map_err(|reason| Error::invalid_attr(attr, reason))
}

fn string_value<'a>(attr: &str, v: &'a Value) -> Result<&'a str> {
    v.as_str().ok_or_else(|| {
        Error::invalid_attr(attr, format!("'{}' is not a valid string", attrs::show(v)))
    })
}

fn ipv6_mode(b: &Body, attr: &str) -> Result<Option<Ipv6Mode>> {
    match b.get(attr) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => checked(attr, Ipv6Mode::parse(string_value(attr, v)?)).map(Some),
    }
}

fn gateway(b: &Body) -> Result<Option<GatewayChoice>> {
    match b.get("gateway_ip") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(GatewayChoice::None)),
        Some(v) => {
            let ip = checked(
                "gateway_ip",
                ipam::validate_ip_address(string_value("gateway_ip", v)?),
            )?;
            Ok(Some(GatewayChoice::Given(ip)))
        }
    }
}

fn listed<T>(
    b: &Body,
    attr: &str,
    f: fn(&Value) -> std::result::Result<T, String>,
) -> Result<Option<T>> {
    match b.get(attr) {
        None => Ok(None),
        Some(Value::Null) => checked(attr, f(&Value::Array(Vec::new()))).map(Some),
        Some(v) => checked(attr, f(v)).map(Some),
    }
}

fn build(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    caller: &Caller,
    body: &Map<String, Value>,
) -> Result<(Subnet, Network, Option<SubnetPool>)> {
    check_attributes(body, ATTRS, Op::Create)?;
    let b = Body(body);
    let ip_version = match b.get("ip_version").and_then(attrs::to_int) {
        Some(v @ (4 | 6)) => v as u8,
        _ => {
            let shown = b.get("ip_version").map(attrs::show).unwrap_or_default();
            return Err(Error::invalid_attr(
                "ip_version",
                format!("{shown} is not in [4, 6]"),
            ));
        }
    };
    let network_id = b.string("network_id", 36)?.unwrap_or_default();
    let cidr = match b.get("cidr") {
        None | Some(Value::Null) => None,
        Some(v) => Some(checked(
            "cidr",
            ipam::validate_subnet(string_value("cidr", v)?),
        )?),
    };
    let prefixlen = b.uint("prefixlen")?;
    if cidr.is_some() && prefixlen.is_some() {
        return Err(Error::bad_request(
            "Bad subnets request: cidr and prefixlen must not be supplied together.",
        ));
    }
    let pool = crate::pool_subnets::requested_pool(tx, caller, &b, ip_version)?;
    let any_request = match (&pool, cidr) {
        (None, None) => {
            return Err(Error::bad_request(
                "Bad subnets request: a subnetpool must be specified in the absence of a cidr.",
            ));
        }
        (Some(_), None) => {
            if !matches!(b.get("allocation_pools"), None | Some(Value::Null)) {
                return Err(Error::bad_request(
                    "Bad subnets request: allocation_pools allowed only for specific subnet requests.",
                ));
            }
            true
        }
        _ => false,
    };
    // A pool request's CIDR is chosen once the network is known.
    let cidr = cidr.unwrap_or(match ip_version {
        4 => IpNet::V4(Default::default()),
        _ => IpNet::V6(Default::default()),
    });
    let spec = SubnetSpec {
        ip_version,
        cidr,
        gateway_ip: gateway(&b)?.unwrap_or_default(),
        allocation_pools: listed(&b, "allocation_pools", ipam::validate_allocation_pools)?,
        dns_nameservers: listed(&b, "dns_nameservers", ipam::validate_nameservers)?
            .unwrap_or_default(),
        host_routes: listed(&b, "host_routes", ipam::validate_host_routes)?.unwrap_or_default(),
        enable_dhcp: b.bool("enable_dhcp")?.unwrap_or(true),
        ipv6_ra_mode: ipv6_mode(&b, "ipv6_ra_mode")?,
        ipv6_address_mode: ipv6_mode(&b, "ipv6_address_mode")?,
    };
    let project_id = attrs::owner(body, caller)?;

    let scope = Scope::load(tx, caller)?;
    let net: Network = match load::<Network>(tx, &network_id)? {
        Some(n) if Networks.sees(&scope, &to_map(&n)?) => n,
        _ => return Err(Error::network_not_found(&network_id)),
    };
    if !caller.may_write(&net.project_id) {
        return Err(Error::policy("rule:create_subnet"));
    }
    if (ip_version == 4 && net.mtu < 68) || (ip_version == 6 && net.mtu < 1280) {
        return Err(Error::conflict(
            "NetworkMTUSubnetConflict",
            format!(
                "MTU of {} is not compatible with subnet {}.",
                net.id,
                spec.cidr.trunc()
            ),
        ));
    }
    let others = store::list_docs(
        tx,
        SUBNETS,
        &Selection::by("network_id", vec![net.id.clone()]),
    )?
    .iter()
    .map(|d| Subnet::from_doc(&net.id, d))
    .collect::<Result<Vec<_>, _>>()?;
    let mut spec = spec;
    if let Some(pool) = &pool {
        crate::pool_subnets::check_network_affinity(&net, &others, ip_version, Some(pool))?;
        let requested = (!any_request).then(|| spec.cidr.trunc());
        let prefixlen = prefixlen.map(|n| n.min(255) as u8);
        spec.cidr = crate::pool_subnets::allocate(tx, pool, &project_id, requested, prefixlen)?;
        // Upstream gives a block from a pool the first address as its gateway, IPv6 too.
        if any_request && matches!(spec.gateway_ip, GatewayChoice::Default) {
            let first = ipam::ip_to_u128(spec.cidr.network()) + 1;
            if let Some(first) = ipam::u128_to_ip(ip_version, first) {
                spec.gateway_ip = GatewayChoice::Given(first);
            }
        }
    } else {
        crate::pool_subnets::check_network_affinity(&net, &others, ip_version, None)?;
    }
    let validated = ipam::validate_new_subnet(&spec, &limits(cfg))?;
    ipam::check_overlap(&validated.cidr, &net.id, others.into_iter().map(|s| s.cidr))?;

    let mut subnet = Subnet {
        id: uuid::Uuid::new_v4().to_string(),
        name: b.name("name")?.unwrap_or_default(),
        tenant_id: project_id.clone(),
        project_id,
        network_id: net.id.clone(),
        ip_version,
        cidr: validated.cidr,
        gateway_ip: None,
        allocation_pools: Vec::new(),
        dns_nameservers: Vec::new(),
        host_routes: Vec::new(),
        enable_dhcp: true,
        ipv6_ra_mode: None,
        ipv6_address_mode: None,
        subnetpool_id: pool.as_ref().map(|p| p.id.clone()),
        service_types: service_types(&b)?.unwrap_or_default(),
        dns_publish_fixed_ip: b.bool("dns_publish_fixed_ip")?.unwrap_or(false),
        segment_id: b.uuid("segment_id")?,
        std: Standard::new(
            b.string("description", 255)?.unwrap_or_default(),
            tags_on_create(&b)?,
        ),
    };
    subnet.set_ip_settings(validated);
    Ok((subnet, net, pool))
}

fn to_map<T: serde::Serialize>(v: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::internal()),
    }
}

/// `/v2.0/subnets`.
pub struct Subnets;

impl Collection for Subnets {
    fn path(&self) -> &'static str {
        "subnets"
    }
    fn singular(&self) -> &'static str {
        "subnet"
    }
    fn plural(&self) -> &'static str {
        "subnets"
    }
    fn table(&self) -> Table {
        SUBNETS
    }
    fn not_found(&self, id: &str) -> Error {
        Error::subnet_not_found(id)
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("subnet")
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "subnet-external-network",
                "Subnet External Network",
                "Informs if the subnet is associated to an external network.",
            ),
            ext(
                "subnet-service-types",
                "Subnet service types",
                "Provides ability to set the subnet service_types field",
            ),
            ext(
                "subnet-dns-publish-fixed-ip",
                "Subnet DNS publish fixed IP",
                "Support choosing to publish DNS records for IPs from a subnet",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "project_id",
            "tenant_id",
            "network_id",
            "ip_version",
            "cidr",
            "gateway_ip",
            "allocation_pools",
            "dns_nameservers",
            "host_routes",
            "enable_dhcp",
            "ipv6_ra_mode",
            "ipv6_address_mode",
            "subnetpool_id",
            "service_types",
            "dns_publish_fixed_ip",
            "segment_id",
            "router:external",
            "shared",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn hidden(&self) -> &'static [&'static str] {
        &["shared"]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &[
            "allocation_pools",
            "dns_nameservers",
            "host_routes",
            "service_types",
            "tags",
        ]
    }
    /// `router:external` and the hidden `shared` filter are the network's, `shared` relative to
    /// the caller as the network's is.
    fn complete(&self, tx: &Tx<'_>, scope: &Scope, items: &mut [Map<String, Value>]) -> Result<()> {
        with_network_flags(tx, Some(scope), items)
    }
    /// Subnets follow their network: visible with it when it is open, to its owner's readers.
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        let network = field(doc, "network_id");
        scope.admin()
            || scope.reads_project(field(doc, "project_id"))
            || scope.network_is_open(network)
            || scope.reads_network(network)
    }
    /// Its project's subnets, those on networks shared with it, and those on networks it owns.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        let mut rows = scope.own_rows();
        rows.push(scope.open_network_rows("network_id"));
        rows.extend(scope.owned_network_rows("network_id"));
        rows
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let (mut subnet, mut net, pool) = build(tx, cx.cfg, cx.caller, body)?;
        let others = other_segments(tx, &net.id, &subnet.id)?;
        crate::segment::check_subnet_segment(
            tx,
            &net.id,
            subnet.segment_id.as_deref(),
            &others,
            None,
        )?;
        let routed = subnet.segment_id.is_some();
        if routed {
            let peers = crate::port_addresses::subnets_of(tx, &net.id)?;
            subnet.host_routes = segment_routes::for_subnet(&subnet, &peers, None);
        }
        store::insert_row(tx, SUBNETS, &subnet.id, &columns(&subnet), &subnet.to_doc())?;
        if let Some(pool) = &pool {
            crate::pool_subnets::record(tx, &subnet, pool, &mut net)?;
        }
        revise_network(tx, &mut net)?;
        if routed {
            segment_routes::refresh_network(tx, &net.id, None)?;
        }
        shown(tx, &subnet)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value> {
        let (caller, cfg) = (cx.caller, cx.cfg);

        check_attributes(body, ATTRS, Op::Update)?;
        let mut subnet: Subnet = load_for_change(tx, caller, self, id, "rule:update_subnet")?;
        check_revision(if_match, subnet.std.revision_number)?;
        let b = Body(body);
        let changes = SubnetUpdate {
            gateway_ip: gateway(&b)?.map(|g| match g {
                GatewayChoice::Given(ip) => Some(ip),
                GatewayChoice::None => None,
                // Not produced by `gateway` for a present key.
                GatewayChoice::Default => subnet.gateway_ip,
            }),
            allocation_pools: listed(&b, "allocation_pools", ipam::validate_allocation_pools)?,
            dns_nameservers: listed(&b, "dns_nameservers", ipam::validate_nameservers)?,
            host_routes: listed(&b, "host_routes", ipam::validate_host_routes)?,
            enable_dhcp: b.bool("enable_dhcp")?,
        };
        let validated = ipam::validate_subnet_update(
            &subnet.ip_settings(),
            &subnet.id,
            &changes,
            &limits(cfg),
        )?;
        if validated.gateway_ip != subnet.gateway_ip {
            crate::router::check_gateway_change(tx, &subnet)?;
        }
        if let Some(name) = b.name("name")? {
            subnet.name = name;
        }
        if let Some(d) = b.string("description", 255)? {
            subnet.std.description = d;
        }
        if let Some(types) = service_types(&b)? {
            subnet.service_types = types;
        }
        if let Some(publish) = b.bool("dns_publish_fixed_ip")? {
            subnet.dns_publish_fixed_ip = publish;
        }
        if b.has("segment_id") {
            let segment_id = b.uuid("segment_id")?;
            let others = other_segments(tx, &subnet.network_id, &subnet.id)?;
            crate::segment::check_subnet_segment(
                tx,
                &subnet.network_id,
                segment_id.as_deref(),
                &others,
                Some(subnet.segment_id.as_deref()),
            )?;
            subnet.segment_id = segment_id;
        }
        let old_gateway = subnet.gateway_ip;
        subnet.set_ip_settings(validated);
        if subnet.segment_id.is_some() && (b.has("host_routes") || subnet.gateway_ip != old_gateway)
        {
            let peers = crate::port_addresses::subnets_of(tx, &subnet.network_id)?;
            let moved = old_gateway.filter(|_| subnet.gateway_ip != old_gateway);
            subnet.host_routes = segment_routes::for_subnet(&subnet, &peers, moved);
        }
        subnet.std.touch();
        store::update_row(tx, SUBNETS, &subnet.id, &columns(&subnet), &subnet.to_doc())?;
        if let Some(mut net) = load::<Network>(tx, &subnet.network_id)? {
            revise_network(tx, &mut net)?;
        }
        shown(tx, &subnet)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let caller = cx.caller;

        let subnet: Subnet = load_for_change(tx, caller, self, id, "rule:delete_subnet")?;
        check_revision(if_match, subnet.std.revision_number)?;
        let auto_address = subnet.ip_settings().is_auto_address();
        for port_id in store::ports_on_subnet(tx, id)? {
            let Some(mut port) = load::<Port>(tx, &port_id)? else {
                continue;
            };
            if !auto_address && !is_network_service_port(&port.device_owner) {
                return Err(Error::in_use(
                    "SubnetInUse",
                    format!(
                        "Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet."
                    ),
                ));
            }
            // Addresses that come with the subnet go with it.
            port.fixed_ips.retain(|f| f.subnet_id != id);
            port.dns_assignment
                .retain(|d| port.fixed_ips.iter().any(|f| f.ip_address == d.ip_address));
            port.std.touch();
            crate::port::save_port(tx, &port)?;
        }
        for addr in store::allocated_addresses(tx, id)? {
            store::delete_allocation(tx, id, &addr)?;
        }
        store::delete_row(tx, SUBNETS, id)?;
        if let Some(mut net) = load::<Network>(tx, &subnet.network_id)? {
            crate::pool_subnets::release(tx, &subnet, &mut net)?;
            revise_network(tx, &mut net)?;
        }
        if subnet.segment_id.is_some() {
            segment_routes::refresh_network(tx, &subnet.network_id, Some(subnet.cidr))?;
        }
        Ok(())
    }
}

/// The indexed columns of a subnet row.
pub(crate) fn columns(subnet: &Subnet) -> [(&'static str, ColumnValue); 3] {
    [
        ("project_id", ColumnValue::Text(subnet.project_id.clone())),
        ("network_id", ColumnValue::Text(subnet.network_id.clone())),
        (
            "segment_id",
            ColumnValue::opt_text(subnet.segment_id.clone()),
        ),
    ]
}

/// The segments of the network's subnets other than `subnet_id` (one entry per subnet).
fn other_segments(tx: &Tx<'_>, network_id: &str, subnet_id: &str) -> Result<Vec<Option<String>>> {
    Ok(store::subnet_segments(tx, network_id)?
        .into_iter()
        .filter(|(id, _)| id != subnet_id)
        .map(|(_, segment)| segment)
        .collect())
}

/// A subnet created, changed or deleted is a change of its network: a new revision (and
/// update time) for the network, though the network's document holds nothing of its subnets —
/// as upstream, where a subnet `revises_on_change` its network.
fn revise_network(tx: &Tx<'_>, net: &mut Network) -> Result<()> {
    net.l2_adjacency = crate::segment::l2_adjacent(tx, &net.id)?;
    net.std.touch();
    store::update_doc(tx, NETWORKS, &net.id, &net.to_doc())?;
    // Several subnets of one request (a bulk create) are one revision of the network, as the
    // store counts it: its document must show that revision, not one per subnet.
    if let Some(revision) = store::revision_of(tx, NETWORKS, &net.id)?
        && u64::try_from(revision).ok() != Some(net.std.revision_number)
    {
        net.std.revision_number = u64::try_from(revision).unwrap_or_default();
        store::update_doc(tx, NETWORKS, &net.id, &net.to_doc())?;
    }
    Ok(())
}

/// A written subnet as the write returns it.
fn shown(tx: &Tx<'_>, subnet: &Subnet) -> Result<Value> {
    completed(tx, subnet, |tx, items| with_network_flags(tx, None, items))
}

/// What a subnet shows of its network.
#[derive(Deserialize)]
struct NetworkFlags {
    id: String,
    shared: bool,
    #[serde(rename = "router:external")]
    router_external: bool,
}

/// A subnet's `router:external` and (filter-only) `shared` are its network's, read from the
/// networks of every subnet of `items` in one query. With a caller's `scope`, `shared` is also
/// true when a policy shares the network with the caller's project.
pub(crate) fn with_network_flags(
    tx: &Tx<'_>,
    scope: Option<&Scope>,
    items: &mut [Map<String, Value>],
) -> Result<()> {
    let mut ids: Vec<String> = items
        .iter()
        .map(|s| field(s, "network_id").to_string())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut flags = HashMap::new();
    for doc in store::docs_by_id(tx, NETWORKS, &ids)? {
        let f: NetworkFlags = serde_json::from_str(&doc).map_err(|e| StoreError::Corrupt {
            table: NETWORKS.name(),
            id: String::new(),
            reason: e.to_string(),
        })?;
        flags.insert(f.id, (f.shared, f.router_external));
    }
    for subnet in items {
        let network = field(subnet, "network_id");
        let (shared, external) = flags.get(network).copied().unwrap_or_default();
        let shared =
            shared || scope.is_some_and(|s| s.shared_with("network", network, crate::rbac::SHARED));
        subnet.insert("shared".into(), Value::Bool(shared));
        subnet.insert("router:external".into(), Value::Bool(external));
    }
    Ok(())
}
