//! Segments (`segment`, `standard-attr-segment`, `multi-provider`, `l2_adjacency`,
//! `subnet-segmentid-writable`) and the network attributes `vlan_transparent` and `qinq`:
//! upstream's attributes, rules, error types and policy.

mod harness;

use axum::http::StatusCode;
use harness::{Api, Reply, ids};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

fn expect(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!((r.status, r.kind()), (status, kind), "{:?}", r.body);
}

async fn segment(api: &Api, body: Value) -> Value {
    let r = api
        .post("admin", "/v2.0/segments", json!({"segment": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["segment"].clone()
}

async fn network(api: &Api, user: &str, body: Value) -> Value {
    let r = api
        .post(user, "/v2.0/networks", json!({"network": body}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["network"].clone()
}

async fn segments_of(api: &Api, net: &str) -> Vec<Value> {
    let r = api
        .get("admin", &format!("/v2.0/segments?network_id={net}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["segments"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_network_has_its_segment_as_a_resource() {
    let api = Api::start();
    let net = network(&api, "admin", json!({"name": "n1"})).await;
    let segs = segments_of(&api, &id(&net)).await;
    assert_eq!(segs.len(), 1);
    let seg = &segs[0];
    let keys = harness::keys(seg);
    assert_eq!(
        keys,
        [
            "created_at",
            "description",
            "id",
            "name",
            "network_id",
            "network_type",
            "physical_network",
            "revision_number",
            "segmentation_id",
            "updated_at",
        ]
    );
    assert_eq!(seg["network_type"], "geneve");
    assert_eq!(seg["physical_network"], Value::Null);
    assert_eq!(seg["segmentation_id"], net["provider:segmentation_id"]);
    assert_eq!(seg["name"], Value::Null);
    assert_eq!(net["l2_adjacency"], true);
    assert_eq!(net["vlan_transparent"], false);
    assert_eq!(net["qinq"], false);
    assert!(net.get("segments").is_none(), "{net}");

    // Show, update (name and description only), delete.
    let path = format!("/v2.0/segments/{}", id(seg));
    let r = api.get("admin", &path).await;
    assert_eq!(r.body["segment"], *seg);
    let r = api
        .put(
            "admin",
            &path,
            json!({"segment": {"name": "s1", "description": "d"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["segment"]["name"], "s1");
    assert_eq!(r.body["segment"]["revision_number"], 2);
    let r = api
        .put("admin", &path, json!({"segment": {"segmentation_id": 5}}))
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    let r = api.get("admin", "/v2.0/segments?name=s1").await;
    assert_eq!(ids(&r.body["segments"]), vec![id(seg)]);

    // Deleting the only segment leaves the network without provider attributes.
    let r = api.delete("admin", &path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = api
        .get("admin", &format!("/v2.0/networks/{}", id(&net)))
        .await;
    assert_eq!(r.body["network"]["provider:network_type"], Value::Null);
    let r = api.get("admin", &path).await;
    expect(&r, StatusCode::NOT_FOUND, "SegmentNotFound");
}

#[tokio::test]
async fn segments_are_the_admins() {
    let api = Api::start();
    let net = network(&api, "alice", json!({})).await;
    let seg = &segments_of(&api, &id(&net)).await[0];
    let r = api.get("alice", "/v2.0/segments").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["segments"], json!([]));
    let path = format!("/v2.0/segments/{}", id(seg));
    expect(
        &api.get("alice", &path).await,
        StatusCode::NOT_FOUND,
        "SegmentNotFound",
    );
    expect(
        &api.put("alice", &path, json!({"segment": {"name": "x"}}))
            .await,
        StatusCode::NOT_FOUND,
        "SegmentNotFound",
    );
    expect(
        &api.delete("alice", &path).await,
        StatusCode::NOT_FOUND,
        "SegmentNotFound",
    );
    let r = api
        .post(
            "alice",
            "/v2.0/segments",
            json!({"segment": {"network_id": id(&net), "network_type": "geneve"}}),
        )
        .await;
    expect(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
}

#[tokio::test]
async fn segment_create_rules() {
    let api = Api::start();
    let net = id(&network(&api, "admin", json!({})).await);
    let post = |body: Value| {
        let api = &api;
        async move {
            api.post("admin", "/v2.0/segments", json!({"segment": body}))
                .await
        }
    };
    expect(
        &post(json!({"network_id": net})).await,
        StatusCode::BAD_REQUEST,
        "HTTPBadRequest",
    );
    let missing = "5e0b1b2f-53c2-4b1e-9a47-8f1f4e0f2c11";
    expect(
        &post(json!({"network_id": missing, "network_type": "geneve"})).await,
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );
    expect(
        &post(json!({"network_id": net, "network_type": "bogus"})).await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
    );
    expect(
        &post(json!({"network_id": net, "network_type": "vlan", "physical_network": "nope"})).await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
    );
    expect(
        &post(json!({"network_id": net, "network_type": "geneve", "segmentation_id": "x"})).await,
        StatusCode::BAD_REQUEST,
        "HTTPBadRequest",
    );
    let vlan = segment(
        &api,
        json!({"network_id": net, "network_type": "vlan", "physical_network": "physnet1",
               "segmentation_id": 300, "name": "edge"}),
    )
    .await;
    assert_eq!(vlan["segmentation_id"], 300);
    assert_eq!(vlan["name"], "edge");
    assert_eq!(vlan["description"], Value::Null);
    // The same VLAN again is taken.
    let other = id(&network(&api, "admin", json!({})).await);
    expect(
        &post(json!({"network_id": other, "network_type": "vlan",
                     "physical_network": "physnet1", "segmentation_id": 300}))
        .await,
        StatusCode::CONFLICT,
        "SegmentationIdInUse",
    );

    // Two segments: the network shows them as `segments`, without provider attributes.
    let r = api.get("admin", &format!("/v2.0/networks/{net}")).await;
    let shown = &r.body["network"];
    assert_eq!(shown["provider:network_type"], Value::Null, "{shown}");
    let segs = shown["segments"].as_array().expect("segments");
    assert_eq!(segs.len(), 2);
    assert_eq!(segs[0]["provider:network_type"], "geneve");
    assert_eq!(
        segs[1],
        json!({"provider:network_type": "vlan", "provider:physical_network": "physnet1",
               "provider:segmentation_id": 300})
    );
    assert_eq!(segments_of(&api, &net).await.len(), 2);
    // Members see no segments.
    let r = api.get("alice", &format!("/v2.0/networks/{net}")).await;
    assert!(r.body["network"].get("segments").is_none());
}

#[tokio::test]
async fn multi_provider_networks() {
    let api = Api::start();
    let net = network(
        &api,
        "admin",
        json!({"segments": [
            {"provider:network_type": "vlan", "provider:physical_network": "physnet1",
             "provider:segmentation_id": 101},
            {"provider:network_type": "vlan", "provider:physical_network": "physnet1",
             "provider:segmentation_id": 102}]}),
    )
    .await;
    assert_eq!(net["segments"].as_array().map(Vec::len), Some(2), "{net}");
    assert_eq!(net["segments"][1]["provider:segmentation_id"], 102);
    let segs = segments_of(&api, &id(&net)).await;
    let vlans: Vec<&Value> = segs.iter().map(|s| &s["segmentation_id"]).collect();
    assert_eq!(vlans, [&json!(101), &json!(102)]);

    let post = |body: Value| {
        let api = &api;
        async move {
            api.post("admin", "/v2.0/networks", json!({"network": body}))
                .await
        }
    };
    let r = post(json!({"provider:network_type": "geneve",
                        "segments": [{"provider:network_type": "geneve"}]}))
    .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "SegmentsSetInConjunctionWithProviders",
    );
    assert_eq!(
        r.message(),
        "Segments and provider values cannot both be set."
    );
    let dup = json!({"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                     "provider:segmentation_id": 200});
    let r = post(json!({"segments": [dup, dup]})).await;
    expect(&r, StatusCode::BAD_REQUEST, "SegmentsContainDuplicateEntry");
    assert_eq!(r.message(), "Duplicate segment entry in request.");
    let r = post(json!({"segments": [{"provider:network_type": "geneve", "foo": 1}]})).await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    // Members may not name segments.
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"segments": [{"provider:network_type": "geneve"}]}}),
        )
        .await;
    expect(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    // Updating to other segments is refused; the same ones pass.
    let path = format!("/v2.0/networks/{}", id(&net));
    let r = api
        .put(
            "admin",
            &path,
            json!({"network": {"segments": [{"provider:network_type": "geneve"}]}}),
        )
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "InvalidInput");
    let r = api
        .put(
            "admin",
            &path,
            json!({"network": {"segments": net["segments"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A network delete takes its segments (and frees their VLANs).
    assert_eq!(
        api.delete("admin", &path).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(segments_of(&api, &id(&net)).await.is_empty());
    network(
        &api,
        "admin",
        json!({"provider:network_type": "vlan", "provider:physical_network": "physnet1",
               "provider:segmentation_id": 101}),
    )
    .await;
}

#[tokio::test]
async fn subnets_on_segments() {
    let api = Api::start();
    let net = network(
        &api,
        "admin",
        json!({"provider:network_type": "vlan", "provider:physical_network": "physnet1"}),
    )
    .await;
    let n = id(&net);
    let first = id(&segments_of(&api, &n).await[0]);
    let second = id(&segment(
        &api,
        json!({"network_id": n, "network_type": "vlan", "physical_network": "physnet1"}),
    )
    .await);
    let s1 = api
        .subnet("admin", &n, "10.1.0.0/24", json!({"segment_id": first}))
        .await;
    assert_eq!(s1["segment_id"], first.as_str());
    let r = api.get("admin", &format!("/v2.0/networks/{n}")).await;
    assert_eq!(r.body["network"]["l2_adjacency"], false);
    // All subnets on segments, or none.
    let r = api
        .post(
            "admin",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": n, "ip_version": 4, "cidr": "10.2.0.0/24"}}),
        )
        .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "SubnetsNotAllAssociatedWithSegments",
    );
    // A segment of another network.
    let other = id(&network(&api, "admin", json!({})).await);
    let foreign = id(&segments_of(&api, &other).await[0]);
    let r = api
        .post(
            "admin",
            "/v2.0/subnets",
            json!({"subnet": {"network_id": n, "ip_version": 4, "cidr": "10.3.0.0/24",
                              "segment_id": foreign}}),
        )
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "NetworkIdsDontMatch");
    let s2 = api
        .subnet("admin", &n, "10.4.0.0/24", json!({"segment_id": second}))
        .await;
    let r = api
        .get("admin", &format!("/v2.0/subnets?segment_id={second}"))
        .await;
    assert_eq!(ids(&r.body["subnets"]), vec![id(&s2)]);
    // A segment with a subnet stays.
    let r = api
        .delete("admin", &format!("/v2.0/segments/{second}"))
        .await;
    expect(&r, StatusCode::CONFLICT, "SegmentInUse");
    assert_eq!(
        r.message(),
        format!(
            "Segment '{second}' cannot be deleted: The segment is still associated with subnet(s) {}.",
            id(&s2)
        )
    );
    // Its association does not change.
    let r = api
        .put(
            "admin",
            &format!("/v2.0/subnets/{}", id(&s2)),
            json!({"subnet": {"segment_id": first}}),
        )
        .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "SubnetsNotAllAssociatedWithSegments",
    );
}

#[tokio::test]
async fn a_subnet_moves_onto_the_segment_of_its_network() {
    let api = Api::start();
    let n = id(&network(&api, "alice", json!({})).await);
    let seg = id(&segments_of(&api, &n).await[0]);
    let s = api.subnet("alice", &n, "10.9.0.0/24", json!({})).await;
    assert_eq!(s["segment_id"], Value::Null);
    let path = format!("/v2.0/subnets/{}", id(&s));
    let r = api
        .put("alice", &path, json!({"subnet": {"segment_id": seg}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["subnet"]["segment_id"], seg.as_str());
    // Once on a segment, it stays there.
    let r = api
        .put("alice", &path, json!({"subnet": {"segment_id": null}}))
        .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "SubnetSegmentAssociationChangeNotAllowed",
    );
    // A network of two segments: no move.
    let n2 = id(&network(&api, "admin", json!({})).await);
    segment(&api, json!({"network_id": n2, "network_type": "geneve"})).await;
    let s2 = api.subnet("admin", &n2, "10.8.0.0/24", json!({})).await;
    let seg2 = id(&segments_of(&api, &n2).await[0]);
    let r = api
        .put(
            "admin",
            &format!("/v2.0/subnets/{}", id(&s2)),
            json!({"subnet": {"segment_id": seg2}}),
        )
        .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "NoUpdateSubnetWhenMultipleSegmentsOnNetwork",
    );
}

#[tokio::test]
async fn vlan_transparent_and_qinq() {
    let api = Api::start();
    let net = network(&api, "alice", json!({"vlan_transparent": true})).await;
    assert_eq!(net["vlan_transparent"], true);
    assert_eq!(net["qinq"], false);
    let r = api
        .post(
            "alice",
            "/v2.0/networks",
            json!({"network": {"qinq": true}}),
        )
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "VlanQinqDriverError");
    let q = network(
        &api,
        "admin",
        json!({"qinq": true, "provider:network_type": "vlan",
               "provider:physical_network": "physnet1"}),
    )
    .await;
    assert_eq!(q["qinq"], true);
    let r = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"qinq": true, "vlan_transparent": true,
                               "provider:network_type": "vlan",
                               "provider:physical_network": "physnet1"}}),
        )
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "BadRequest");
    let r = api
        .post(
            "admin",
            "/v2.0/networks",
            json!({"network": {"vlan_transparent": true, "provider:network_type": "flat",
                               "provider:physical_network": "ext"}}),
        )
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "VlanTransparencyDriverError");
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{}", id(&net)),
            json!({"network": {"vlan_transparent": false}}),
        )
        .await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    let r = api
        .get("alice", "/v2.0/networks?vlan_transparent=True")
        .await;
    assert_eq!(ids(&r.body["networks"]), vec![id(&net)]);
}

fn routes(subnet: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = subnet["host_routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["destination"].as_str().unwrap().to_string(),
                r["nexthop"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(destination: &str, nexthop: &str) -> (String, String) {
    (destination.to_string(), nexthop.to_string())
}

#[tokio::test]
async fn subnets_on_segments_route_to_their_peers() {
    let api = Api::start();
    let n = id(&network(
        &api,
        "admin",
        json!({"provider:network_type": "vlan", "provider:physical_network": "physnet1"}),
    )
    .await);
    let seg1 = id(&segments_of(&api, &n).await[0]);
    let seg2 = id(&segment(
        &api,
        json!({"network_id": n, "network_type": "vlan", "physical_network": "physnet1"}),
    )
    .await);
    let a = api
        .subnet(
            "admin",
            &n,
            "10.10.1.0/24",
            json!({"segment_id": seg1,
                   "allocation_pools": [{"start": "10.10.1.10", "end": "10.10.1.200"}]}),
        )
        .await;
    assert!(routes(&a).is_empty());
    // The second subnet routes to the first via its gateway, and the first to it.
    let b = api
        .subnet(
            "admin",
            &n,
            "10.10.2.0/24",
            json!({"segment_id": seg2,
                   "host_routes": [{"destination": "192.0.2.0/24", "nexthop": "10.10.2.9"}]}),
        )
        .await;
    assert_eq!(
        routes(&b),
        vec![
            pair("10.10.1.0/24", "10.10.2.1"),
            pair("192.0.2.0/24", "10.10.2.9")
        ]
    );
    let path_a = format!("/v2.0/subnets/{}", id(&a));
    let shown = api.get("admin", &path_a).await.body["subnet"].clone();
    assert_eq!(routes(&shown), vec![pair("10.10.2.0/24", "10.10.1.1")]);
    assert_eq!(shown["revision_number"], 2);
    // A summary route that covers the peer is enough.
    let c = api
        .subnet(
            "admin",
            &n,
            "10.10.3.0/24",
            json!({"segment_id": seg2,
                   "host_routes": [{"destination": "10.10.0.0/16", "nexthop": "10.10.3.1"}]}),
        )
        .await;
    assert_eq!(routes(&c), vec![pair("10.10.0.0/16", "10.10.3.1")]);
    // A new gateway moves the routes to it.
    let r = api
        .put(
            "admin",
            &path_a,
            json!({"subnet": {"gateway_ip": "10.10.1.254"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        routes(&r.body["subnet"]),
        vec![
            pair("10.10.2.0/24", "10.10.1.254"),
            pair("10.10.3.0/24", "10.10.1.254")
        ]
    );
    // A deleted subnet's routes go from its peers.
    let r = api
        .delete("admin", &format!("/v2.0/subnets/{}", id(&b)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let shown = api.get("admin", &path_a).await.body["subnet"].clone();
    assert_eq!(routes(&shown), vec![pair("10.10.3.0/24", "10.10.1.254")]);
}

async fn range(api: &Api, body: Value) -> Reply {
    api.post(
        "admin",
        "/v2.0/network_segment_ranges",
        json!({"network_segment_range": body}),
    )
    .await
}

#[tokio::test]
async fn network_segment_ranges_and_the_defaults_of_the_config() {
    let api = Api::with_config(neutrino_network::NetworkConfig {
        geneve_vni_ranges: vec!["1:20".into()],
        vxlan_vni_ranges: vec!["1:10".into()],
        network_vlan_ranges: vec!["physnet1:100:110".into()],
        ..Default::default()
    });
    let r = api.get("admin", "/v2.0/network_segment_ranges").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let defaults = r.body["network_segment_ranges"].as_array().unwrap().clone();
    assert_eq!(defaults.len(), 3, "{defaults:?}");
    let geneve = defaults
        .iter()
        .find(|d| d["network_type"] == "geneve")
        .unwrap();
    assert_eq!(geneve["default"], true);
    assert_eq!(geneve["shared"], true);
    assert_eq!(geneve["project_id"], Value::Null);
    assert_eq!(
        (geneve["minimum"].clone(), geneve["maximum"].clone()),
        (json!(1), json!(20))
    );
    assert_eq!(geneve["available"].as_array().map(Vec::len), Some(20));
    // Defaults are read-only.
    let path = format!("/v2.0/network_segment_ranges/{}", id(geneve));
    let r = api
        .put(
            "admin",
            &path,
            json!({"network_segment_range": {"name": "x"}}),
        )
        .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "NetworkSegmentRangeDefaultReadOnly",
    );
    expect(
        &api.delete("admin", &path).await,
        StatusCode::BAD_REQUEST,
        "NetworkSegmentRangeDefaultReadOnly",
    );
    // Members see none and create none.
    let r = api.get("alice", "/v2.0/network_segment_ranges").await;
    assert_eq!(r.body["network_segment_ranges"], json!([]));
    expect(
        &api.get("alice", &path).await,
        StatusCode::NOT_FOUND,
        "NetworkSegmentRangeNotFound",
    );

    // A range of alice's project: her networks take their VNI from it first.
    let p1 = api.project("alice");
    let r = range(
        &api,
        json!({"name": "alice", "shared": false, "project_id": p1, "network_type": "geneve",
               "minimum": 15, "maximum": 16}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let own = r.body["network_segment_range"].clone();
    assert_eq!(own["default"], false);
    assert_eq!(own["project_id"], p1.as_str());
    assert_eq!(own["used"], json!({}));
    assert_eq!(own["available"], json!([15, 16]));
    let n1 = network(&api, "alice", json!({})).await;
    assert_eq!(
        n1["provider:segmentation_id"],
        Value::Null,
        "a member sees no provider attributes"
    );
    let shown = api
        .get("admin", &format!("/v2.0/networks/{}", id(&n1)))
        .await
        .body["network"]
        .clone();
    assert_eq!(shown["provider:segmentation_id"], 15);
    // Bob's networks skip alice's ids.
    let mut bobs = Vec::new();
    // 20 VNIs less alice's 2.
    for _ in 0..18 {
        let n = network(&api, "bob", json!({})).await;
        let shown = api
            .get("admin", &format!("/v2.0/networks/{}", id(&n)))
            .await
            .body["network"]
            .clone();
        bobs.push(shown["provider:segmentation_id"].as_i64().unwrap());
    }
    assert!(!bobs.contains(&15) && !bobs.contains(&16), "{bobs:?}");
    let r = api
        .post("bob", "/v2.0/networks", json!({"network": {}}))
        .await;
    expect(&r, StatusCode::SERVICE_UNAVAILABLE, "NoNetworkAvailable");

    let own_path = format!("/v2.0/network_segment_ranges/{}", id(&own));
    let r = api.get("admin", &own_path).await;
    assert_eq!(r.body["network_segment_range"]["used"], json!({"15": p1}));
    assert_eq!(r.body["network_segment_range"]["available"], json!([16]));
    // Cannot shrink onto what is used, nor go away while used.
    let r = api
        .put(
            "admin",
            &own_path,
            json!({"network_segment_range": {"minimum": 15}}),
        )
        .await;
    expect(
        &r,
        StatusCode::CONFLICT,
        "NetworkSegmentRangeReferencedByProject",
    );
    expect(
        &api.delete("admin", &own_path).await,
        StatusCode::CONFLICT,
        "NetworkSegmentRangeReferencedByProject",
    );
    let r = api
        .put(
            "admin",
            &own_path,
            json!({"network_segment_range": {"name": "wider", "minimum": 14, "maximum": 17}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["network_segment_range"]["name"], "wider");

    // Rules on create.
    let r = range(
        &api,
        json!({"network_type": "geneve", "minimum": 17, "maximum": 18}),
    )
    .await;
    expect(&r, StatusCode::CONFLICT, "NetworkSegmentRangeOverlaps");
    let r = range(
        &api,
        json!({"network_type": "gre", "minimum": 1, "maximum": 2}),
    )
    .await;
    expect(
        &r,
        StatusCode::BAD_REQUEST,
        "NetworkSegmentRangeNetTypeNotSupported",
    );
    let r = range(
        &api,
        json!({"network_type": "vlan", "minimum": 1, "maximum": 2}),
    )
    .await;
    expect(&r, StatusCode::BAD_REQUEST, "BadRequest");
    let r = range(
        &api,
        json!({"network_type": "vlan", "physical_network": "physnet1", "minimum": 5, "maximum": 4095}),
    )
    .await;
    expect(&r, StatusCode::BAD_REQUEST, "NetworkVlanRangeError");
    let r = range(
        &api,
        json!({"network_type": "vxlan", "minimum": 9, "maximum": 3}),
    )
    .await;
    expect(&r, StatusCode::BAD_REQUEST, "NetworkTunnelRangeError");
    let r = range(
        &api,
        json!({"network_type": "vxlan", "minimum": 0, "maximum": 3}),
    )
    .await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    let r = range(&api, json!({"network_type": "vxlan", "maximum": 3})).await;
    expect(&r, StatusCode::BAD_REQUEST, "HTTPBadRequest");
    let r = api
        .post(
            "alice",
            "/v2.0/network_segment_ranges",
            json!({"network_segment_range": {"network_type": "vxlan", "minimum": 1, "maximum": 3}}),
        )
        .await;
    expect(&r, StatusCode::FORBIDDEN, "PolicyNotAuthorized");
    // A shared VLAN range on another physical network.
    let r = range(
        &api,
        json!({"network_type": "vlan", "physical_network": "physnet2", "minimum": 7, "maximum": 8}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["network_segment_range"]["shared"], true);
    assert_eq!(r.body["network_segment_range"]["project_id"], Value::Null);
    let vlan = id(&r.body["network_segment_range"]);
    let r = api
        .delete("admin", &format!("/v2.0/network_segment_ranges/{vlan}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}
