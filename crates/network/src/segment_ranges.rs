//! Network segment ranges (`/v2.0/network_segment_ranges`, extension `network-segment-range`):
//! the ranges of segmentation ids tenant networks take theirs from. The config's ranges are the
//! `default` ones (shared, read-only, kept equal to the config); an admin adds shared ranges and
//! ranges of one project, which that project's networks use first (see
//! [`crate::segments`]). Rules, errors and policy as upstream's plugin.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::NETWORK_SEGMENT_RANGES;
use neutrino_store::{self as store, ColumnValue, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Resource, Standard};
use crate::read::{Scope, check_revision, completed, load};
use crate::{Error, Failure, NetworkConfig, Result};

const TYPES: [&str; 4] = ["vlan", "vxlan", "gre", "geneve"];

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("default", false, false),
    attr("shared", true, false),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    attr("network_type", true, false),
    attr("physical_network", true, false),
    bound("minimum"),
    bound("maximum"),
    attr("used", false, false),
    attr("available", false, false),
    attr("description", true, true),
];

/// `minimum` and `maximum`: required on create, and writable.
const fn bound(name: &'static str) -> Attr {
    Attr {
        name,
        post: true,
        put: true,
        required: true,
    }
}

/// A range as stored; `used` and `available` are computed when read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SegmentRange {
    pub id: String,
    pub name: Option<String>,
    pub default: bool,
    pub shared: bool,
    pub project_id: Option<String>,
    pub network_type: String,
    pub physical_network: String,
    pub minimum: i64,
    pub maximum: i64,
    #[serde(flatten)]
    pub std: Standard,
}

crate::model::resource!(SegmentRange, NETWORK_SEGMENT_RANGES);

fn not_found(id: &str) -> Error {
    Error::not_found(
        "NetworkSegmentRangeNotFound",
        format!("Network Segment Range {id} could not be found."),
    )
}

fn columns(r: &SegmentRange) -> [(&'static str, ColumnValue); 6] {
    [
        (
            "project_id",
            r.project_id.clone().unwrap_or_default().into(),
        ),
        ("range_type", r.network_type.as_str().into()),
        ("range_physnet", r.physical_network.as_str().into()),
        ("range_min", r.minimum.into()),
        ("range_max", r.maximum.into()),
        ("is_default", ColumnValue::bool(r.default)),
    ]
}

/// Keeps the `default` ranges equal to the config's: those it no longer names go, new ones
/// come (upstream renews them at each start).
pub(crate) fn sync_defaults(tx: &Tx<'_>, cfg: &NetworkConfig) -> Result<()> {
    let mut wanted = Vec::new();
    for network_type in ["geneve", "vxlan", "vlan"] {
        for (physnet, ids) in crate::segments::default_ranges(cfg, network_type)? {
            wanted.push((
                network_type.to_string(),
                physnet,
                i64::from(*ids.start()),
                i64::from(*ids.end()),
            ));
        }
    }
    for (network_type, row) in store::segment_ranges(tx, None)? {
        if !row.default {
            continue;
        }
        let key = (network_type, row.physical_network, row.minimum, row.maximum);
        match wanted.iter().position(|w| *w == key) {
            Some(i) => {
                wanted.remove(i);
            }
            None => store::delete_row(tx, NETWORK_SEGMENT_RANGES, &row.id)?,
        }
    }
    for (network_type, physical_network, minimum, maximum) in wanted {
        let range = SegmentRange {
            id: uuid::Uuid::new_v4().to_string(),
            name: None,
            default: true,
            shared: true,
            project_id: None,
            network_type,
            physical_network,
            minimum,
            maximum,
            std: Standard::new(String::new(), Vec::new()),
        };
        insert(tx, &range)?;
    }
    Ok(())
}

fn insert(tx: &Tx<'_>, r: &SegmentRange) -> Result<()> {
    store::insert_row(tx, NETWORK_SEGMENT_RANGES, &r.id, &columns(r), &r.to_doc())?;
    Ok(())
}

/// An id of the range's type as upstream's `verify_vlan_range`/`verify_tunnel_range` check it.
fn check_bounds(r: &SegmentRange) -> Result<()> {
    let shown = format!("{}:{}", r.minimum, r.maximum);
    let vlan = r.network_type == "vlan";
    let max = match r.network_type.as_str() {
        "vlan" => 4094,
        "gre" => i64::from(u32::MAX),
        _ => (1 << 24) - 1,
    };
    let problem = [r.minimum, r.maximum]
        .into_iter()
        .find(|id| !(1..=max).contains(id))
        .map(|id| match vlan {
            true => format!("{id} is not a valid VLAN tag"),
            false => format!("{id} is not a valid {} identifier", r.network_type),
        })
        .or_else(|| {
            (r.maximum < r.minimum).then(|| match vlan {
                true => "End of VLAN range is less than start of VLAN range".to_string(),
                false => "End of tunnel range is less than start of tunnel range".to_string(),
            })
        });
    // Upstream lets these exceptions through as 500s; a bad range is the request's fault.
    match (problem, vlan) {
        (None, _) => Ok(()),
        (Some(p), true) => Err(Error::new(
            Failure::Invalid,
            "NetworkVlanRangeError",
            format!("Invalid network VLAN range: '{shown}' - '{p}'."),
        )),
        (Some(p), false) => Err(Error::new(
            Failure::Invalid,
            "NetworkTunnelRangeError",
            format!("Invalid network tunnel range: '{shown}' - {p}."),
        )),
    }
}

/// No other non-default range of the same type and physical network shares an id.
fn check_overlap(tx: &Tx<'_>, r: &SegmentRange) -> Result<()> {
    let overlapping: Vec<String> = store::segment_ranges(tx, Some(&r.network_type))?
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| !o.default && o.id != r.id && o.physical_network == r.physical_network)
        .filter(|o| r.minimum <= o.maximum && r.maximum >= o.minimum)
        .map(|o| o.id)
        .collect();
    if overlapping.is_empty() {
        return Ok(());
    }
    Err(Error::conflict(
        "NetworkSegmentRangeOverlaps",
        format!(
            "Network segment range overlaps with range(s) with id {}",
            overlapping.join(", ")
        ),
    ))
}

fn read_only(id: &str) -> Error {
    Error::new(
        Failure::Invalid,
        "NetworkSegmentRangeDefaultReadOnly",
        format!(
            "Network Segment Range {id} is a default segment range which could not be updated or deleted."
        ),
    )
}

fn referenced(id: &str) -> Error {
    Error::in_use(
        "NetworkSegmentRangeReferencedByProject",
        format!("Network Segment Range {id} is referenced by one or more project networks."),
    )
}

/// The segments in a range: `(id, project of its network)`.
fn used(tx: &Tx<'_>, r: &SegmentRange) -> Result<Vec<(i64, String)>> {
    Ok(store::segments_in_range(
        tx,
        &r.network_type,
        &r.physical_network,
        r.minimum,
        r.maximum,
    )?)
}

/// `used` (segmentation id → project) and `available` (the free ids) of each range.
fn with_allocations(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    for item in items.iter_mut() {
        let r: SegmentRange =
            serde_json::from_value(Value::Object(item.clone())).map_err(|_| Error::internal())?;
        let taken = used(tx, &r)?;
        let mut ids = taken.iter().map(|(id, _)| *id).peekable();
        let mut available = Vec::new();
        for id in r.minimum..=r.maximum {
            while ids.next_if(|u| *u < id).is_some() {}
            if ids.peek() != Some(&id) {
                available.push(Value::from(id));
            }
        }
        let used: BTreeMap<String, Value> = taken
            .into_iter()
            .map(|(id, project)| (id.to_string(), Value::String(project)))
            .collect();
        item.insert("used".into(), Value::Object(used.into_iter().collect()));
        item.insert("available".into(), Value::Array(available));
    }
    Ok(())
}

/// `/v2.0/network_segment_ranges`.
pub struct SegmentRanges;

impl SegmentRanges {
    fn load(tx: &Tx<'_>, cx: &Ctx<'_>, id: &str) -> Result<SegmentRange> {
        sync_defaults(tx, cx.cfg)?;
        let r: SegmentRange = load(tx, id)?.ok_or_else(|| not_found(id))?;
        if !cx.caller.is_admin() {
            return Err(not_found(id));
        }
        Ok(r)
    }
}

impl Collection for SegmentRanges {
    fn path(&self) -> &'static str {
        "network_segment_ranges"
    }
    fn singular(&self) -> &'static str {
        "network_segment_range"
    }
    fn plural(&self) -> &'static str {
        "network_segment_ranges"
    }
    fn table(&self) -> Table {
        NETWORK_SEGMENT_RANGES
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[ext(
            "network-segment-range",
            "Neutron Network Segment Range",
            "Provides support for the network segment range management",
        )];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "default",
            "shared",
            "project_id",
            "network_type",
            "physical_network",
            "minimum",
            "maximum",
            "used",
            "available",
            "description",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["used", "available", "tags"]
    }
    /// Ranges are the admin's (upstream's policy: `admin_only` for every action).
    fn sees(&self, scope: &Scope, _doc: &Map<String, Value>) -> bool {
        scope.admin()
    }
    fn visible_rows(&self, _scope: &Scope) -> Vec<Visible> {
        Vec::new()
    }
    fn may_change(&self, scope: &Scope, _caller: &crate::Caller, _: &Map<String, Value>) -> bool {
        scope.admin()
    }
    fn stored_is_view(&self) -> bool {
        false
    }
    fn needs_segment_range_defaults(&self) -> bool {
        true
    }
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        with_allocations(tx, items)
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Create)?;
        if !cx.caller.is_admin() {
            return Err(Error::policy("rule:create_network_segment_range"));
        }
        sync_defaults(tx, cx.cfg)?;
        let b = Body(body);
        let name = b.name("name")?.unwrap_or_default();
        let shared = b.bool("shared")?.unwrap_or(true);
        let project = attrs::owner(body, cx.caller)?;
        let network_type = match b.get("network_type") {
            None => None,
            Some(Value::String(t)) if TYPES.contains(&t.as_str()) => Some(t.clone()),
            Some(v) => {
                return Err(Error::invalid_attr(
                    "network_type",
                    format!(
                        "{} is not in ['vlan', 'vxlan', 'gre', 'geneve']",
                        attrs::show(v)
                    ),
                ));
            }
        };
        let physical_network = b.string("physical_network", 64)?;
        let minimum = bounded(&b, "minimum")?;
        let maximum = bounded(&b, "maximum")?;
        let description = b.string("description", 255)?.unwrap_or_default();
        // The OVN back end's type drivers: no GRE.
        let network_type = network_type.filter(|t| t != "gre").ok_or_else(|| {
            let shown = b.get("network_type").map_or("None".into(), attrs::show);
            Error::new(
                Failure::Invalid,
                "NetworkSegmentRangeNetTypeNotSupported",
                format!("Network type {shown} does not support network segment ranges."),
            )
        })?;
        let mut range = SegmentRange {
            id: uuid::Uuid::new_v4().to_string(),
            name: Some(name),
            default: false,
            shared,
            project_id: (!shared).then_some(project),
            network_type,
            physical_network: String::new(),
            minimum,
            maximum,
            std: Standard::new(description, Vec::new()),
        };
        check_bounds(&range)?;
        range.physical_network = physnet_of(&range.network_type, physical_network)?;
        check_overlap(tx, &range)?;
        insert(tx, &range)?;
        completed(tx, &range, with_allocations)
    }

    fn update(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        body: &Map<String, Value>,
        if_match: Option<u64>,
    ) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Update)?;
        let mut range = Self::load(tx, cx, id)?;
        check_revision(if_match, range.std.revision_number)?;
        if range.default {
            return Err(read_only(id));
        }
        let b = Body(body);
        let minimum = b
            .has("minimum")
            .then(|| bounded(&b, "minimum"))
            .transpose()?;
        let maximum = b
            .has("maximum")
            .then(|| bounded(&b, "maximum"))
            .transpose()?;
        // Upstream's `_are_allocated_segments_in_range_impacted`, as it stands.
        let taken = used(tx, &range)?;
        if let (Some((low, _)), Some((high, _))) = (taken.first(), taken.last()) {
            let new_min = minimum.unwrap_or(range.minimum);
            let new_max = maximum.unwrap_or(range.maximum);
            if new_min >= *low || new_max <= *high {
                return Err(referenced(id));
            }
        }
        if let Some(name) = b.name("name")? {
            range.name = Some(name);
        }
        if let Some(d) = b.string("description", 255)? {
            range.std.description = d;
        }
        range.minimum = minimum.unwrap_or(range.minimum);
        range.maximum = maximum.unwrap_or(range.maximum);
        check_bounds(&range)?;
        check_overlap(tx, &range)?;
        range.std.touch();
        store::update_row(
            tx,
            NETWORK_SEGMENT_RANGES,
            &range.id,
            &columns(&range),
            &range.to_doc(),
        )?;
        completed(tx, &range, with_allocations)
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let range = Self::load(tx, cx, id)?;
        check_revision(if_match, range.std.revision_number)?;
        if range.default {
            return Err(read_only(id));
        }
        if !used(tx, &range)?.is_empty() {
            return Err(referenced(id));
        }
        store::delete_row(tx, NETWORK_SEGMENT_RANGES, id)?;
        Ok(())
    }
}

/// `minimum`/`maximum`: an integer from 1 to 2^32-1 (`type:range`).
fn bounded(b: &Body, name: &str) -> Result<i64> {
    let v = b
        .int(name)?
        .ok_or_else(|| Error::invalid_attr(name, "'None' is not an integer"))?;
    let max = i64::from(u32::MAX);
    if v < 1 {
        return Err(Error::invalid_attr(
            name,
            format!("'{v}' is too small - must be at least '1'"),
        ));
    }
    if v > max {
        return Err(Error::invalid_attr(
            name,
            format!("'{v}' is too large - must be no larger than '{max}'"),
        ));
    }
    Ok(v)
}

/// A VLAN range's physical network (required); tunnel ranges have none ('').
fn physnet_of(network_type: &str, given: Option<String>) -> Result<String> {
    if network_type != "vlan" {
        return Ok(String::new());
    }
    given.filter(|p| !p.is_empty()).ok_or_else(|| {
        Error::new(
            Failure::Invalid,
            "BadRequest",
            "Bad network_segment_range request: Network type vlan requires 'physical_network' to be specified while creating new range.",
        )
    })
}
