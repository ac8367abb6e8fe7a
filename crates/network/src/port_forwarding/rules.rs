//! Creating, changing and deleting forwardings: upstream's checks, in its order.

use super::request::*;
use super::*;

/// Upstream's `_check_port_collisions`: the outside range against the floating IP's other
/// forwardings of the protocol, the inside range against the other forwardings to the same
/// port, address and protocol.
fn check_collisions(tx: &Tx<'_>, pf: &PortForwarding) -> Result<()> {
    check_relation(&pf.internal, &pf.external)?;
    let collision = |key: &str, existing: &PortRange, wanted: &PortRange| {
        pf_bad_request(format!(
            "There is a port collision with the {key}. The following ranges collide: {existing} and {wanted}"
        ))
    };
    let inside = Selection::by("internal_port_id", vec![pf.internal_port_id.clone()])
        .and("protocol", vec![pf.protocol.clone()])
        .and("internal_ip_address", vec![pf.internal_ip_address.clone()]);
    for other in select(tx, &inside)? {
        if other.id != pf.id && other.internal.overlaps(&pf.internal) {
            return Err(collision(
                "internal_port_range",
                &other.internal,
                &pf.internal,
            ));
        }
    }
    let outside = Selection::by("floatingip_id", vec![pf.floatingip_id.clone()])
        .and("protocol", vec![pf.protocol.clone()]);
    for other in select(tx, &outside)? {
        if other.id != pf.id && other.external.overlaps(&pf.external) {
            return Err(collision(
                "external_port_range",
                &other.external,
                &pf.external,
            ));
        }
    }
    Ok(())
}

/// Python's rendering of a port's IPv4 fixed IPs, as upstream's messages print them.
fn fixed_ips_text(port: &Port, v4_only: bool) -> String {
    let items: Vec<String> = port
        .fixed_ips
        .iter()
        .filter(|f| !v4_only || f.ip_address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv4()))
        .map(|f| {
            format!(
                "{{'subnet_id': '{}', 'ip_address': '{}'}}",
                f.subnet_id, f.ip_address
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The internal port as the caller sees it.
fn visible_port(tx: &Tx<'_>, caller: &Caller, port_id: &str) -> Result<Port> {
    let scope = Scope::load(tx, caller)?;
    match load::<Port>(tx, port_id)? {
        Some(p) if crate::port::Ports.sees(&scope, &to_map(&p)?) => Ok(p),
        _ => Err(Error::port_not_found(port_id)),
    }
}

/// Upstream's `_find_a_router_for_fip_port_forwarding`: the internal address (the port's first
/// IPv4 address unless one is named) and the router between its subnet and the floating
/// network.
fn find_router(
    tx: &Tx<'_>,
    caller: &Caller,
    fip: &FloatingIp,
    port_id: &str,
    address: Option<IpAddr>,
) -> Result<(String, String)> {
    let port = visible_port(tx, caller, port_id)?;
    let v4: Vec<_> = port
        .fixed_ips
        .iter()
        .filter(|f| f.ip_address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv4()))
        .collect();
    let Some(first) = v4.first() else {
        return Err(pf_bad_request(format!(
            "Requested internal port {port_id} must allocate an IPv4 address at least"
        )));
    };
    let chosen = match address {
        None => first,
        Some(ip) => v4
            .iter()
            .find(|f| f.ip_address.parse::<IpAddr>() == Ok(ip))
            .ok_or_else(|| {
                pf_bad_request(format!(
                    "Requested internal IP address {ip} is not suitable for internal neutron port {port_id}, as its fixed_ips are {}",
                    fixed_ips_text(&port, true)
                ))
            })?,
    };
    let gateway = load::<Subnet>(tx, &chosen.subnet_id)?.and_then(|s| s.gateway_ip);
    let routers = l3::routers_between(
        tx,
        &port.network_id,
        &chosen.subnet_id,
        &fip.floating_network_id,
    )?;
    let router = routers
        .iter()
        .find(|(_, ip)| ip.parse::<IpAddr>().ok() == gateway)
        .or(routers.first())
        .map(|(r, _)| r.clone())
        .ok_or_else(|| {
            pf_bad_request(format!(
                "External network {} is not reachable from subnet {}. Cannot set Port forwarding for port {port_id} with Floating IP {}",
                fip.floating_network_id, chosen.subnet_id, fip.id
            ))
        })?;
    Ok((router, chosen.ip_address.clone()))
}

/// Upstream's `_check_router_match`: a floating IP with forwardings stays on its router.
fn check_router_match(
    tx: &Tx<'_>,
    fip: &FloatingIp,
    router: &str,
    pf: &PortForwarding,
) -> Result<()> {
    let Some(current) = fip.router_id.as_deref().filter(|r| *r != router) else {
        return Ok(());
    };
    let same_socket = of_floating_ips(tx, vec![fip.id.clone()])?
        .iter()
        .any(|o| o.internal_ip_address == pf.internal_ip_address && o.internal == pf.internal);
    let internal_port = pf
        .internal
        .single()
        .map_or_else(|| "None".to_string(), |p| p.to_string());
    Err(pf_bad_request(if same_socket {
        format!(
            "Floating IP {} with params: internal_ip_address: {}, internal_port: {internal_port} already exists",
            fip.id, pf.internal_ip_address
        )
    } else {
        format!(
            "The Floating IP {} had been set on router {current}, the internal Neutron port {} can not reach it",
            fip.id, pf.internal_port_id
        )
    }))
}

/// Upstream's `_check_port_has_binding_floating_ip`: a port with a floating IP of its own
/// gets no forwardings.
fn check_port_has_no_fip(tx: &Tx<'_>, port_id: &str, address: Option<&str>) -> Result<()> {
    let sel = Selection::by("port_id", vec![port_id.to_string()]);
    if let Some(doc) = store::list_docs(tx, FLOATINGIPS, &sel)?.first() {
        let f = FloatingIp::from_doc(port_id, doc)?;
        return Err(Error::in_use(
            "PortHasBindingFloatingIP",
            format!(
                "Cannot create port forwarding to floating IP {} ({}) with port {port_id} using fixed IP {}, as that port already has a binding floating IP.",
                f.floating_ip_address,
                f.id,
                address.unwrap_or("None")
            ),
        ));
    }
    Ok(())
}

/// The floating IP the caller may see; writing its forwardings takes the member role.
fn visible_fip(tx: &Tx<'_>, caller: &Caller, fip_id: &str) -> Result<FloatingIp> {
    let missing = || FloatingIps.not_found(fip_id);
    let fip = load::<FloatingIp>(tx, fip_id)?.ok_or_else(missing)?;
    let scope = Scope::load(tx, caller)?;
    if !FloatingIps.sees(&scope, &to_map(&fip)?) {
        return Err(missing());
    }
    Ok(fip)
}

fn check_writer(caller: &Caller, action: &str) -> Result<()> {
    if caller.is_admin() || caller.has_role("member") {
        Ok(())
    } else {
        Err(Error::policy(&format!(
            "rule:{action}_floatingip_port_forwarding"
        )))
    }
}

fn load_pf(tx: &Tx<'_>, fip_id: &str, id: &str) -> Result<PortForwarding> {
    let doc = store::get_doc(tx, PORT_FORWARDINGS, id)?.ok_or_else(|| not_found(id))?;
    let pf = parse(&doc)?;
    if pf.floatingip_id != fip_id {
        return Err(not_found(id));
    }
    Ok(pf)
}

/// Writes a forwarding; a row the unique indexes refuse (a concurrent twin) is upstream's
/// duplicate entry.
fn write(tx: &Tx<'_>, pf: &PortForwarding, insert: bool) -> Result<()> {
    let doc = pf.doc()?;
    let written = if insert {
        store::insert_row(tx, PORT_FORWARDINGS, &pf.id, &pf.columns(), &doc)
    } else {
        store::update_row(tx, PORT_FORWARDINGS, &pf.id, &pf.columns(), &doc)
    };
    match written {
        Err(StoreError::Conflict(_)) => Err(pf_bad_request(format!(
            "A duplicate port forwarding entry with same attributes already exists, conflicting values are {{'floatingip_id': '{}', 'external_port': {}, 'protocol': '{}'}}",
            pf.floatingip_id, pf.external.start, pf.protocol
        ))),
        other => Ok(other?),
    }
}

fn create_in(
    tx: &Tx<'_>,
    caller: &Caller,
    fip_id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    check_attributes(body, ATTRS, Op::Create)?;
    let b = Body(body);
    let protocol = protocol(&b)?.unwrap_or_default();
    let port_id = b
        .uuid("internal_port_id")?
        .ok_or_else(|| Error::invalid_attr("internal_port_id", "'None' is not a valid UUID"))?;
    let address = ipv4_address(&b)?;
    let external = side(&b, "external_port", "external_port_range")?;
    let internal = side(&b, "internal_port", "internal_port_range")?;
    let description = b.string("description", 255)?.unwrap_or_default();
    let (Some(external), Some(internal)) = (external, internal) else {
        return Err(pf_bad_request(
            "The external and internal ports are required: external_port and internal_port, or external_port_range and internal_port_range",
        ));
    };
    let fip = visible_fip(tx, caller, fip_id)?;
    check_writer(caller, "create")?;
    let wanted_address = address.map(|a| a.to_string());
    check_port_has_no_fip(tx, &port_id, wanted_address.as_deref())?;
    if let Some(associated) = &fip.port_id {
        return Err(Error::in_use(
            "FloatingIPPortAlreadyAssociated",
            format!(
                "Cannot associate floating IP {} ({}) with port {associated} using fixed IP {}, as that fixed IP already has a floating IP on external network {}.",
                fip.floating_ip_address,
                fip.id,
                wanted_address.as_deref().unwrap_or("None"),
                fip.floating_network_id
            ),
        ));
    }
    let (router, internal_ip_address) = find_router(tx, caller, &fip, &port_id, address)?;
    let pf = PortForwarding {
        id: uuid::Uuid::new_v4().to_string(),
        floatingip_id: fip.id.clone(),
        project_id: fip.project_id.clone(),
        protocol,
        internal_port_id: port_id,
        internal_ip_address,
        external,
        internal,
        description,
    };
    check_collisions(tx, &pf)?;
    check_router_match(tx, &fip, &router, &pf)?;
    write(tx, &pf, true)?;
    changed_fip(tx, &fip.id, Some(&router))?;
    Ok(Value::Object(pf.view()))
}

fn update_in(
    tx: &Tx<'_>,
    caller: &Caller,
    fip_id: &str,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    check_attributes(body, ATTRS, Op::Update)?;
    let b = Body(body);
    let protocol = protocol(&b)?;
    let new_port = b.uuid("internal_port_id")?;
    let address = ipv4_address(&b)?;
    let external = side(&b, "external_port", "external_port_range")?;
    let internal = side(&b, "internal_port", "internal_port_range")?;
    let description = b.string("description", 255)?;
    if let Some(p) = &new_port {
        check_port_has_no_fip(tx, p, address.map(|a| a.to_string()).as_deref())?;
    }
    let fip = visible_fip(tx, caller, fip_id)?;
    let mut pf = load_pf(tx, fip_id, id)?;
    check_writer(caller, "update")?;
    let mut router = None;
    match new_port.filter(|p| *p != pf.internal_port_id) {
        Some(p) => {
            let (r, ip) = find_router(tx, caller, &fip, &p, address)?;
            pf.internal_port_id = p;
            pf.internal_ip_address = ip;
            router = Some(r);
        }
        None => {
            if let Some(a) = address {
                pf.internal_ip_address = a.to_string();
            }
        }
    }
    if let Some(p) = protocol {
        pf.protocol = p;
    }
    if let Some(e) = external {
        pf.external = e;
    }
    if let Some(i) = internal {
        pf.internal = i;
    }
    if let Some(d) = description {
        pf.description = d;
    }
    if let Some(r) = &router {
        check_router_match(tx, &fip, r, &pf)?;
    }
    // Upstream's `_check_port_forwarding_update`: the address is one of the port's.
    let port = load::<Port>(tx, &pf.internal_port_id)?
        .ok_or_else(|| Error::port_not_found(&pf.internal_port_id))?;
    if !port
        .fixed_ips
        .iter()
        .any(|f| f.ip_address == pf.internal_ip_address)
    {
        return Err(pf_bad_request(format!(
            "The internal IP does not correspond to an address on the internal port, which has fixed_ips {}",
            fixed_ips_text(&port, false)
        )));
    }
    check_collisions(tx, &pf)?;
    write(tx, &pf, false)?;
    changed_fip(tx, fip_id, router.as_deref().or(fip.router_id.as_deref()))?;
    Ok(Value::Object(pf.view()))
}

fn delete_in(tx: &Tx<'_>, caller: &Caller, fip_id: &str, id: &str) -> Result<()> {
    let pf = store::get_doc(tx, PORT_FORWARDINGS, id)?
        .map(|d| parse(&d))
        .transpose()?
        .filter(|pf| pf.floatingip_id == fip_id)
        .ok_or_else(|| not_found(id))?;
    visible_fip(tx, caller, fip_id)?;
    check_writer(caller, "delete")?;
    store::delete_row(tx, PORT_FORWARDINGS, &pf.id)?;
    changed_fip(tx, fip_id, None)
}

impl Networking {
    pub async fn create_port_forwarding(
        &self,
        caller: &Caller,
        fip_id: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, fip_id) = (caller.clone(), fip_id.to_string());
        self.store
            .write(move |tx| create_in(tx, &caller, &fip_id, &body))
            .await
    }

    /// The forwardings of a floating IP the caller may see, as the API shows them.
    pub async fn port_forwardings(
        &self,
        caller: &Caller,
        fip_id: &str,
    ) -> Result<Vec<Map<String, Value>>> {
        let (caller, fip_id) = (caller.clone(), fip_id.to_string());
        self.store
            .read(move |tx| {
                visible_fip(tx, &caller, &fip_id)?;
                Ok(of_floating_ips(tx, vec![fip_id])?
                    .iter()
                    .map(PortForwarding::view)
                    .collect())
            })
            .await
    }

    pub async fn port_forwarding(&self, caller: &Caller, fip_id: &str, id: &str) -> Result<Value> {
        let (caller, fip_id, id) = (caller.clone(), fip_id.to_string(), id.to_string());
        self.store
            .read(move |tx| {
                visible_fip(tx, &caller, &fip_id)?;
                Ok(Value::Object(load_pf(tx, &fip_id, &id)?.view()))
            })
            .await
    }

    pub async fn update_port_forwarding(
        &self,
        caller: &Caller,
        fip_id: &str,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<Value> {
        let (caller, fip_id, id) = (caller.clone(), fip_id.to_string(), id.to_string());
        self.store
            .write(move |tx| update_in(tx, &caller, &fip_id, &id, &body))
            .await
    }

    pub async fn delete_port_forwarding(
        &self,
        caller: &Caller,
        fip_id: &str,
        id: &str,
    ) -> Result<()> {
        let (caller, fip_id, id) = (caller.clone(), fip_id.to_string(), id.to_string());
        self.store
            .write(move |tx| delete_in(tx, &caller, &fip_id, &id))
            .await
    }
}
