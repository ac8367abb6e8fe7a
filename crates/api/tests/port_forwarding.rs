//! Floating IP port forwardings (`floating-ip-port-forwarding` and its description, port
//! ranges, detail and `expose-port-forwarding-in-fip` extensions): create/list/show/update/
//! delete under a floating IP, upstream's rules and errors, the floating IP's router and status,
//! policy, and what removing the router interface, deleting the internal port or the floating
//! IP does (the last is refused while it has forwardings, as upstream).

mod harness;

use axum::http::StatusCode;
use harness::{Api, Reply};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

fn expect(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!((r.status, r.kind()), (status, kind), "{:?}", r.body);
}

/// An external network, alice's network and subnet behind her router, two ports on it and an
/// unassociated floating IP of hers.
struct Setup {
    ext: String,
    net: String,
    sub: String,
    router: String,
    ports: Vec<Value>,
    fip: Value,
}

async fn setup(api: &Api) -> Setup {
    let ext = api.network("admin", json!({"router:external": true})).await;
    api.subnet("admin", &ext, "172.24.4.0/24", json!({})).await;
    let net = api.network("alice", json!({})).await;
    let sub = id(&api.subnet("alice", &net, "10.0.0.0/24", json!({})).await);
    let r = api
        .post(
            "alice",
            "/v2.0/routers",
            json!({"router": {"external_gateway_info": {"network_id": ext}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let router = id(&r.body["router"]);
    let add = api
        .put(
            "alice",
            &format!("/v2.0/routers/{router}/add_router_interface"),
            json!({"subnet_id": sub}),
        )
        .await;
    assert_eq!(add.status, StatusCode::OK, "{:?}", add.body);
    let mut ports = Vec::new();
    for _ in 0..2 {
        ports.push(api.port("alice", &net, json!({})).await);
    }
    let fip = new_fip(api, &ext).await;
    Setup {
        ext,
        net,
        sub,
        router,
        ports,
        fip,
    }
}

async fn new_fip(api: &Api, ext: &str) -> Value {
    let f = api
        .post(
            "alice",
            "/v2.0/floatingips",
            json!({"floatingip": {"floating_network_id": ext}}),
        )
        .await;
    assert_eq!(f.status, StatusCode::CREATED, "{:?}", f.body);
    f.body["floatingip"].clone()
}

fn address(port: &Value) -> String {
    port["fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap()
        .to_string()
}

fn path(fip: &Value) -> String {
    format!("/v2.0/floatingips/{}/port_forwardings", id(fip))
}

async fn create(api: &Api, user: &str, fip: &Value, body: Value) -> Reply {
    api.post(user, &path(fip), json!({"port_forwarding": body}))
        .await
}

fn tcp(port: &Value, internal: i64, external: i64) -> Value {
    json!({
        "protocol": "tcp",
        "internal_port_id": id(port),
        "internal_ip_address": address(port),
        "internal_port": internal,
        "external_port": external,
    })
}

async fn forwarding(api: &Api, fip: &Value, body: Value) -> Value {
    let r = create(api, "alice", fip, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["port_forwarding"].clone()
}

async fn show_fip(api: &Api, fip: &Value) -> Value {
    let r = api
        .get("alice", &format!("/v2.0/floatingips/{}", id(fip)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["floatingip"].clone()
}

#[tokio::test]
async fn create_show_list_update_delete() {
    let api = Api::start();
    let s = setup(&api).await;
    let port = &s.ports[0];
    let mut body = tcp(port, 22, 2222);
    body["description"] = json!("ssh");
    let pf = forwarding(&api, &s.fip, body).await;
    let mut keys: Vec<&str> = pf.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "description",
            "external_port",
            "external_port_range",
            "id",
            "internal_ip_address",
            "internal_port",
            "internal_port_id",
            "internal_port_range",
            "protocol"
        ]
    );
    assert_eq!(pf["external_port_range"], "2222:2222");
    assert_eq!(pf["internal_port"], 22);
    // The floating IP is now on the router, active, with a new revision, and shows it.
    let f = show_fip(&api, &s.fip).await;
    assert_eq!(f["router_id"], s.router.as_str());
    assert_eq!(f["status"], "ACTIVE");
    assert!(f["revision_number"].as_u64() > s.fip["revision_number"].as_u64());
    assert_eq!(
        f["port_forwardings"],
        json!([{
            "id": id(&pf), "protocol": "tcp", "internal_ip_address": address(port),
            "internal_port": 22, "external_port": 2222, "internal_port_id": id(port),
        }])
    );
    let one = api
        .get("alice", &format!("{}/{}", path(&s.fip), id(&pf)))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["port_forwarding"], pf);
    let fields = api
        .get(
            "alice",
            &format!("{}/{}?fields=protocol&fields=id", path(&s.fip), id(&pf)),
        )
        .await;
    assert_eq!(
        fields.body["port_forwarding"],
        json!({"id": id(&pf), "protocol": "tcp"})
    );
    // Update: the outside port, the description; the other attributes stay.
    let up = api
        .put(
            "alice",
            &format!("{}/{}", path(&s.fip), id(&pf)),
            json!({"port_forwarding": {"external_port": 2200, "description": "new"}}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    let up = &up.body["port_forwarding"];
    assert_eq!(
        (
            &up["external_port"],
            &up["internal_port"],
            &up["description"]
        ),
        (&json!(2200), &json!(22), &json!("new"))
    );
    // Move it to the other port: its first IPv4 address unless one is named.
    let other = &s.ports[1];
    let moved = api
        .put(
            "alice",
            &format!("{}/{}", path(&s.fip), id(&pf)),
            json!({"port_forwarding": {"internal_port_id": id(other)}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        moved.body["port_forwarding"]["internal_ip_address"],
        address(other).as_str()
    );
    let del = api
        .delete("alice", &format!("{}/{}", path(&s.fip), id(&pf)))
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{:?}", del.body);
    let gone = api
        .get("alice", &format!("{}/{}", path(&s.fip), id(&pf)))
        .await;
    expect(&gone, StatusCode::NOT_FOUND, "PortForwardingNotFound");
    // The last one gone, the floating IP leaves the router.
    let f = show_fip(&api, &s.fip).await;
    assert_eq!(
        (&f["router_id"], &f["status"], &f["port_forwardings"]),
        (&Value::Null, &json!("DOWN"), &json!([]))
    );
}

#[tokio::test]
async fn port_ranges() {
    let api = Api::start();
    let s = setup(&api).await;
    let port = &s.ports[0];
    let body = |internal: &str, external: &str| {
        json!({
            "protocol": "udp", "internal_port_id": id(port), "internal_ip_address": address(port),
            "internal_port_range": internal, "external_port_range": external,
        })
    };
    let pf = forwarding(&api, &s.fip, body("100:110", "1100:1110")).await;
    assert_eq!(
        (
            &pf["internal_port_range"],
            &pf["external_port_range"],
            pf.get("external_port")
        ),
        (&json!("100:110"), &json!("1100:1110"), None)
    );
    // N to one is fine; N to M is not.
    forwarding(&api, &s.fip, body("200", "1200:1210")).await;
    let bad = create(&api, "alice", &s.fip, body("300:302", "1300:1310")).await;
    expect(&bad, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(
        bad.message().contains("must be N-N or 1-N"),
        "{:?}",
        bad.body
    );
    // Overlapping outside ranges on the floating IP and protocol collide.
    let overlap = create(&api, "alice", &s.fip, body("400:410", "1105:1115")).await;
    expect(&overlap, StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(
        overlap.message(),
        "Bad port_forwarding request: There is a port collision with the external_port_range. The following ranges collide: 1100:1110 and 1105:1115."
    );
    // So do inside ranges on the same port, address and protocol.
    let inside = create(&api, "alice", &s.fip, body("105", "1500")).await;
    expect(&inside, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(
        inside.message().contains("internal_port_range"),
        "{:?}",
        inside.body
    );
    // The same ports over another protocol do not collide.
    let mut same = body("100:110", "1100:1110");
    same["protocol"] = json!("tcp");
    forwarding(&api, &s.fip, same).await;
    // Single ports and ranges do not mix in a request; ranges are checked.
    let mixed = create(
        &api,
        "alice",
        &s.fip,
        json!({
            "protocol": "tcp", "internal_port_id": id(port), "internal_ip_address": address(port),
            "internal_port": 5, "external_port_range": "7000:7001", "internal_port_range": "5:6",
        }),
    )
    .await;
    expect(&mixed, StatusCode::BAD_REQUEST, "BadRequest");
    for (range, reason) in [
        (
            "10:5",
            "First port in a port range must be lower than the second port",
        ),
        (
            "1:2:3",
            "Port range must be two integers separated by a colon",
        ),
        (
            "0:5",
            "Invalid port: 0, the port must be in the range [1, 65535]",
        ),
        ("x", "Invalid port: x"),
    ] {
        let r = create(&api, "alice", &s.fip, body("5:10", range)).await;
        expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
        assert_eq!(
            r.message(),
            format!("Invalid input for external_port_range. Reason: {reason}."),
            "{range}"
        );
    }
}

#[tokio::test]
async fn validation_and_duplicates() {
    let api = Api::start();
    let s = setup(&api).await;
    let port = &s.ports[0];
    forwarding(&api, &s.fip, tcp(port, 80, 8080)).await;
    // The same outside port and protocol on the floating IP.
    let dup = create(&api, "alice", &s.fip, tcp(&s.ports[1], 81, 8080)).await;
    expect(&dup, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(
        dup.message().contains("external_port_range"),
        "{:?}",
        dup.body
    );
    // Required attributes, unknown ones, values.
    let mut missing = tcp(port, 1, 2);
    missing.as_object_mut().unwrap().remove("protocol");
    let r = create(&api, "alice", &s.fip, missing).await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    assert_eq!(
        r.message(),
        "Failed to parse request. Required attribute 'protocol' not specified"
    );
    let mut unknown = tcp(port, 1, 2);
    unknown["bogus"] = json!(1);
    expect(
        &create(&api, "alice", &s.fip, unknown).await,
        StatusCode::BAD_REQUEST,
        "HTTPBadRequest",
    );
    for (attr, value, reason) in [
        (
            "external_port",
            json!(0),
            "'0' is too small - must be at least '1'",
        ),
        (
            "internal_port",
            json!(70000),
            "'70000' is too large - must be no larger than '65535'",
        ),
        ("external_port", json!("x"), "'x' is not an integer"),
        ("protocol", json!("icmp"), "icmp is not in ['tcp', 'udp']"),
        (
            "internal_port_id",
            json!("nope"),
            "'nope' is not a valid UUID",
        ),
        (
            "internal_ip_address",
            json!("10.0.0"),
            "'10.0.0' is not a valid IP address",
        ),
    ] {
        let mut b = tcp(port, 3, 3003);
        b[attr] = value;
        let r = create(&api, "alice", &s.fip, b).await;
        expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
        assert_eq!(
            r.message(),
            format!("Invalid input for {attr}. Reason: {reason}."),
            "{attr}"
        );
    }
    // The internal address must be a fixed IP of the internal port.
    let mut wrong = tcp(port, 4, 4004);
    wrong["internal_ip_address"] = json!("10.0.0.250");
    let r = create(&api, "alice", &s.fip, wrong).await;
    expect(&r, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(
        r.message().starts_with(&format!(
            "Bad port_forwarding request: Requested internal IP address 10.0.0.250 is not suitable for internal neutron port {}",
            id(port)
        )),
        "{:?}",
        r.body
    );
    // A port on a network no router connects to the floating network.
    let lone_net = api.network("alice", json!({})).await;
    api.subnet("alice", &lone_net, "10.9.0.0/24", json!({}))
        .await;
    let lone = api.port("alice", &lone_net, json!({})).await;
    let r = create(&api, "alice", &s.fip, tcp(&lone, 5, 5005)).await;
    expect(&r, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(
        r.message().contains("is not reachable from subnet"),
        "{:?}",
        r.body
    );
    // An unknown floating IP, port or forwarding.
    let nowhere = json!({"id": "00000000-0000-0000-0000-000000000000"});
    expect(
        &create(&api, "alice", &nowhere, tcp(port, 6, 6006)).await,
        StatusCode::NOT_FOUND,
        "FloatingIPNotFound",
    );
    let mut ghost = tcp(port, 6, 6006);
    ghost["internal_port_id"] = json!("00000000-0000-0000-0000-000000000000");
    expect(
        &create(&api, "alice", &s.fip, ghost).await,
        StatusCode::NOT_FOUND,
        "PortNotFound",
    );
    expect(
        &api.delete(
            "alice",
            &format!("{}/00000000-0000-0000-0000-000000000000", path(&s.fip)),
        )
        .await,
        StatusCode::NOT_FOUND,
        "PortForwardingNotFound",
    );
    // Filters upstream refuses.
    let r = api
        .get("alice", &format!("{}?internal_port=80", path(&s.fip)))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(
        r.message(),
        "Port Forwarding filter internal_port is not supported."
    );
}

#[tokio::test]
async fn association_and_forwardings_exclude_each_other() {
    let api = Api::start();
    let s = setup(&api).await;
    let (a, b) = (&s.ports[0], &s.ports[1]);
    forwarding(&api, &s.fip, tcp(a, 80, 8080)).await;
    // A floating IP with forwardings is not associated with a port.
    let assoc = api
        .put(
            "alice",
            &format!("/v2.0/floatingips/{}", id(&s.fip)),
            json!({"floatingip": {"port_id": id(b)}}),
        )
        .await;
    expect(&assoc, StatusCode::CONFLICT, "FipInUseByPortForwarding");
    // Other updates keep it on its router.
    let d = api
        .put(
            "alice",
            &format!("/v2.0/floatingips/{}", id(&s.fip)),
            json!({"floatingip": {"description": "pf"}}),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{:?}", d.body);
    assert_eq!(d.body["floatingip"]["router_id"], s.router.as_str());
    // An associated floating IP takes no forwardings.
    let other = new_fip(&api, &s.ext).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/floatingips/{}", id(&other)),
            json!({"floatingip": {"port_id": id(b)}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let third = api.port("alice", &s.net, json!({})).await;
    expect(
        &create(&api, "alice", &other, tcp(&third, 80, 8080)).await,
        StatusCode::CONFLICT,
        "FloatingIPPortAlreadyAssociated",
    );
    // Nor is a port with a floating IP of its own a forwarding's target.
    let fresh = new_fip(&api, &s.ext).await;
    expect(
        &create(&api, "alice", &fresh, tcp(b, 80, 8080)).await,
        StatusCode::CONFLICT,
        "PortHasBindingFloatingIP",
    );
}

#[tokio::test]
async fn list_filters_sorting_and_paging() {
    let api = Api::start();
    let s = setup(&api).await;
    let port = &s.ports[0];
    let mut made = Vec::new();
    for (i, proto) in ["tcp", "udp", "tcp"].iter().enumerate() {
        let mut b = tcp(port, 100 + i as i64, 9000 + i as i64);
        b["protocol"] = json!(proto);
        made.push(id(&forwarding(&api, &s.fip, b).await));
    }
    let list = api.get("alice", &path(&s.fip)).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["port_forwardings"].as_array().unwrap().len(), 3);
    let udp = api
        .get("alice", &format!("{}?protocol=udp", path(&s.fip)))
        .await;
    assert_eq!(
        harness::ids(&udp.body["port_forwardings"]),
        [made[1].clone()]
    );
    let by_port = api
        .get("alice", &format!("{}?external_port=9002", path(&s.fip)))
        .await;
    assert_eq!(
        harness::ids(&by_port.body["port_forwardings"]),
        [made[2].clone()]
    );
    let sorted = api
        .get(
            "alice",
            &format!("{}?sort_key=external_port&sort_dir=desc", path(&s.fip)),
        )
        .await;
    let ports: Vec<i64> = sorted.body["port_forwardings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["external_port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [9002, 9001, 9000]);
    let page = api
        .get(
            "alice",
            &format!(
                "{}?limit=2&sort_key=external_port&sort_dir=asc",
                path(&s.fip)
            ),
        )
        .await;
    assert_eq!(page.body["port_forwardings"].as_array().unwrap().len(), 2);
    let next = page.body["port_forwardings_links"][0]["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        next.contains(&format!(
            "/v2.0/floatingips/{}/port_forwardings?",
            id(&s.fip)
        )),
        "{next}"
    );
    let bad = api
        .get("alice", &format!("{}?sort_key=description", path(&s.fip)))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
}

#[tokio::test]
async fn policy_is_the_floating_ips_owner() {
    let api = Api::start();
    let s = setup(&api).await;
    let pf = forwarding(&api, &s.fip, tcp(&s.ports[0], 80, 8080)).await;
    // Another project does not see the floating IP, nor its forwardings.
    expect(
        &api.get("bob", &path(&s.fip)).await,
        StatusCode::NOT_FOUND,
        "FloatingIPNotFound",
    );
    expect(
        &api.delete("bob", &format!("{}/{}", path(&s.fip), id(&pf)))
            .await,
        StatusCode::NOT_FOUND,
        "FloatingIPNotFound",
    );
    expect(
        &create(&api, "bob", &s.fip, tcp(&s.ports[0], 81, 8081)).await,
        StatusCode::NOT_FOUND,
        "FloatingIPNotFound",
    );
    // An admin sees and changes them.
    let list = api.get("admin", &path(&s.fip)).await;
    assert_eq!(harness::ids(&list.body["port_forwardings"]), [id(&pf)]);
    let up = api
        .put(
            "admin",
            &format!("{}/{}", path(&s.fip), id(&pf)),
            json!({"port_forwarding": {"description": "by admin"}}),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);
    // A forwarding is found under its own floating IP only.
    let other = new_fip(&api, &s.ext).await;
    expect(
        &api.get("alice", &format!("{}/{}", path(&other), id(&pf)))
            .await,
        StatusCode::NOT_FOUND,
        "PortForwardingNotFound",
    );
}

#[tokio::test]
async fn interface_port_and_floating_ip_removal() {
    let api = Api::start();
    let s = setup(&api).await;
    let (a, b) = (&s.ports[0], &s.ports[1]);
    let pf_a = forwarding(&api, &s.fip, tcp(a, 80, 8080)).await;
    forwarding(&api, &s.fip, tcp(b, 80, 8081)).await;
    // The router interface a forwarding reaches through stays.
    let rm = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", s.router),
            json!({"subnet_id": s.sub}),
        )
        .await;
    expect(
        &rm,
        StatusCode::CONFLICT,
        "RouterInterfaceInUseByFloatingIP",
    );
    // Deleting the internal port deletes its forwardings; the floating IP keeps the others.
    let del = api.delete("alice", &format!("/v2.0/ports/{}", id(a))).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{:?}", del.body);
    let f = show_fip(&api, &s.fip).await;
    let left: Vec<String> = f["port_forwardings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["internal_port_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, [id(b)]);
    assert_eq!(f["router_id"], s.router.as_str());
    expect(
        &api.get("alice", &format!("{}/{}", path(&s.fip), id(&pf_a)))
            .await,
        StatusCode::NOT_FOUND,
        "PortForwardingNotFound",
    );
    // Giving up the forwarded address deletes the forwarding, and with the last one the
    // floating IP leaves its router.
    let moved = api
        .put(
            "alice",
            &format!("/v2.0/ports/{}", id(b)),
            json!({"port": {"fixed_ips": [{"subnet_id": s.sub, "ip_address": "10.0.0.200"}]}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let f = show_fip(&api, &s.fip).await;
    assert_eq!(
        (&f["port_forwardings"], &f["router_id"]),
        (&json!([]), &Value::Null)
    );
    // A floating IP with forwardings is not deleted (upstream's callback on its port's
    // deletion); without them it is.
    let c = api.port("alice", &s.net, json!({})).await;
    let pf_c = forwarding(&api, &s.fip, tcp(&c, 80, 8080)).await;
    let fip_path = format!("/v2.0/floatingips/{}", id(&s.fip));
    let del = api.delete("alice", &fip_path).await;
    expect(&del, StatusCode::CONFLICT, "FipInUseByPortForwarding");
    assert_eq!(
        del.message(),
        format!(
            "Floating IP {} in use by Port Forwarding resources.",
            id(&s.fip)
        )
    );
    let rm_pf = api
        .delete("alice", &format!("{}/{}", path(&s.fip), id(&pf_c)))
        .await;
    assert_eq!(rm_pf.status, StatusCode::NO_CONTENT, "{:?}", rm_pf.body);
    let del = api.delete("alice", &fip_path).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{:?}", del.body);
    // Now the interface may go.
    let rm = api
        .put(
            "alice",
            &format!("/v2.0/routers/{}/remove_router_interface", s.router),
            json!({"subnet_id": s.sub}),
        )
        .await;
    assert_eq!(rm.status, StatusCode::OK, "{:?}", rm.body);
}

#[tokio::test]
async fn extensions_are_advertised() {
    let api = Api::start();
    let r = api.get("alice", "/v2.0/extensions").await;
    let aliases: Vec<&str> = r.body["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["alias"].as_str())
        .collect();
    for alias in [
        "floating-ip-port-forwarding",
        "floating-ip-port-forwarding-description",
        "floating-ip-port-forwarding-port-ranges",
        "floating-ip-port-forwarding-detail",
        "expose-port-forwarding-in-fip",
    ] {
        assert!(aliases.contains(&alias), "{alias}");
    }
}
