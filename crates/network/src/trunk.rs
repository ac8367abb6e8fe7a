//! Trunks (`/v2.0/trunks`, extensions `trunk` and `trunk-details`): a parent port that carries
//! the traffic of sub-ports, each told apart by a VLAN tag. The rules and errors are upstream's
//! trunk plugin's with the ML2/OVN driver (which trunks bound ports and supports only `vlan`).
//! A trunk's `sub_ports` live in `trunk_ports` (see [`crate::trunk_ports`]) and are read with it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use neutrino_store::tables::TRUNKS;
use neutrino_store::{self as store, ColumnValue, Table, Tx, Visible};

use crate::attrs::{self, Attr, Body, Op, attr, check_attributes, required};
use crate::collection::{Collection, Ctx};
use crate::extensions::{Extension, ext};
use crate::model::{Network, Port, Standard};
use crate::network::tags_on_create;
use crate::read::{Scope, check_revision, completed, field, load, load_for_change};
use crate::subports::{NetworkSegment, Requested, SubPort, check_shape, segmentation};
use crate::trunk_ports::{self, parent_port_in_use};
use crate::{Caller, Error, Result};

/// A trunk's `name` is a plain string (neutron-lib's `type:string`), not the `name_string`
/// of networks and ports: blanks at either end are kept.
const ATTRS: &[Attr] = &[
    attr("id", false, false),
    attr("name", true, true),
    attr("description", true, true),
    attr("project_id", true, false),
    attr("tenant_id", true, false),
    required("port_id"),
    attr("admin_state_up", true, true),
    attr("status", false, false),
    attr("sub_ports", true, false),
    attr("tags", true, false),
];

/// The OVN driver brings a trunk up as soon as it is written (upstream sets it right after
/// the create and after every sub-port change).
const ACTIVE: &str = "ACTIVE";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trunk {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub port_id: String,
    pub admin_state_up: bool,
    pub status: String,
    #[serde(flatten)]
    pub std: Standard,
}

crate::model::resource!(Trunk, TRUNKS);

fn not_found(id: &str) -> Error {
    Error::not_found("TrunkNotFound", format!("Trunk {id} could not be found."))
}

fn columns(t: &Trunk) -> [(&'static str, ColumnValue); 2] {
    [
        ("project_id", ColumnValue::text(t.project_id.clone())),
        ("port_id", ColumnValue::text(t.port_id.clone())),
    ]
}

fn save(tx: &Tx<'_>, t: &Trunk) -> Result<()> {
    let doc = serde_json::to_string(t).map_err(|_| Error::internal())?;
    store::update_row(tx, TRUNKS, &t.id, &columns(t), &doc)?;
    Ok(())
}

/// A trunk as the API shows it: its row and its `sub_ports`.
fn with_subports(tx: &Tx<'_>, items: &mut [Map<String, Value>]) -> Result<()> {
    let ids: Vec<String> = items.iter().map(|t| field(t, "id").to_string()).collect();
    let mut subports = trunk_ports::subports_of(tx, &ids)?;
    for item in items.iter_mut() {
        let subs = subports.remove(field(item, "id")).unwrap_or_default();
        let shown = serde_json::to_value(subs).map_err(|_| Error::internal())?;
        item.insert("sub_ports".into(), shown);
    }
    Ok(())
}

/// Upstream's `trunk_can_be_managed`.
fn check_enabled(t: &Trunk) -> Result<()> {
    if t.admin_state_up {
        return Ok(());
    }
    Err(Error::conflict(
        "TrunkDisabled",
        format!("Trunk {} is currently disabled.", t.id),
    ))
}

/// The sub-port's network's segmentation, for `inherit`.
fn network_segment(tx: &Tx<'_>, port_id: &str) -> Result<NetworkSegment> {
    let port = load::<Port>(tx, port_id)?.ok_or_else(|| Error::port_not_found(port_id))?;
    let net = load::<Network>(tx, &port.network_id)?
        .ok_or_else(|| Error::network_not_found(&port.network_id))?;
    Ok(NetworkSegment {
        network_type: net.network_type.unwrap_or_else(|| "geneve".into()),
        segmentation_id: net.segmentation_id,
    })
}

/// Upstream's `SubPortsValidator._validate` for each requested sub-port of the trunk whose
/// parent is `parent_id`, in its order: not the parent, an MTU the parent's network carries,
/// a valid segmentation, a visible port in no trunk and with no device.
fn validate_subports(
    tx: &Tx<'_>,
    scope: &Scope,
    parent_id: &str,
    requested: &[Requested<'_>],
) -> Result<Vec<(SubPort, Port)>> {
    let parent_mtu = trunk_ports::port_mtu(tx, parent_id)?;
    let mut out = Vec::new();
    for r in requested {
        if r.port_id == parent_id {
            return Err(parent_port_in_use(&r.port_id));
        }
        if let (Some(trunk_mtu), Some(port_mtu)) =
            (parent_mtu, trunk_ports::port_mtu(tx, &r.port_id)?)
            && port_mtu > trunk_mtu
        {
            return Err(Error::conflict(
                "SubPortMtuGreaterThanTrunkPortMtu",
                format!(
                    "MTU {port_mtu} of subport {} cannot be greater than MTU {trunk_mtu} of trunk {parent_id}.",
                    r.port_id
                ),
            ));
        }
        let (segmentation_type, segmentation_id) =
            segmentation(r, || network_segment(tx, &r.port_id))?;
        let port = trunk_ports::usable_port(tx, scope, &r.port_id, false)?;
        out.push((
            SubPort {
                segmentation_id,
                segmentation_type,
                port_id: r.port_id.clone(),
            },
            port,
        ));
    }
    Ok(out)
}

/// Adds validated sub-ports to a trunk: their rows (the database refuses duplicates) and
/// what each port shows while it is one.
fn attach(
    tx: &Tx<'_>,
    trunk: &Trunk,
    subs: Vec<(SubPort, Port)>,
    host: Option<&str>,
) -> Result<()> {
    for (sub, port) in subs {
        trunk_ports::claim_subport(tx, &trunk.id, &sub)?;
        trunk_ports::bind(tx, port, &trunk.id, &trunk.port_id, &sub, host)?;
    }
    Ok(())
}

fn create_one(tx: &Tx<'_>, caller: &Caller, body: &Map<String, Value>) -> Result<Trunk> {
    check_attributes(body, ATTRS, Op::Create)?;
    if !caller.has_role("member") && !caller.is_admin() {
        return Err(Error::policy("rule:create_trunk"));
    }
    let b = Body(body);
    let port_id = b
        .uuid("port_id")?
        .ok_or_else(|| Error::invalid_attr("port_id", "'None' is not a valid UUID"))?;
    let requested = match body.get("sub_ports") {
        None => Vec::new(),
        given => check_shape(given).map_err(|r| Error::invalid_attr("sub_ports", r))?,
    };
    let project_id = attrs::owner(body, caller)?;
    let trunk = Trunk {
        id: uuid::Uuid::new_v4().to_string(),
        name: b.string("name", 255)?.unwrap_or_default(),
        tenant_id: project_id.clone(),
        project_id,
        port_id,
        admin_state_up: b.bool("admin_state_up")?.unwrap_or(true),
        status: ACTIVE.into(),
        std: Standard::new(
            b.string("description", 255)?.unwrap_or_default(),
            tags_on_create(&b)?,
        ),
    };
    let scope = Scope::load(tx, caller)?;
    trunk_ports::usable_port(tx, &scope, &trunk.port_id, true)?;
    let subs = validate_subports(tx, &scope, &trunk.port_id, &requested)?;
    let doc = serde_json::to_string(&trunk).map_err(|_| Error::internal())?;
    store::insert_row(tx, TRUNKS, &trunk.id, &columns(&trunk), &doc)?;
    trunk_ports::claim_parent(tx, &trunk.id, &trunk.port_id)?;
    // On create upstream leaves the sub-ports' host alone; an added sub-port takes the parent's.
    attach(tx, &trunk, subs, None)?;
    Ok(trunk)
}

/// The `{"sub_ports": [...]}` body of an action, with upstream's basic checks.
fn action_subports(body: &Map<String, Value>) -> Result<Vec<Requested<'_>>> {
    check_shape(body.get("sub_ports")).map_err(Error::invalid_input)
}

fn add_subports(
    tx: &Tx<'_>,
    caller: &Caller,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    let mut trunk: Trunk = load_for_change(tx, caller, &Trunks, id, "rule:add_subports")?;
    let requested = action_subports(body)?;
    let scope = Scope::load(tx, caller)?;
    let subs = validate_subports(tx, &scope, &trunk.port_id, &requested)?;
    check_enabled(&trunk)?;
    let host = load::<Port>(tx, &trunk.port_id)?
        .map(|p| p.host_id)
        .unwrap_or_default();
    if !subs.is_empty() {
        attach(tx, &trunk, subs, Some(&host))?;
        trunk.status = ACTIVE.into();
        trunk.std.touch();
        save(tx, &trunk)?;
    }
    completed(tx, &trunk, with_subports)
}

fn remove_subports(
    tx: &Tx<'_>,
    caller: &Caller,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    let mut trunk: Trunk = load_for_change(tx, caller, &Trunks, id, "rule:remove_subports")?;
    check_enabled(&trunk)?;
    let requested = action_subports(body)?;
    let current = trunk_ports::subports_of(tx, std::slice::from_ref(&trunk.id))?
        .remove(&trunk.id)
        .unwrap_or_default();
    for r in &requested {
        if !current.iter().any(|s| s.port_id == r.port_id) {
            return Err(Error::not_found(
                "SubPortNotFound",
                format!(
                    "SubPort on trunk {id} with parent port {} could not be found.",
                    r.port_id
                ),
            ));
        }
        trunk_ports::release(tx, &r.port_id)?;
        trunk_ports::unbind(tx, &r.port_id)?;
    }
    if !requested.is_empty() {
        trunk.status = ACTIVE.into();
        trunk.std.touch();
        save(tx, &trunk)?;
    }
    completed(tx, &trunk, with_subports)
}

/// `/v2.0/trunks`.
pub struct Trunks;

impl Collection for Trunks {
    fn path(&self) -> &'static str {
        "trunks"
    }
    fn singular(&self) -> &'static str {
        "trunk"
    }
    fn plural(&self) -> &'static str {
        "trunks"
    }
    fn table(&self) -> Table {
        TRUNKS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn extensions(&self) -> &'static [Extension] {
        const EXTENSIONS: &[Extension] = &[
            ext(
                "trunk",
                "Trunk Extension",
                "Provides support for trunk ports",
            ),
            ext(
                "trunk-details",
                "Trunk port details",
                "Expose trunk port details",
            ),
        ];
        EXTENSIONS
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "description",
            "project_id",
            "tenant_id",
            "port_id",
            "admin_state_up",
            "status",
            "sub_ports",
            "tags",
            "created_at",
            "updated_at",
            "revision_number",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &["sub_ports", "tags"]
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads_project(field(doc, "project_id"))
    }
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.own_rows()
    }
    /// `sub_ports` are read from `trunk_ports`.
    fn stored_is_view(&self) -> bool {
        false
    }
    fn complete(
        &self,
        tx: &Tx<'_>,
        _scope: &Scope,
        items: &mut [Map<String, Value>],
    ) -> Result<()> {
        with_subports(tx, items)
    }
    fn action(
        &self,
        tx: &Tx<'_>,
        cx: &Ctx<'_>,
        id: &str,
        action: &str,
        body: &Map<String, Value>,
    ) -> Option<Result<Value>> {
        match action {
            "add_subports" => Some(add_subports(tx, cx.caller, id, body)),
            "remove_subports" => Some(remove_subports(tx, cx.caller, id, body)),
            _ => None,
        }
    }
    fn read_action(&self, action: &str, shown: &Map<String, Value>) -> Option<Value> {
        (action == "get_subports").then(|| {
            serde_json::json!({"sub_ports": shown.get("sub_ports").cloned().unwrap_or_default()})
        })
    }

    fn create(&self, tx: &Tx<'_>, cx: &Ctx<'_>, body: &Map<String, Value>) -> Result<Value> {
        let trunk = create_one(tx, cx.caller, body)?;
        completed(tx, &trunk, with_subports)
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
        let mut trunk: Trunk = load_for_change(tx, cx.caller, self, id, "rule:update_trunk")?;
        check_revision(if_match, trunk.std.revision_number)?;
        let b = Body(body);
        if let Some(name) = b.string("name", 255)? {
            trunk.name = name;
        }
        if let Some(d) = b.string("description", 255)? {
            trunk.std.description = d;
        }
        if let Some(up) = b.bool("admin_state_up")? {
            trunk.admin_state_up = up;
        }
        trunk.std.touch();
        save(tx, &trunk)?;
        completed(tx, &trunk, with_subports)
    }

    /// Upstream refuses to delete a disabled trunk; the OVN driver may untrunk a bound parent,
    /// so `TrunkInUse` never applies. The sub-ports become ordinary ports again.
    fn delete(&self, tx: &Tx<'_>, cx: &Ctx<'_>, id: &str, if_match: Option<u64>) -> Result<()> {
        let trunk: Trunk = load_for_change(tx, cx.caller, self, id, "rule:delete_trunk")?;
        check_revision(if_match, trunk.std.revision_number)?;
        check_enabled(&trunk)?;
        let subs = trunk_ports::subports_of(tx, std::slice::from_ref(&trunk.id))?
            .remove(&trunk.id)
            .unwrap_or_default();
        trunk_ports::release_all(tx, &trunk.id)?;
        for sub in subs {
            trunk_ports::unbind(tx, &sub.port_id)?;
        }
        store::delete_row(tx, TRUNKS, &trunk.id)?;
        Ok(())
    }
}
