//! Networks: create (with its segment), update, delete (with its subnets and service ports).

use std::collections::HashMap;

use serde_json::{Map, Value};

use neutrino_store::Tx;
use neutrino_store::tables::{self, NETWORKS, PORTS, SUBNETS};
use neutrino_store::{self as store, ColumnValue, Selection, Table, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Network, Port, ProviderSegment, Resource, Standard};
use crate::rbac;
use crate::read::{Scope, check_revision, completed, field, load_for_change};
use crate::segment;
use crate::segments::{self, ProviderRequest};
use crate::{Caller, Error, Failure, NetworkConfig, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("admin_state_up", true, true),
    attr("status", false, false),
    attr("subnets", false, false),
    attr("shared", true, true),
    attr("router:external", true, true),
    attr("mtu", true, true),
    attr("port_security_enabled", true, true),
    attr("dns_domain", true, true),
    attr("is_default", true, true),
    attr("availability_zone_hints", true, false),
    attr("provider:network_type", true, true),
    attr("provider:physical_network", true, true),
    attr("provider:segmentation_id", true, true),
    attr("segments", true, true),
    attr("vlan_transparent", true, false),
    attr("qinq", true, false),
    // `network_ha`: the flag upstream's L3 HA (agent) routers put on the network they create per
    // project. OVN routers need no such network (upstream's OVN L3 plugin ignores the flag too),
    // so it is checked, then neither kept nor shown (it is not visible upstream either).
    attr("ha", true, false),
    attr("tags", true, false),
    attr("qos_policy_id", true, true),
];

/// Attributes only an admin may set, with the policy rule named in the denial.
const ADMIN_ATTRS: &[&str] = &[
    "shared",
    "router:external",
    "is_default",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
    "segments",
];

/// Ports that go away with their network instead of keeping it in use.
pub(crate) fn is_network_service_port(device_owner: &str) -> bool {
    matches!(
        device_owner,
        "network:dhcp" | "network:distributed" | "network:floatingip_agent_gateway"
    )
}

fn check_admin_attrs(body: &Map<String, Value>, caller: &Caller, action: &str) -> Result<()> {
    if caller.is_admin() {
        return Ok(());
    }
    match ADMIN_ATTRS.iter().find(|a| body.contains_key(**a)) {
        Some(a) => Err(Error::policy(&format!(
            "(rule:{action}_network and rule:{action}_network:{a})"
        ))),
        None => Ok(()),
    }
}

/// `is_default` marks the external network auto-allocated topologies use: only an external
/// network keeps it (upstream stores it on the external-network record) and at most one has it.
fn check_default(tx: &store::Tx<'_>, net: &mut Network) -> Result<()> {
    net.is_default &= net.router_external;
    if !net.is_default {
        return Ok(());
    }
    let open = Selection::by("open", vec!["1".into()]);
    for doc in store::list_docs(tx, NETWORKS, &open)? {
        let other: Network = Network::from_doc("", &doc)?;
        if other.is_default && other.id != net.id {
            return Err(Error::conflict(
                "DefaultExternalNetworkExists",
                format!("A default external network already exists: {}.", other.id),
            ));
        }
    }
    Ok(())
}

fn provider_request(b: &Body) -> Result<ProviderRequest> {
    let seg = b.int("provider:segmentation_id")?;
    Ok(ProviderRequest {
        network_type: b
            .string("provider:network_type", 255)?
            .filter(|s| !s.is_empty()),
        physical_network: b
            .string("provider:physical_network", 64)?
            .filter(|s| !s.is_empty()),
        segmentation_id: seg,
    })
}

const PROVIDER_ATTRS: [&str; 3] = [
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
];

/// The segments a create or update names (`multi-provider`'s `segments`): a list of objects
/// of the three `provider:*` attributes each, as neutron-lib's `convert_and_validate_segments`
/// reads them (a falsy segmentation id is none).
fn requested_segments(b: &Body) -> Result<Option<Vec<ProviderRequest>>> {
    let Some(list) = b.object_list("segments")? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for seg in list {
        let mut unknown: Vec<&str> = seg
            .keys()
            .map(String::as_str)
            .filter(|k| !PROVIDER_ATTRS.contains(k))
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(Error::bad_request(format!(
                "Unrecognized attribute(s) '{}'",
                unknown.join(", ")
            )));
        }
        let mut req = provider_request(&Body(seg))?;
        req.segmentation_id = req.segmentation_id.filter(|id| *id != 0);
        if req.network_type.is_none() {
            return Err(Error::invalid_input("network_type required"));
        }
        out.push(req);
    }
    Ok(Some(out))
}

/// The segments of a new network: those `segments` names (none twice), its provider
/// attributes' one, or one allocated from the tenant ranges.
fn choose_segments(
    tx: &store::Tx<'_>,
    cfg: &NetworkConfig,
    b: &Body,
    project: &str,
) -> Result<Vec<store::SegmentRow>> {
    let project = Some(project);
    let provider = provider_request(b)?;
    let given = PROVIDER_ATTRS
        .iter()
        .any(|k| b.get(k).is_some_and(|v| !v.is_null()));
    let Some(requested) = requested_segments(b)? else {
        return Ok(vec![segments::choose(tx, cfg, &provider, project)?]);
    };
    if given {
        return Err(Error::new(
            Failure::Invalid,
            "SegmentsSetInConjunctionWithProviders",
            "Segments and provider values cannot both be set.",
        ));
    }
    let full: Vec<_> = requested
        .iter()
        .filter(|r| !segments::is_partial(r))
        .map(|r| (&r.network_type, &r.physical_network, r.segmentation_id))
        .collect();
    if (1..full.len()).any(|i| full[..i].contains(&full[i])) {
        return Err(Error::new(
            Failure::Invalid,
            "SegmentsContainDuplicateEntry",
            "Duplicate segment entry in request.",
        ));
    }
    if requested.is_empty() {
        return Ok(vec![segments::choose(tx, cfg, &provider, project)?]);
    }
    requested
        .iter()
        .map(|r| segments::choose(tx, cfg, r, project))
        .collect()
}

/// `vlan_transparent` and `qinq` of a new network on its segment(s): at most one of them, and
/// only on a network type the OVN driver passes such traffic on (upstream's
/// `check_vlan_transparency` and `check_vlan_qinq`; a network of several segments has no type).
fn vlan_modes(b: &Body, segs: &[store::SegmentRow]) -> Result<(bool, bool)> {
    let transparent = b.bool("vlan_transparent")?.unwrap_or(false);
    let qinq = b.bool("qinq")?.unwrap_or(false);
    if transparent && qinq {
        return Err(Error::new(
            Failure::Invalid,
            "BadRequest",
            "Bad network request: Attributes 'vlan_transparent' and 'qinq' can not be set to True for the same network..",
        ));
    }
    let network_type = match segs {
        [one] => one.network_type.as_str(),
        _ => "",
    };
    if transparent && !["local", "geneve", "vxlan", "vlan"].contains(&network_type) {
        return Err(Error::new(
            Failure::Invalid,
            "VlanTransparencyDriverError",
            "Backend does not support VLAN Transparency.",
        ));
    }
    if qinq && network_type != "vlan" {
        return Err(Error::new(
            Failure::Invalid,
            "VlanQinqDriverError",
            "Backend does not support VLAN QinQ.",
        ));
    }
    Ok((transparent, qinq))
}

/// A DNS domain: a fully qualified name ending with a dot, or empty.
/// Whole labels a DNS domain may hold in place of a name (`dns-integration-domain-keywords`):
/// an external DNS service puts the caller's project or user there when it publishes a record.
const DNS_LABEL_KEYWORDS: &[&str] = &["<project_id>", "<project_name>", "<user_id>", "<user_name>"];

pub(crate) fn dns_domain(b: &Body, name: &str) -> Result<Option<String>> {
    let Some(d) = b.string(name, 255)? else {
        return Ok(None);
    };
    if d.is_empty() {
        return Ok(Some(d));
    }
    let labels_ok = d.trim_end_matches('.').split('.').all(|l| {
        DNS_LABEL_KEYWORDS.contains(&l)
            || (!l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    });
    if !labels_ok {
        return Err(Error::invalid_attr(
            name,
            format!("'{d}' is not a valid domain name"),
        ));
    }
    Ok(Some(d))
}

pub(crate) fn tags_on_create(b: &Body) -> Result<Vec<String>> {
    let tags = b.string_list("tags")?.unwrap_or_default();
    crate::tags::validate(&tags)?;
    Ok(tags)
}

fn build(
    tx: &store::Tx<'_>,
    cfg: &NetworkConfig,
    caller: &Caller,
    body: &Map<String, Value>,
) -> Result<(Network, Vec<store::SegmentRow>)> {
    check_attributes(body, ATTRS, Op::Create)?;
    check_admin_attrs(body, caller, "create")?;
    if !caller.has_role("member") && !caller.is_admin() {
        return Err(Error::policy("rule:create_network"));
    }
    let project_id = attrs::owner(body, caller)?;
    let b = Body(body);
    b.bool("ha")?;
    let id = uuid::Uuid::new_v4().to_string();
    let segs = choose_segments(tx, cfg, &b, &project_id)?;
    let max_mtu = segs
        .iter()
        .map(|s| segments::mtu_for(cfg, &s.network_type, &s.physical_network))
        .min()
        .unwrap_or(cfg.global_physnet_mtu);
    let mtu = match b.uint("mtu")? {
        None | Some(0) => max_mtu,
        Some(m) if m > max_mtu => {
            return Err(Error::invalid_input(format!(
                "Requested MTU is too big, maximum is {max_mtu}"
            )));
        }
        Some(m) => m,
    };
    let hints = b
        .string_list("availability_zone_hints")?
        .unwrap_or_default();
    crate::availability::check_hints(tx, &hints)?;
    if hints.iter().map(String::len).sum::<usize>() + hints.len() > 255 {
        return Err(Error::invalid_attr(
            "availability_zone_hints",
            "Too many availability_zone_hints specified",
        ));
    }
    let (vlan_transparent, qinq) = vlan_modes(&b, &segs)?;
    let qos_policy_id = crate::qos::bind_on_create(tx, caller, "network", &id, &project_id, body)?;
    let net = Network {
        name: b.name("name")?.unwrap_or_default(),
        tenant_id: project_id.clone(),
        project_id,
        admin_state_up: b.bool("admin_state_up")?.unwrap_or(true),
        status: "ACTIVE".into(),
        shared: b.bool("shared")?.unwrap_or(false),
        router_external: b.bool("router:external")?.unwrap_or(false),
        mtu,
        port_security_enabled: b.bool("port_security_enabled")?.unwrap_or(true),
        dns_domain: dns_domain(&b, "dns_domain")?.unwrap_or_default(),
        // The zones it may be served from: its hints, else the default zone.
        availability_zones: if hints.is_empty() {
            vec![crate::availability::ZONE.to_string()]
        } else {
            hints.clone()
        },
        availability_zone_hints: hints,
        ipv4_address_scope: None,
        ipv6_address_scope: None,
        is_default: b.bool("is_default")?.unwrap_or(false),
        l2_adjacency: true,
        network_type: None,
        physical_network: None,
        segmentation_id: None,
        segments: None,
        vlan_transparent,
        qinq,
        qos_policy_id,
        std: Standard::new(
            b.string("description", 255)?.unwrap_or_default(),
            tags_on_create(&b)?,
        ),
        id,
    };
    Ok((net, segs))
}

/// `/v2.0/networks`.
pub struct Networks;

impl Collection for Networks {
    fn path(&self) -> &'static str {
        "networks"
    }
    fn singular(&self) -> &'static str {
        "network"
    }
    fn plural(&self) -> &'static str {
        "networks"
    }
    fn table(&self) -> Table {
        NETWORKS
    }
    fn not_found(&self, id: &str) -> Error {
        Error::network_not_found(id)
    }
    fn quota_resource(&self) -> Option<&'static str> {
        Some("network")
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "external-net",
                "Neutron external network",
                "Adds external network attribute to network resource.",
            ),
            ext(
                "provider",
                "Provider Network",
                "Expose mapping of virtual networks to physical networks",
            ),
            ext(
                "net-mtu",
                "Network MTU",
                "Provides MTU attribute for a network resource.",
            ),
            ext(
                "net-mtu-writable",
                "Network MTU (writable)",
                "Provides a writable MTU attribute for a network resource.",
            ),
            ext("port-security", "Port Security", "Provides port security"),
            ext(
                "vlan-transparent",
                "Vlantransparent",
                "Provides Vlan Transparent Networks",
            ),
            ext(
                "network_ha",
                "Network HA creation flag",
                "Network high availability creation flag.",
            ),
            ext(
                "qinq",
                "QinQ networks",
                "Expose network 'qinq' attribute in the API. This allows to configure network to allow vlan in vlan configuration using 0x88a8 ethertype (QinQ).",
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
            "admin_state_up",
            "status",
            "subnets",
            "shared",
            "router:external",
            "mtu",
            "port_security_enabled",
            "dns_domain",
            "qos_policy_id",
            "availability_zone_hints",
            "availability_zones",
            "ipv4_address_scope",
            "ipv6_address_scope",
            "is_default",
            "l2_adjacency",
            "provider:network_type",
            "provider:physical_network",
            "provider:segmentation_id",
            "segments",
            "vlan_transparent",
            "qinq",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &[
            "subnets",
            "availability_zone_hints",
            "availability_zones",
            "segments",
            "tags",
        ]
    }
    fn admin_only(&self) -> &'static [&'static str] {
        &[
            "provider:network_type",
            "provider:physical_network",
            "provider:segmentation_id",
            "segments",
        ]
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin()
            || scope.reads_project(field(doc, "project_id"))
            || scope.network_is_open(field(doc, "id"))
    }
    /// Its project's networks, and those a policy shares with it (as shared or external).
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        let mut rows = scope.own_rows();
        rows.push(scope.open_network_rows("id"));
        rows
    }
    /// `shared` is true for a caller the network is shared with, by name or as everyone.
    /// `shared` is shown relative to the caller (RBAC grants to its project), even to admins.
    fn stored_is_view(&self) -> bool {
        false
    }

    fn relative_view(&self, scope: &Scope, doc: &mut Map<String, Value>) {
        if scope.shared_with("network", field(doc, "id"), rbac::SHARED) {
            doc.insert("shared".into(), Value::Bool(true));
        }
    }
    /// `subnets`, from the subnets table.
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        with_subnets(tx, items)
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let (mut net, segs) = build(tx, cx.cfg, cx.caller, body)?;
        check_default(tx, &mut net)?;
        segment::show_on_network(&mut net, segs.iter().map(ProviderSegment::from).collect());
        store::insert_row(tx, NETWORKS, &net.id, &columns(&net), &net.to_doc())?;
        for seg in &segs {
            segment::add(tx, &net.id, seg, None, None)?;
        }
        // As upstream, a project's first network brings its default security group.
        crate::security_group::ensure_default(tx, cx.caller, &net.project_id)?;
        rbac::sync_network_policies(tx, &net)?;
        completed(tx, &net, with_subnets)
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
        let mut net: Network = load_for_change(tx, caller, self, id, "rule:update_network")?;
        check_admin_attrs(body, caller, "update")?;
        check_revision(if_match, net.std.revision_number)?;
        let b = Body(body);
        if let Some(requested) = requested_segments(&b)? {
            let now: Vec<_> = net.segments.clone().unwrap_or_else(|| {
                vec![ProviderSegment {
                    network_type: net.network_type.clone(),
                    physical_network: net.physical_network.clone(),
                    segmentation_id: net.segmentation_id,
                }]
            });
            let asked: Vec<_> = requested
                .into_iter()
                .map(|r| ProviderSegment {
                    network_type: r.network_type,
                    physical_network: r.physical_network,
                    segmentation_id: r.segmentation_id,
                })
                .collect();
            if asked != now {
                return Err(Error::invalid_input(
                    "Plugin does not support updating provider attributes",
                ));
            }
        }
        if PROVIDER_ATTRS.iter().any(|k| b.has(k)) {
            let req = provider_request(&b)?;
            let unchanged = req
                .network_type
                .as_ref()
                .is_none_or(|t| Some(t) == net.network_type.as_ref())
                && req
                    .physical_network
                    .as_ref()
                    .is_none_or(|p| Some(p) == net.physical_network.as_ref())
                && req
                    .segmentation_id
                    .is_none_or(|s| Some(s) == net.segmentation_id);
            if !unchanged {
                return Err(Error::invalid_input(
                    "Plugin does not support updating provider attributes",
                ));
            }
        }
        if let Some(name) = b.name("name")? {
            net.name = name;
        }
        if let Some(d) = b.string("description", 255)? {
            net.std.description = d;
        }
        if let Some(up) = b.bool("admin_state_up")? {
            net.admin_state_up = up;
        }
        if let Some(p) = b.bool("port_security_enabled")? {
            net.port_security_enabled = p;
        }
        if let Some(d) = dns_domain(&b, "dns_domain")? {
            net.dns_domain = d;
        }
        if let Some(mtu) = b.uint("mtu")? {
            set_mtu(tx, cfg, &mut net, mtu)?;
        }
        if let Some(shared) = b.bool("shared")? {
            if net.shared && !shared {
                check_unshare(tx, &net)?;
            }
            net.shared = shared;
        }
        if let Some(ext) = b.bool("router:external")? {
            if net.router_external && !ext {
                crate::router::check_external_unset(tx, &net.id)?;
            }
            net.router_external = ext;
        }
        if let Some(default) = b.bool("is_default")? {
            net.is_default = default;
        }
        check_default(tx, &mut net)?;
        crate::qos::bind_on_update(
            tx,
            caller,
            "network",
            &net.id,
            &net.project_id,
            &mut net.qos_policy_id,
            body,
        )?;
        rbac::sync_network_policies(tx, &net)?;
        net.std.touch();
        save(tx, &net)?;
        completed(tx, &net, with_subnets)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let caller = cx.caller;

        let net: Network = load_for_change(tx, caller, self, id, "rule:delete_network")?;
        check_revision(if_match, net.std.revision_number)?;
        crate::floatingip::delete_disassociated(tx, id)?;
        let mut in_use = Vec::new();
        let mut service = Vec::new();
        for doc in store::list_docs(
            tx,
            PORTS,
            &Selection::by("network_id", vec![id.to_string()]),
        )? {
            let port: Port = Port::from_doc(id, &doc)?;
            if is_network_service_port(&port.device_owner) {
                service.push(port.id);
            } else {
                in_use.push(port.id);
            }
        }
        if !in_use.is_empty() {
            return Err(Error::in_use(
                "NetworkInUse",
                format!(
                    "Unable to complete operation on network {id}. There are one or more ports still in use on the network, id for these ports is: {}.",
                    in_use.join(",")
                ),
            ));
        }
        for port in service {
            crate::qos::unbind(tx, &port)?;
            crate::log::delete_of_port(tx, &port)?;
            store::delete_row(tx, PORTS, &port)?;
        }
        for (_, subnet) in
            store::child_ids(tx, SUBNETS, "network_id", std::slice::from_ref(&net.id))?
        {
            store::delete_row(tx, SUBNETS, &subnet)?;
            // Its block returns to its subnet pool, if it came from one.
            store::delete_row(tx, tables::SUBNETPOOL_SUBNETS, &subnet)?;
        }
        segment::delete_of_network(tx, id)?;
        store::delete_policies_on(tx, id)?;
        crate::qos::unbind(tx, id)?;
        store::delete_row(tx, NETWORKS, id)?;
        Ok(())
    }
}

/// The indexed columns of a network row.
fn columns(net: &Network) -> [(&'static str, ColumnValue); 2] {
    [
        ("project_id", ColumnValue::Text(net.project_id.clone())),
        (
            "open",
            ColumnValue::Int(i64::from(net.shared || net.router_external)),
        ),
    ]
}

fn set_mtu(tx: &store::Tx<'_>, cfg: &NetworkConfig, net: &mut Network, mtu: u64) -> Result<()> {
    let max = segments::mtu_for(
        cfg,
        net.network_type.as_deref().unwrap_or_default(),
        net.physical_network.as_deref().unwrap_or_default(),
    );
    let mtu = if mtu == 0 { max } else { mtu };
    if mtu > max {
        return Err(Error::invalid_input(format!(
            "Requested MTU is too big, maximum is {max}"
        )));
    }
    for s in crate::port_addresses::subnets_of(tx, &net.id)? {
        if (s.ip_version == 4 && mtu < 68) || (s.ip_version == 6 && mtu < 1280) {
            return Err(Error::conflict(
                "NetworkMTUSubnetConflict",
                format!("MTU of {} is not compatible with subnet {}.", net.id, s.id),
            ));
        }
    }
    net.mtu = mtu;
    Ok(())
}

/// Unsharing is refused while other projects have subnets or ports (not owned by the network
/// service) on the network.
fn check_unshare(tx: &store::Tx<'_>, net: &Network) -> Result<()> {
    let on_net = Selection::by("network_id", vec![net.id.clone()]);
    let foreign_subnet = store::list_docs(tx, SUBNETS, &on_net)?
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .any(|s| s["project_id"] != net.project_id.as_str());
    let foreign_port = store::list_docs(tx, PORTS, &on_net)?
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .any(|p| {
            p["project_id"] != net.project_id.as_str()
                && !p["device_owner"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("network:")
        });
    if foreign_subnet || foreign_port {
        return Err(Error::conflict(
            "InvalidSharedSetting",
            format!(
                "Unable to reconfigure sharing settings for network {}. Multiple tenants are using it.",
                net.id
            ),
        ));
    }
    Ok(())
}

/// Saves a changed network. Its subnets show its `shared` and `router:external` when they are
/// read: nothing to rewrite on them, and no new revision for them (as upstream, where a
/// network's change does not touch its subnets' rows).
pub(crate) fn save(tx: &store::Tx<'_>, net: &Network) -> Result<()> {
    store::update_row(tx, NETWORKS, &net.id, &columns(net), &net.to_doc())?;
    Ok(())
}

/// A network's `subnets`: the ids of its subnets, oldest first, from the subnets table (by its
/// `network_id` index) for every network of `items` in one query.
pub(crate) fn with_subnets(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    let ids: Vec<String> = items.iter().map(|n| field(n, "id").to_string()).collect();
    let mut by_network: HashMap<String, Vec<Value>> = HashMap::new();
    for (network, subnet) in store::child_ids(tx, SUBNETS, "network_id", &ids)? {
        by_network.entry(network).or_default().push(subnet.into());
    }
    for net in items {
        let subnets = by_network.remove(field(net, "id")).unwrap_or_default();
        net.insert("subnets".into(), Value::Array(subnets));
    }
    Ok(())
}
