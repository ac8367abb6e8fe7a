//! Ports: MAC addresses, fixed IPs (allocated from the network's subnets), port security,
//! allowed address pairs, extra DHCP options, DNS, binding, and the update merge rules.

use serde_json::{Map, Value};

use neutrino_ipam::{self as ipam, MacAddr};
use neutrino_store::Tx;
use neutrino_store::tables::PORTS;
use neutrino_store::{self as store, ColumnValue, Selection, StoreError, Table, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::error::Failure;
use crate::extensions::{Extension, ext};
use crate::model::{DnsAssignment, Network, Port, Resource, Standard, Subnet};
use crate::network::Networks;
use crate::network::{dns_domain, tags_on_create};
use crate::port_addresses::{
    AddressTarget, allocate_fixed_ips, release_address, service_subnets, subnets_of, subnets_read,
    update_fixed_ips,
};
use crate::port_input::{
    FixedIpEntry, PairRequest, device_profile, dns_name, hardware_offload_type, merge_dhcp_opts,
    numa_affinity_policy, parse_address_pairs, parse_dhcp_opts, parse_fixed_ips, profile,
    resolve_pairs, vnic_type, with_offload_capability,
};
use crate::port_qos;
use crate::port_security_groups;
use crate::read::{Scope, check_revision, completed, field, load, load_for_change};
use crate::trunk_ports;
use crate::{Caller, Error, NetworkConfig, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    required("network_id"),
    attr("admin_state_up", true, true),
    attr("mac_address", true, true),
    attr("fixed_ips", true, true),
    attr("device_id", true, true),
    attr("device_owner", true, true),
    attr("status", false, false),
    attr("port_security_enabled", true, true),
    attr("security_groups", true, true),
    attr("allowed_address_pairs", true, true),
    attr("extra_dhcp_opts", true, true),
    attr("dns_name", true, true),
    attr("dns_domain", true, true),
    attr("dns_assignment", false, false),
    attr("ip_allocation", false, false),
    attr("binding:host_id", true, true),
    attr("binding:vnic_type", true, true),
    attr("binding:profile", true, true),
    attr("binding:vif_type", false, false),
    attr("binding:vif_details", false, false),
    attr("numa_affinity_policy", true, true),
    attr("device_profile", true, false),
    attr("tags", true, false),
    attr("qos_policy_id", true, true),
    attr("qos_network_policy_id", false, false),
    attr("resource_request", false, false),
    attr("propagate_uplink_status", true, true),
    attr("hardware_offload_type", true, false),
    attr("trusted", true, true),
];

/// Attributes a member may set only on ports of its own networks (not on a shared one).
const NETWORK_OWNER_ATTRS: &[&str] = &[
    "mac_address",
    "port_security_enabled",
    "allowed_address_pairs",
];

/// How far the caller's rights on the port's network go.
struct NetworkRights {
    /// Admin, or member of the network's project.
    owner: bool,
    /// The network is shared with the caller's project (or everyone).
    shared: bool,
}

fn network_for_port(
    tx: &Tx<'_>,
    caller: &Caller,
    network_id: &str,
) -> Result<(Network, NetworkRights)> {
    let net = match load::<Network>(tx, network_id)? {
        Some(n) => n,
        None => return Err(Error::network_not_found(network_id)),
    };
    let owner =
        caller.is_admin() || (caller.has_role("member") && net.project_id == caller.project_id);
    // Admins and the network's own members (who read their project) need no sharing rules:
    // the common case skips the read of the caller's RBAC grants.
    if owner && (caller.is_admin() || caller.has_role("reader")) {
        return Ok((
            net,
            NetworkRights {
                owner,
                shared: false,
            },
        ));
    }
    let scope = Scope::load(tx, caller)?;
    let map = match serde_json::to_value(&net) {
        Ok(Value::Object(m)) => m,
        _ => return Err(Error::internal()),
    };
    if !Networks.sees(&scope, &map) {
        return Err(Error::network_not_found(network_id));
    }
    let shared = scope.shared_with("network", network_id, crate::rbac::SHARED);
    Ok((net, NetworkRights { owner, shared }))
}

fn dns_assignment(port: &Port, cfg: &NetworkConfig) -> Vec<DnsAssignment> {
    port.fixed_ips
        .iter()
        .map(|f| {
            let hostname = if port.dns_name.is_empty() {
                format!("host-{}", f.ip_address.replace(['.', ':'], "-"))
            } else {
                port.dns_name.clone()
            };
            let fqdn = format!("{hostname}.{}", cfg.dns_domain);
            DnsAssignment {
                ip_address: f.ip_address.clone(),
                hostname,
                fqdn,
            }
        })
        .collect()
}

fn mac_in_use(tx: &Tx<'_>, network_id: &str, mac: &str) -> Result<bool> {
    let sel = Selection::by("network_id", vec![network_id.to_string()])
        .and("mac_address", vec![mac.to_string()]);
    Ok(store::exists(tx, PORTS, &sel)?)
}

fn mac_in_use_error(network_id: &str, mac: &str) -> Error {
    Error::in_use(
        "MacAddressInUse",
        format!(
            "Unable to complete operation for network {network_id}. The mac address {mac} is in use."
        ),
    )
}

/// What a new port asks for that depends on its MAC.
struct NewPortRequest<'a> {
    mac: Option<MacAddr>,
    pairs: Vec<PairRequest>,
    fixed: Option<&'a [FixedIpEntry]>,
}

/// Gives a new port its MAC and addresses and writes its row, once. A requested MAC is checked
/// first (its error comes before any address error, as upstream's). A random MAC is settled by
/// the unique (network, MAC) index: when the insert finds it taken, the addresses (SLAAC ones
/// derive from the MAC) are released and the port tries another.
fn insert_new_port(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    port: &mut Port,
    subnets: &[Subnet],
    request: NewPortRequest<'_>,
) -> Result<()> {
    if let Some(mac) = request.mac {
        let mac = mac.to_string();
        if mac_in_use(tx, &port.network_id, &mac)? {
            return Err(mac_in_use_error(&port.network_id, &mac));
        }
    }
    let prefix = base_mac(cfg);
    for _ in 0..16 {
        port.mac_address = match request.mac {
            Some(mac) => mac.to_string(),
            None => ipam::random_mac(prefix, &mut rand::rng()).to_string(),
        };
        port.allowed_address_pairs = resolve_pairs(request.pairs.clone(), &port.mac_address);
        let target = AddressTarget {
            network_id: &port.network_id,
            port_id: &port.id,
            mac: &port.mac_address,
            device_owner: &port.device_owner,
        };
        port.fixed_ips = allocate_fixed_ips(tx, subnets, &target, request.fixed)?;
        port.dns_assignment = dns_assignment(port, cfg);
        match store::insert_row(tx, PORTS, &port.id, &columns(port), &port.to_doc()) {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict(_)) if request.mac.is_none() => {
                for f in &port.fixed_ips {
                    release_address(tx, &f.subnet_id, &f.ip_address)?;
                }
            }
            Err(StoreError::Conflict(_)) => {
                return Err(mac_in_use_error(&port.network_id, &port.mac_address));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::new(
        Failure::Exhausted,
        "MacAddressGenerationFailure",
        format!(
            "Unable to generate unique mac on network {}.",
            port.network_id
        ),
    ))
}

/// `mac_address` of a request: `Some(None)` for `null`.
fn mac_attr(b: &Body) -> Result<Option<Option<MacAddr>>> {
    match b.get("mac_address") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(_) => {
            let m = b.string("mac_address", 32)?.unwrap_or_default();
            let mac = ipam::validate_mac(&m).map_err(|r| Error::invalid_attr("mac_address", r))?;
            Ok(Some(Some(mac)))
        }
    }
}

/// The MAC an update asks for; `null` asks for a new random one
/// (`port-mac-address-regenerate`).
fn requested_mac(b: &Body, cfg: &NetworkConfig) -> Result<Option<String>> {
    Ok(mac_attr(b)?.map(|mac| {
        mac.unwrap_or_else(|| ipam::random_mac(base_mac(cfg), &mut rand::rng()))
            .to_string()
    }))
}

fn base_mac(cfg: &NetworkConfig) -> [u8; 3] {
    let mut out = ipam::DEFAULT_MAC_PREFIX;
    let parts: Vec<u8> = cfg
        .base_mac
        .split(':')
        .filter_map(|p| u8::from_str_radix(p, 16).ok())
        .collect();
    if parts.len() >= 3 {
        out.copy_from_slice(&parts[..3]);
    }
    out
}

/// Writes a port's row: its indexed columns and its document.
pub(crate) fn save_port(tx: &Tx<'_>, port: &Port) -> Result<()> {
    store::update_row(tx, PORTS, &port.id, &columns(port), &port.to_doc())?;
    Ok(())
}

/// Deletes a port and frees its addresses, without the API's checks (ports the service owns).
pub(crate) fn remove_port(tx: &Tx<'_>, port: &Port) -> Result<()> {
    for f in &port.fixed_ips {
        release_address(tx, &f.subnet_id, &f.ip_address)?;
    }
    crate::qos::unbind(tx, &port.id)?;
    crate::port_forwarding::remove_for_port(tx, &port.id, None)?;
    crate::log::delete_of_port(tx, &port.id)?;
    store::delete_row(tx, PORTS, &port.id)?;
    Ok(())
}

/// The indexed columns of a port row.
fn columns(port: &Port) -> [(&'static str, ColumnValue); 4] {
    [
        ("project_id", ColumnValue::Text(port.project_id.clone())),
        ("network_id", ColumnValue::Text(port.network_id.clone())),
        ("device_id", ColumnValue::Text(port.device_id.clone())),
        ("mac_address", ColumnValue::Text(port.mac_address.clone())),
    ]
}

fn check_admin_only(b: &Body, caller: &Caller, action: &str) -> Result<()> {
    if caller.is_admin() {
        return Ok(());
    }
    for a in ["binding:host_id", "binding:profile", "trusted"] {
        if b.has(a) {
            return Err(Error::policy(&format!("rule:{action}_port:{a}")));
        }
    }
    Ok(())
}

/// A port's `trusted`, once set, is also `trusted` in its `binding:profile` (what the compute
/// service reads), whatever the profile was set to since.
fn show_trusted_in_profile(port: &mut Port) {
    if let Some(trusted) = port.trusted {
        port.profile.insert("trusted".into(), Value::Bool(trusted));
    }
}

fn check_network_owner_attrs(
    b: &Body,
    rights: &NetworkRights,
    fixed: Option<&[FixedIpEntry]>,
    action: &str,
) -> Result<()> {
    if rights.owner {
        return Ok(());
    }
    if let Some(a) = NETWORK_OWNER_ATTRS.iter().find(|a| b.has(a)) {
        return Err(Error::policy(&format!("rule:{action}_port:{a}")));
    }
    if fixed.is_some_and(|f| f.iter().any(|e| e.ip_address().is_some())) {
        return Err(Error::policy(&format!(
            "rule:{action}_port:fixed_ips:ip_address"
        )));
    }
    if b.string("device_owner", 255)?
        .is_some_and(|o| o.starts_with("network:"))
    {
        return Err(Error::policy(&format!("rule:{action}_port:device_owner")));
    }
    Ok(())
}

fn address_pairs_need_security() -> Error {
    Error::conflict(
        "AddressPairAndPortSecurityRequired",
        "Port Security must be enabled in order to have allowed address pairs on a port.",
    )
}

pub(crate) fn create_one(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    caller: &Caller,
    body: &Map<String, Value>,
) -> Result<Port> {
    check_attributes(body, ATTRS, Op::Create)?;
    let b = Body(body);
    check_admin_only(&b, caller, "create")?;
    let network_id = b.string("network_id", 36)?.unwrap_or_default();
    read_ahead_for_create(tx, caller, body, &network_id)?;
    let (net, rights) = network_for_port(tx, caller, &network_id)?;
    if !(rights.owner || (caller.has_role("member") && rights.shared)) {
        return Err(Error::policy("rule:create_port"));
    }
    let fixed = parse_fixed_ips(&b)?;
    check_network_owner_attrs(&b, &rights, fixed.as_deref(), "create")?;
    let project_id = attrs::owner(body, caller)?;
    // `null` is no request: a MAC is generated.
    let requested_mac = mac_attr(&b)?.flatten();
    let pairs = parse_address_pairs(&b, cfg)?;
    let port_security = b
        .bool("port_security_enabled")?
        .unwrap_or(net.port_security_enabled);
    if !port_security && pairs.as_ref().is_some_and(|p| !p.is_empty()) {
        return Err(address_pairs_need_security());
    }
    let dhcp = parse_dhcp_opts(&b)?;
    let device_owner = b.string("device_owner", 255)?.unwrap_or_default();
    let security_groups = port_security_groups::for_new_port(
        tx,
        caller,
        &b,
        &project_id,
        port_security,
        &device_owner,
    )?;
    let id = uuid::Uuid::new_v4().to_string();
    let qos_policy_id = crate::qos::bind_on_create(tx, caller, "port", &id, &project_id, body)?;
    let mut port = Port {
        name: b.name("name")?.unwrap_or_default(),
        tenant_id: project_id.clone(),
        project_id,
        network_id: net.id.clone(),
        admin_state_up: b.bool("admin_state_up")?.unwrap_or(true),
        fixed_ips: Vec::new(),
        device_id: b.string("device_id", 255)?.unwrap_or_default(),
        device_owner,
        status: "DOWN".into(),
        port_security_enabled: port_security,
        security_groups,
        allowed_address_pairs: Vec::new(),
        extra_dhcp_opts: Vec::new(),
        dns_name: dns_name(&b, cfg)?.unwrap_or_default(),
        dns_domain: dns_domain(&b, "dns_domain")?.unwrap_or_default(),
        dns_assignment: Vec::new(),
        ip_allocation: if fixed.as_ref().is_some_and(Vec::is_empty) {
            "none"
        } else {
            "immediate"
        }
        .into(),
        host_id: b.string("binding:host_id", 255)?.unwrap_or_default(),
        vnic_type: vnic_type(&b)?.unwrap_or_else(|| "normal".into()),
        profile: profile(&b)?.unwrap_or_default(),
        vif_type: "unbound".into(),
        vif_details: Map::new(),
        numa_affinity_policy: numa_affinity_policy(&b)?.flatten(),
        device_profile: device_profile(&b)?,
        qos_policy_id,
        qos_network_policy_id: None,
        resource_request: None,
        propagate_uplink_status: b.bool("propagate_uplink_status")?.unwrap_or(true),
        hardware_offload_type: hardware_offload_type(&b)?,
        trusted: b.bool("trusted")?,
        std: Standard::new(
            b.string("description", 255)?.unwrap_or_default(),
            tags_on_create(&b)?,
        ),
        mac_address: String::new(),
        id,
    };
    merge_dhcp_opts(&mut port.extra_dhcp_opts, dhcp.unwrap_or_default());
    if let Some(offload) = &port.hardware_offload_type {
        with_offload_capability(&mut port.profile, offload);
    }
    show_trusted_in_profile(&mut port);
    let subnets = service_subnets(subnets_of(tx, &net.id)?, &net.id, &port.device_owner)?;
    let request = NewPortRequest {
        mac: requested_mac,
        pairs: pairs.unwrap_or_default(),
        fixed: fixed.as_deref(),
    };
    insert_new_port(tx, cfg, &mut port, &subnets, request)?;
    port_security_groups::bind_new(tx, &port)?;
    Ok(port)
}

/// The reads a port create makes before its first write, made together (one round trip on
/// PostgreSQL instead of three): its network, the network's subnets and the owner's default
/// security group.
fn read_ahead_for_create(
    tx: &Tx<'_>,
    caller: &Caller,
    body: &Map<String, Value>,
    network_id: &str,
) -> Result<()> {
    let mut reads = vec![
        store::doc_read(Network::TABLE, network_id),
        subnets_read(tx, network_id)?,
    ];
    if let Ok(owner) = attrs::owner(body, caller) {
        reads.push(store::default_security_group_read(&owner));
    }
    Ok(tx.prefetch(reads)?)
}

pub(crate) fn update_one(
    tx: &Tx<'_>,
    cfg: &NetworkConfig,
    caller: &Caller,
    id: &str,
    body: &Map<String, Value>,
    if_match: Option<u64>,
) -> Result<Port> {
    check_attributes(body, ATTRS, Op::Update)?;
    let mut port: Port = load_for_change(tx, caller, &Ports, id, "rule:update_port")?;
    check_revision(if_match, port.std.revision_number)?;
    let b = Body(body);
    check_admin_only(&b, caller, "update")?;
    let (_, rights) = network_for_port(tx, caller, &port.network_id)?;
    let fixed = parse_fixed_ips(&b)?;
    check_network_owner_attrs(&b, &rights, fixed.as_deref(), "update")?;
    if let Some(name) = b.name("name")? {
        port.name = name;
    }
    if let Some(d) = b.string("description", 255)? {
        port.std.description = d;
    }
    if let Some(up) = b.bool("admin_state_up")? {
        port.admin_state_up = up;
    }
    if let Some(d) = b.string("device_id", 255)? {
        port.device_id = d;
    }
    if let Some(o) = b.string("device_owner", 255)? {
        port.device_owner = o;
    }
    if let Some(mac) = requested_mac(&b, cfg)?
        && mac != port.mac_address
    {
        if port.device_owner.starts_with("network:") {
            return Err(Error::conflict(
                "UnsupportedPortDeviceOwner",
                format!(
                    "Operation mac_address update is not supported for device_owner {} on port {}.",
                    port.device_owner, port.id
                ),
            ));
        }
        if !port.host_id.is_empty() {
            return Err(Error::conflict(
                "PortBound",
                format!(
                    "Unable to complete operation on port {}, port is already bound, port type: {}, old_mac {}, new_mac {}.",
                    port.id, port.vif_type, port.mac_address, mac
                ),
            ));
        }
        if mac_in_use(tx, &port.network_id, &mac)? {
            return Err(mac_in_use_error(&port.network_id, &mac));
        }
        port.mac_address = mac;
    }
    if let Some(ps) = b.bool("port_security_enabled")? {
        port.port_security_enabled = ps;
    }
    if let Some(policy) = numa_affinity_policy(&b)? {
        port.numa_affinity_policy = policy;
    }
    if let Some(pairs) = parse_address_pairs(&b, cfg)? {
        port.allowed_address_pairs = resolve_pairs(pairs, &port.mac_address);
    }
    if !port.port_security_enabled && !port.allowed_address_pairs.is_empty() {
        return Err(address_pairs_need_security());
    }
    port_security_groups::on_update(tx, caller, &b, &mut port)?;
    if let Some(opts) = parse_dhcp_opts(&b)? {
        merge_dhcp_opts(&mut port.extra_dhcp_opts, opts);
    }
    if let Some(n) = dns_name(&b, cfg)? {
        port.dns_name = n;
    }
    if let Some(d) = dns_domain(&b, "dns_domain")? {
        port.dns_domain = d;
    }
    if let Some(h) = b.string("binding:host_id", 255)? {
        port.host_id = h;
    }
    if let Some(v) = vnic_type(&b)? {
        port.vnic_type = v;
    }
    if let Some(p) = profile(&b)? {
        port.profile = p;
    }
    if let Some(up) = b.bool("propagate_uplink_status")? {
        port.propagate_uplink_status = up;
    }
    if let Some(trusted) = b.bool("trusted")? {
        port.trusted = Some(trusted);
    }
    show_trusted_in_profile(&mut port);
    if let Some(entries) = fixed {
        update_fixed_ips(tx, &mut port, &entries)?;
        if entries.is_empty() {
            port.ip_allocation = "none".into();
        }
    }
    crate::qos::bind_on_update(
        tx,
        caller,
        "port",
        &port.id,
        &port.project_id,
        &mut port.qos_policy_id,
        body,
    )?;
    port.dns_assignment = dns_assignment(&port, cfg);
    port.std.touch();
    save_port(tx, &port)?;
    Ok(port)
}

/// What a port's view computes from other rows: `trunk_details`, the QoS attributes.
fn complete_ports(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    trunk_ports::with_trunk_details(tx, items)?;
    port_qos::complete(tx, items)
}

/// `/v2.0/ports`.
pub struct Ports;

impl Collection for Ports {
    fn path(&self) -> &'static str {
        "ports"
    }
    fn singular(&self) -> &'static str {
        "port"
    }
    fn plural(&self) -> &'static str {
        "ports"
    }
    fn table(&self) -> Table {
        PORTS
    }
    fn not_found(&self, id: &str) -> Error {
        Error::port_not_found(id)
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("port")
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "tag-ports-during-bulk-creation",
                "Tag Ports During Bulk Creation",
                "Allow to tag ports during bulk creation",
            ),
            ext(
                "allowed-address-pairs",
                "Allowed Address Pairs",
                "Provides allowed address pairs",
            ),
            ext(
                "extra_dhcp_opt",
                "Neutron Extra DHCP options",
                "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)",
            ),
            ext(
                "binding",
                "Port Binding",
                "Expose port bindings of a virtual port to external application",
            ),
            ext(
                "binding-extended",
                "Port Bindings Extended",
                "Expose port bindings of a virtual port to external application",
            ),
            ext(
                "ip-substring-filtering",
                "IP address substring filtering",
                "Provides IP address substring filtering when listing ports",
            ),
            ext("ip_allocation", "IP Allocation", "IP allocation extension."),
            ext(
                "dns-integration",
                "DNS Integration",
                "Provides integration with DNS.",
            ),
            ext(
                "dns-integration-domain-keywords",
                "DNS domain names with keywords allowed",
                "Allows to use keywords like <project_id>, <project_name>, <user_id> and <user_name> as DNS domain name",
            ),
            ext(
                "dns-domain-ports",
                "dns_domain for ports",
                "Allows the DNS domain to be specified for a network port.",
            ),
            ext(
                "port-mac-address-regenerate",
                "Neutron Port MAC address regenerate",
                "Network port MAC address regenerate",
            ),
            ext(
                "port-numa-affinity-policy",
                "Port NUMA affinity policy",
                "Expose the port NUMA affinity policy",
            ),
            ext(
                "port-numa-affinity-policy-socket",
                "Port NUMA affinity policy \"socket\"",
                "Adds \"socket\" to the supported port NUMA affinity policies",
            ),
            ext(
                "port-device-profile",
                "Port device profile",
                "Expose the port device profile (Cyborg)",
            ),
            ext(
                "qos-port-network-policy",
                "QoS port network policy ID",
                "Adds a the QoS network ID to the port definition",
            ),
            ext(
                "port-resource-request",
                "Port Resource",
                "Expose resource request to Port",
            ),
            ext(
                "uplink-status-propagation",
                "Uplink status propagation extension",
                "Provides ability to propagate port uplink status.",
            ),
            ext(
                "uplink-status-propagation-updatable",
                "Uplink status propagation updatable extension",
                "Provides ability to update the port uplink status.",
            ),
            ext(
                "port-hardware-offload-type",
                "Port hardware offload",
                "Expose port hardware offload extension",
            ),
            ext(
                "port-trusted-vif",
                "Port trusted vif",
                "Expose port 'trusted' attribute in the API",
            ),
            ext(
                "port-resource-request-groups",
                "Port Resource Request Groups",
                "Support requesting multiple groups of resources per port",
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
            "admin_state_up",
            "mac_address",
            "fixed_ips",
            "device_id",
            "device_owner",
            "status",
            "port_security_enabled",
            "security_groups",
            "allowed_address_pairs",
            "extra_dhcp_opts",
            "dns_name",
            "dns_domain",
            "dns_assignment",
            "ip_allocation",
            "binding:host_id",
            "binding:vnic_type",
            "binding:profile",
            "binding:vif_type",
            "binding:vif_details",
            "numa_affinity_policy",
            "device_profile",
            "qos_policy_id",
            "qos_network_policy_id",
            "resource_request",
            "propagate_uplink_status",
            "hardware_offload_type",
            "trusted",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &[
            "fixed_ips",
            "security_groups",
            "allowed_address_pairs",
            "extra_dhcp_opts",
            "dns_assignment",
            "binding:profile",
            "binding:vif_details",
            "resource_request",
            "tags",
        ]
    }
    /// The ML2 extension drivers' attributes upstream does not mark `is_filter`.
    fn unqueryable(&self) -> &'static [&'static str] {
        &[
            "propagate_uplink_status",
            "hardware_offload_type",
            "trusted",
        ]
    }
    fn admin_only(&self) -> &'static [&'static str] {
        &[
            "binding:host_id",
            "binding:profile",
            "binding:vif_type",
            "binding:vif_details",
            "resource_request",
            "trusted",
        ]
    }
    /// Ports are visible to their project and to the project owning their network.
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin()
            || scope.reads_project(field(doc, "project_id"))
            || scope.reads_network(field(doc, "network_id"))
    }
    /// Its project's ports and the ports on networks it owns.
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        let mut rows = scope.own_rows();
        rows.extend(scope.owned_network_rows("network_id"));
        rows
    }
    /// The owner of the network may change ports others put on it (NET_OWNER_MEMBER).
    fn may_change(&self, scope: &Scope, caller: &Caller, doc: &Map<String, Value>) -> bool {
        caller.may_write(field(doc, "project_id"))
            || (caller.has_role("member") && scope.reads_network(field(doc, "network_id")))
    }

    /// `trunk_details` of trunk parents, the ports' QoS attributes.
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        complete_ports(tx, items)
    }
    fn completes_now(&self, tx: &Tx<'_>) -> Result<bool> {
        Ok(trunk_ports::any_parent(tx)? || port_qos::any_binding(tx)?)
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let port = create_one(tx, cx.cfg, cx.caller, body)?;
        // A new port is no trunk's parent yet: only its QoS attributes to compute.
        completed(tx, &port, port_qos::complete)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value> {
        let port = update_one(tx, cx.cfg, cx.caller, id, body, if_match)?;
        completed(tx, &port, complete_ports)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let port: Port = load_for_change(tx, cx.caller, self, id, "rule:delete_port")?;
        check_revision(if_match, port.std.revision_number)?;
        trunk_ports::check_port_deletable(tx, &port.id)?;
        crate::router::check_port_deletable(tx, &port)?;
        crate::floatingip::disassociate_port(tx, cx.caller, &port.id)?;
        remove_port(tx, &port)
    }
}
