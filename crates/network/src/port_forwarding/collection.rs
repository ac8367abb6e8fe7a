//! The collection's description for the list handler.

use super::*;

/// The collection's description for listing (filters, sorting, paging); its requests go
/// through [`Networking::create_port_forwarding`] and its siblings, under a floating IP.
pub struct PortForwardings;

impl Collection for PortForwardings {
    fn path(&self) -> &'static str {
        "port_forwardings"
    }
    fn singular(&self) -> &'static str {
        RESOURCE
    }
    fn plural(&self) -> &'static str {
        "port_forwardings"
    }
    fn table(&self) -> Table {
        PORT_FORWARDINGS
    }
    fn not_found(&self, id: &str) -> Error {
        not_found(id)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "id",
            "external_port",
            "internal_port",
            "internal_ip_address",
            "protocol",
            "internal_port_id",
            "description",
            "external_port_range",
            "internal_port_range",
        ]
    }
    fn unsortable(&self) -> &'static [&'static str] {
        &[
            "internal_port",
            "internal_ip_address",
            "description",
            "internal_port_range",
        ]
    }
    fn taggable(&self) -> bool {
        false
    }
    fn stored_is_view(&self) -> bool {
        false
    }
    fn sees(&self, scope: &Scope, doc: &Map<String, Value>) -> bool {
        scope.admin() || scope.reads_project(field(doc, "project_id"))
    }
    fn visible_rows(&self, scope: &Scope) -> Vec<Visible> {
        scope.own_rows()
    }
    fn create(&self, _tx: &Tx<'_>, _cx: &Ctx<'_>, _body: &Map<String, Value>) -> Result<Value> {
        Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ))
    }
    fn update(
        &self,
        _tx: &Tx<'_>,
        _cx: &Ctx<'_>,
        _id: &str,
        _body: &Map<String, Value>,
        _if_match: Option<u64>,
    ) -> Result<Value> {
        Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ))
    }
    fn delete(&self, _tx: &Tx<'_>, _cx: &Ctx<'_>, _id: &str, _if_match: Option<u64>) -> Result<()> {
        Err(Error::not_found(
            "HTTPNotFound",
            "The resource could not be found.",
        ))
    }
}
