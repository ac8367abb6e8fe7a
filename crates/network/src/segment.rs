//! Segments (`/v2.0/segments`, extensions `segment` and `standard-attr-segment`): the
//! physical realisations of a network. Every network has the segments it was created with (one
//! allocated, or the provider ones it named); an admin adds and deletes more here, which makes a
//! routed provider network. Rules as upstream's segments plugin with ML2: admin only, the type
//! rules of the network types, no delete while a subnet is on the segment.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::{SEGMENTS, SUBNETS};
use neutrino_store::{self as store, SegmentRow, Selection, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Network, ProviderSegment};
use crate::read::{Scope, check_revision, load};
use crate::segments::{self, ProviderRequest};
use crate::{Error, Failure, NetworkConfig, Result};

const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("tenant_id", true, false),
    attr("project_id", true, false),
    required("network_id"),
    attr("physical_network", true, false),
    required("network_type"),
    attr("segmentation_id", true, false),
    attr("name", true, true),
    attr("description", true, true),
];

/// A segment as the API shows it. Its standard attributes have no tags (upstream tags no
/// segments); `name` and `description` are null unless given.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Segment {
    pub id: String,
    pub network_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub network_type: String,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    pub revision_number: u64,
}

impl From<&SegmentRow> for ProviderSegment {
    fn from(seg: &SegmentRow) -> ProviderSegment {
        ProviderSegment {
            network_type: Some(seg.network_type.clone()),
            physical_network: (!seg.physical_network.is_empty())
                .then(|| seg.physical_network.clone()),
            segmentation_id: (seg.segmentation_id != 0).then_some(seg.segmentation_id),
        }
    }
}

impl Segment {
    fn row(&self) -> SegmentRow {
        SegmentRow {
            network_type: self.network_type.clone(),
            physical_network: self.physical_network.clone().unwrap_or_default(),
            segmentation_id: self.segmentation_id.unwrap_or(0),
        }
    }

    fn to_doc(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|_| Error::internal())
    }

    fn from_doc(id: &str, doc: &str) -> Result<Segment> {
        serde_json::from_str(doc).map_err(|e| {
            tracing::error!(table = SEGMENTS.name(), id, error = %e, "corrupt stored document");
            Error::internal()
        })
    }

    /// As a network's `segments` (multi-provider) shows it.
    pub(crate) fn provider(&self) -> ProviderSegment {
        ProviderSegment::from(&self.row())
    }
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        "SegmentNotFound",
        format!("Segment {id} could not be found."),
    )
}

/// Records an allocated or requested segment of a network as a segment resource: the next in
/// the network's order. Another network holding it is a conflict.
pub(crate) fn add(
    tx: &Tx<'_>,
    network_id: &str,
    seg: &SegmentRow,
    name: Option<String>,
    description: Option<String>,
) -> Result<Segment> {
    let now = crate::time::now();
    let shown = ProviderSegment::from(seg);
    let segment = Segment {
        id: uuid::Uuid::new_v4().to_string(),
        network_id: network_id.to_string(),
        name,
        description,
        network_type: seg.network_type.clone(),
        physical_network: shown.physical_network,
        segmentation_id: shown.segmentation_id,
        created_at: now.clone(),
        updated_at: now,
        revision_number: 1,
    };
    let index = store::next_segment_index(tx, network_id)?;
    let columns = seg.columns(network_id, index);
    match store::insert_row(tx, SEGMENTS, &segment.id, &columns, &segment.to_doc()?) {
        Err(store::StoreError::Conflict(_)) => Err(segments::taken(seg)),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(segment),
    }
}

/// The segments of each of these networks, in their order.
pub(crate) fn of_networks(tx: &Tx<'_>, ids: &[String]) -> Result<HashMap<String, Vec<Segment>>> {
    let mut out: HashMap<String, Vec<Segment>> = HashMap::new();
    for (network, doc) in store::segments_of(tx, ids)? {
        let seg = Segment::from_doc(&network, &doc)?;
        out.entry(network).or_default().push(seg);
    }
    Ok(out)
}

/// Deletes every segment of a network that is going away.
pub(crate) fn delete_of_network(tx: &Tx<'_>, network_id: &str) -> Result<()> {
    for (_, id) in store::child_ids(tx, SEGMENTS, "network_id", &[network_id.to_string()])? {
        store::delete_row(tx, SEGMENTS, &id)?;
    }
    Ok(())
}

/// A network shows its segments as upstream's ML2 does: one segment as `provider:*`; several
/// as `segments` (multi-provider) with `provider:*` null; none as null `provider:*`.
pub(crate) fn show_on_network(net: &mut Network, segs: Vec<ProviderSegment>) {
    let provider = match <[ProviderSegment; 1]>::try_from(segs) {
        Ok([one]) => {
            net.segments = None;
            one
        }
        Err(segs) => {
            net.segments = (!segs.is_empty()).then_some(segs);
            ProviderSegment::default()
        }
    };
    net.network_type = provider.network_type;
    net.physical_network = provider.physical_network;
    net.segmentation_id = provider.segmentation_id;
}

/// After a segment of the network was added or deleted: the network shows its segments anew,
/// and its MTU is no more than its segments carry (upstream's ML2 recomputes it).
fn revise_network(tx: &Tx<'_>, cfg: &NetworkConfig, network_id: &str) -> Result<()> {
    let Some(mut net) = load::<Network>(tx, network_id)? else {
        return Ok(());
    };
    let segs = of_networks(tx, std::slice::from_ref(&net.id))?
        .remove(&net.id)
        .unwrap_or_default();
    show_on_network(&mut net, segs.iter().map(Segment::provider).collect());
    if let Some(max) = segs
        .iter()
        .map(|s| {
            segments::mtu_for(
                cfg,
                &s.network_type,
                s.physical_network.as_deref().unwrap_or_default(),
            )
        })
        .min()
    {
        net.mtu = net.mtu.min(max);
    }
    net.std.touch();
    crate::network::save(tx, &net)?;
    Ok(())
}

fn save(tx: &Tx<'_>, seg: &Segment) -> Result<()> {
    store::update_doc(tx, SEGMENTS, &seg.id, &seg.to_doc()?)?;
    Ok(())
}

fn load_segment(tx: &Tx<'_>, scope: &Scope, id: &str) -> Result<Segment> {
    let doc = store::get_doc(tx, SEGMENTS, id)?.ok_or_else(|| not_found(id))?;
    if !scope.admin() {
        return Err(not_found(id));
    }
    Segment::from_doc(id, &doc)
}

/// An optional string of at most `max` characters (`string_or_none`).
fn string_or_none(b: &Body, name: &str, max: usize) -> Result<Option<String>> {
    match b.get(name) {
        Some(Value::Null) => Ok(None),
        _ => b.string(name, max),
    }
}

/// `/v2.0/segments`.
pub struct Segments;

impl Collection for Segments {
    fn path(&self) -> &'static str {
        "segments"
    }
    fn singular(&self) -> &'static str {
        "segment"
    }
    fn plural(&self) -> &'static str {
        "segments"
    }
    fn table(&self) -> Table {
        SEGMENTS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext("segment", "Segment", "Segments extension."),
            ext(
                "standard-attr-segment",
                "Standard Attribute Segment Extension",
                "Add standard attributes to Segment resource",
            ),
            ext(
                "subnet-segmentid-writable",
                "Subnet SegmentID (writable)",
                "Provides a writable segment_id attribute for a subnet resource.",
            ),
            ext(
                "l2_adjacency",
                "L2 Adjacency",
                "Display L2 Adjacency for Neutron Networks.",
            ),
            ext(
                "segments-peer-subnet-host-routes",
                "Segments peer-subnet host routes",
                "Add host routes to subnets on a routed network (segments)",
            ),
            ext(
                "multi-provider",
                "Multi Provider Network",
                "Expose mapping of virtual networks to multiple physical networks",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "network_id",
            "name",
            "description",
            "physical_network",
            "network_type",
            "segmentation_id",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn taggable(&self) -> bool {
        false
    }
    /// Segments are the admin's (upstream's policy: `admin_only` for every action).
    fn sees(&self, scope: &Scope, _doc: &Map<String, Value>) -> bool {
        scope.admin()
    }
    fn visible_rows(&self, _scope: &Scope) -> Vec<Visible> {
        Vec::new()
    }
    fn may_change(&self, scope: &Scope, _caller: &crate::Caller, _: &Map<String, Value>) -> bool {
        scope.admin()
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        check_attributes(body, ATTRS, Op::Create)?;
        if !cx.caller.is_admin() {
            return Err(Error::policy("rule:create_segment"));
        }
        let b = Body(body);
        let network_id = b
            .uuid("network_id")?
            .ok_or_else(|| Error::invalid_attr("network_id", "'None' is not a valid UUID"))?;
        let physical_network = b.string("physical_network", 64)?;
        let network_type = b.string("network_type", 32)?;
        let segmentation_id = b.int("segmentation_id")?;
        let name = string_or_none(&b, "name", 255)?;
        let description = string_or_none(&b, "description", 255)?;
        attrs::owner(body, cx.caller)?;
        if load::<Network>(tx, &network_id)?.is_none() {
            return Err(Error::network_not_found(&network_id));
        }
        let req = ProviderRequest {
            network_type: network_type.filter(|t| !t.is_empty()),
            physical_network: physical_network.filter(|p| !p.is_empty()),
            segmentation_id,
        };
        if req.network_type.is_none() {
            return Err(Error::invalid_input("network_type required"));
        }
        let row = segments::choose(tx, cx.cfg, &req, None)?;
        let seg = add(tx, &network_id, &row, name, description)?;
        revise_network(tx, cx.cfg, &network_id)?;
        serde_json::to_value(&seg).map_err(|_| Error::internal())
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
        let scope = Scope::load(tx, cx.caller)?;
        let mut seg = load_segment(tx, &scope, id)?;
        check_revision(if_match, seg.revision_number)?;
        let b = Body(body);
        if b.has("name") {
            seg.name = string_or_none(&b, "name", 255)?;
        }
        if b.has("description") {
            seg.description = string_or_none(&b, "description", 255)?;
        }
        seg.revision_number += 1;
        seg.updated_at = crate::time::now();
        save(tx, &seg)?;
        serde_json::to_value(&seg).map_err(|_| Error::internal())
    }

    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let scope = Scope::load(tx, cx.caller)?;
        let seg = load_segment(tx, &scope, id)?;
        check_revision(if_match, seg.revision_number)?;
        let on_segment = Selection::by("segment_id", vec![id.to_string()]);
        let subnets = store::column_values(tx, SUBNETS, "id", &on_segment)?;
        if !subnets.is_empty() {
            return Err(Error::in_use(
                "SegmentInUse",
                format!(
                    "Segment '{id}' cannot be deleted: The segment is still associated with subnet(s) {}.",
                    subnets.join(", ")
                ),
            ));
        }
        store::delete_row(tx, SEGMENTS, id)?;
        revise_network(tx, cx.cfg, &seg.network_id)?;
        Ok(())
    }
}

fn invalid(kind: &'static str, message: String) -> Error {
    Error::new(Failure::Invalid, kind, message)
}

/// The checks of a subnet's `segment_id` (upstream's `_validate_segment`), with the segment ids
/// of the network's other subnets (`others`, one per subnet): a named segment exists and is on
/// the subnet's network; the network's subnets are all on segments or none is. On an update
/// that changes it (`old`: the subnet's segment before), only the network's one subnet may
/// move, from no segment to a segment of a network with one segment.
pub(crate) fn check_subnet_segment(
    tx: &Tx<'_>,
    network_id: &str,
    segment_id: Option<&str>,
    others: &[Option<String>],
    old: Option<Option<&str>>,
) -> Result<()> {
    let all_or_none = || {
        invalid(
            "SubnetsNotAllAssociatedWithSegments",
            format!(
                "All of the subnets on network '{network_id}' must either all be associated with segments or all not associated with any segment."
            ),
        )
    };
    let mut associated: Vec<Option<&str>> = others.iter().map(Option::as_deref).collect();
    associated.push(segment_id);
    if associated.contains(&None) && associated.iter().any(Option::is_some) {
        return Err(all_or_none());
    }
    if let Some(old) = old.filter(|old| *old != segment_id) {
        if !others.is_empty() {
            return Err(all_or_none());
        }
        if old.is_some() {
            return Err(invalid(
                "SubnetSegmentAssociationChangeNotAllowed",
                "A subnet that is already associated with a segment cannot have its segment association changed.".into(),
            ));
        }
        let count = store::child_ids(tx, SEGMENTS, "network_id", &[network_id.to_string()])?;
        if count.len() > 1 {
            return Err(invalid(
                "NoUpdateSubnetWhenMultipleSegmentsOnNetwork",
                format!(
                    "The network '{network_id}' has multiple segments, it is only possible to associate an existing subnet with a segment on networks with a single segment."
                ),
            ));
        }
    }
    if let Some(segment_id) = segment_id {
        let doc = store::get_doc(tx, SEGMENTS, segment_id)?.ok_or_else(|| not_found(segment_id))?;
        let seg = Segment::from_doc(segment_id, &doc)?;
        if seg.network_id != network_id {
            return Err(invalid(
                "NetworkIdsDontMatch",
                format!(
                    "The subnet's network id, '{network_id}', doesn't match the network_id of segment '{segment_id}'"
                ),
            ));
        }
    }
    Ok(())
}

/// Whether a network is L2-adjacent (`l2_adjacency`): its first subnet is on no segment.
pub(crate) fn l2_adjacent(tx: &Tx<'_>, network_id: &str) -> Result<bool> {
    let subnets = store::subnet_segments(tx, network_id)?;
    Ok(subnets.first().is_none_or(|(_, segment)| segment.is_none()))
}
