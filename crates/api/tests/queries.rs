//! List queries over HTTP: filters, sorting, pagination links, fields, tags.

mod harness;

use axum::http::StatusCode;
use harness::Api;
use serde_json::{Value, json};

/// The `key` attribute of every item of a list answer, in order.
fn attr_of(r: &Value, coll: &str, key: &str) -> Vec<String> {
    r[coll]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x[key].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn names(r: &Value, coll: &str) -> Vec<String> {
    attr_of(r, coll, "name")
}

fn ids_of(r: &Value, coll: &str) -> Vec<String> {
    attr_of(r, coll, "id")
}

/// The `key` of every item of every page from `first` on, following `rel` links (`previous`
/// pages are taken in reverse, so the result is in list order for either direction).
async fn walk_by(
    api: &Api,
    user: &str,
    coll: &str,
    first: &str,
    rel: &str,
    key: &str,
) -> Vec<String> {
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut path = first.to_string();
    for _ in 0..100 {
        let r = api.get(user, &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        let page = attr_of(&r.body, coll, key);
        let empty = page.is_empty();
        pages.push(page);
        let link = r.body[format!("{coll}_links")]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["rel"] == rel).cloned());
        match link {
            Some(link) if !empty => {
                path = link["href"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("http://neutrino.test")
                    .to_string();
            }
            _ => {
                if rel == "previous" {
                    pages.reverse();
                }
                return pages.concat();
            }
        }
    }
    panic!("pagination did not end");
}

/// Alice's network names, page after page (see [`walk_by`]).
async fn walk(api: &Api, first: &str, rel: &str) -> Vec<String> {
    walk_by(api, "alice", "networks", first, rel, "name").await
}

/// The ids, page after page (see [`walk_by`]).
async fn walk_ids(api: &Api, user: &str, coll: &str, first: &str, rel: &str) -> Vec<String> {
    walk_by(api, user, coll, first, rel, "id").await
}

#[tokio::test]
async fn filters_sorting_and_fields() {
    let api = Api::start();
    for (name, up) in [("b", true), ("A", false), ("c", true), ("d", false)] {
        api.network("alice", json!({"name": name, "admin_state_up": up}))
            .await;
    }
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/networks?name=b&name=d&sort_key=name")
                .await
                .body,
            "networks"
        ),
        ["b", "d"]
    );
    assert_eq!(
        names(
            &api.get(
                "alice",
                "/v2.0/networks?admin_state_up=False&sort_key=name&sort_dir=desc"
            )
            .await
            .body,
            "networks"
        ),
        ["d", "A"]
    );
    assert_eq!(
        names(
            &api.get(
                "alice",
                "/v2.0/networks?sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc"
            )
            .await
            .body,
            "networks"
        ),
        ["d", "A", "c", "b"]
    );
    let r = api
        .get("alice", "/v2.0/networks?fields=id&fields=name")
        .await;
    assert!(
        r.body["networks"]
            .as_array()
            .is_some_and(|a| a.iter().all(|n| n.as_object().map(|m| m.len()) == Some(2)))
    );
    let r = api.get("alice", "/v2.0/networks?bogus=1").await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "['bogus'] is invalid attribute for filtering"
        )
    );
    let r = api.get("alice", "/v2.0/networks?sort_key=bogus").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .get("alice", "/v2.0/networks?sort_key=subnets&sort_dir=asc")
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "['subnets'] is invalid attribute for sort_keys"
        )
    );
    let r = api.get("alice", "/v2.0/networks?limit=abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .get("alice", "/v2.0/networks?project_id=x&tenant_id=x")
        .await;
    assert_eq!(r.kind(), "TenantIdProjectIdFilterConflict");
    let id = api.network("alice", json!({"name": "e"})).await;
    let r = api
        .get("alice", &format!("/v2.0/networks/{id}?fields=name"))
        .await;
    assert_eq!(r.body, json!({"network": {"name": "e"}}));
}

#[tokio::test]
async fn pagination_walks_both_ways() {
    let api = Api::start();
    let all = ["n0", "n1", "n2", "n3", "n4"];
    for n in all {
        api.network("alice", json!({"name": n})).await;
    }
    assert_eq!(
        walk(&api, "/v2.0/networks?sort_key=name&limit=2", "next").await,
        all
    );
    let last = api
        .get(
            "alice",
            "/v2.0/networks?sort_key=name&limit=2&page_reverse=True",
        )
        .await;
    assert_eq!(names(&last.body, "networks"), ["n3", "n4"]);
    let back = walk(
        &api,
        "/v2.0/networks?sort_key=name&limit=2&page_reverse=True",
        "previous",
    )
    .await;
    assert_eq!(back, all);
    let r = api
        .get("alice", "/v2.0/networks?limit=2&marker=missing")
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "NetworkNotFound")
    );
}

#[tokio::test]
async fn port_filters() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    let s = api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    for (i, dev) in ["vm-1", "vm-2", ""].iter().enumerate() {
        api.port("alice", &net, json!({"name": format!("p{i}"), "device_id": dev, "fixed_ips": [{"ip_address": format!("10.0.0.{}", 10 + i)}]})).await;
    }
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/ports?device_id=vm-2").await.body,
            "ports"
        ),
        ["p1"]
    );
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/ports?device_id=").await.body,
            "ports"
        ),
        ["p2"],
        "empty-string filtering"
    );
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/ports?fixed_ips=ip_address%3D10.0.0.11")
                .await
                .body,
            "ports"
        ),
        ["p1"]
    );
    let by_subnet = format!(
        "/v2.0/ports?fixed_ips=subnet_id%3D{}&sort_key=name",
        s["id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        names(&api.get("alice", &by_subnet).await.body, "ports"),
        ["p0", "p1", "p2"]
    );
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/ports?fixed_ips=ip_address_substr%3D0.0.12")
                .await
                .body,
            "ports"
        ),
        ["p2"]
    );
    let r = api.get("alice", "/v2.0/ports?fixed_ips=junk").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mac = api.get("alice", "/v2.0/ports?name=p0").await.body["ports"][0]["mac_address"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    assert_eq!(
        names(
            &api.get("alice", &format!("/v2.0/ports?mac_address={mac}"))
                .await
                .body,
            "ports"
        ),
        ["p0"]
    );
}

#[tokio::test]
async fn tags_api_and_filters() {
    let api = Api::start();
    let a = api.network("alice", json!({"name": "a"})).await;
    let b = api.network("alice", json!({"name": "b"})).await;
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{a}/tags"),
            json!({"tags": ["red", "blue"]}),
        )
        .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, json!({"tags": ["blue", "red"]}))
    );
    let r = api
        .raw(
            axum::http::Method::PUT,
            &format!("/v2.0/networks/{b}/tags/red"),
            Some("alice"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = api
        .raw(
            axum::http::Method::GET,
            &format!("/v2.0/networks/{b}/tags/red"),
            Some("alice"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api
        .get("alice", &format!("/v2.0/networks/{b}/tags/green"))
        .await;
    assert_eq!((r.status, r.kind()), (StatusCode::NOT_FOUND, "TagNotFound"));
    let r = api
        .delete("alice", &format!("/v2.0/networks/{b}/tags/green"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/networks?tags=red,blue").await.body,
            "networks"
        ),
        ["a"]
    );
    assert_eq!(
        names(
            &api.get(
                "alice",
                "/v2.0/networks?tags-any=blue&tags-any=red&sort_key=name"
            )
            .await
            .body,
            "networks"
        ),
        ["a", "b"]
    );
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/networks?not-tags=blue").await.body,
            "networks"
        ),
        ["b"]
    );
    assert_eq!(
        names(
            &api.get("alice", "/v2.0/networks?not-tags-any=red")
                .await
                .body,
            "networks"
        ),
        Vec::<String>::new()
    );
    let rev =
        api.get("alice", &format!("/v2.0/networks/{a}")).await.body["network"]["revision_number"]
            .clone();
    assert_eq!(rev, 2, "a tag change bumps the revision");
    assert_eq!(
        api.delete("alice", &format!("/v2.0/networks/{a}/tags"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("alice", &format!("/v2.0/networks/{a}/tags"))
            .await
            .body,
        json!({"tags": []})
    );
    let r = api
        .put(
            "bob",
            &format!("/v2.0/networks/{a}/tags"),
            json!({"tags": ["x"]}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another project's resource"
    );
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{a}/tags"),
            json!({"tags": ["dup", "dup"]}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "Invalid input for operation: Duplicate items in the list: 'dup'."
        )
    );
    let p = api.port("alice", &a, json!({"tags": ["boot"]})).await;
    assert_eq!(p["tags"], json!(["boot"]), "ports take tags on create");
}

#[tokio::test]
async fn plain_admin_lists_match_the_general_path() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    for i in 0..5 {
        api.port(
            "alice",
            &net,
            json!({"name": format!("p{i}"), "device_id": if i % 2 == 0 { "vm-a" } else { "vm-b" }}),
        )
        .await;
    }
    // Stored documents spliced as they are (admin, pushed-down filter) ...
    let fast = api.get("admin", "/v2.0/ports?device_id=vm-a").await.body["ports"].clone();
    // ... against the parsed and filtered path (a filter applied in memory forces it).
    let slow = api
        .get(
            "admin",
            "/v2.0/ports?device_id=vm-a&changed_since=1970-01-01T00:00:00Z",
        )
        .await
        .body["ports"]
        .clone();
    assert_eq!(fast.as_array().map(Vec::len), Some(3));
    assert_eq!(fast, slow);
    let members = api.get("alice", "/v2.0/ports").await.body["ports"].clone();
    assert!(
        members
            .as_array()
            .is_some_and(|a| a.len() == 5 && a.iter().all(|p| p.get("binding:host_id").is_none()))
    );
}

/// Pages in id order come from the store a little at a time: a walk with a filter the store
/// cannot apply still returns every match once, in id order; a member sees its own ports and
/// the ports on its networks only, and cannot page from another project's port.
#[tokio::test]
async fn store_pages_ports_in_id_order() {
    let api = Api::start();
    let net = api.network("alice", json!({})).await;
    api.subnet("alice", &net, "10.0.0.0/24", json!({})).await;
    let mut tagged = Vec::new();
    for i in 0..40 {
        let p = api
            .port("alice", &net, json!({"name": format!("p{i}")}))
            .await;
        let id = p["id"].as_str().unwrap_or_default().to_string();
        if i % 3 == 0 {
            let r = api
                .put("alice", &format!("/v2.0/ports/{id}/tags/blue"), json!(null))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            tagged.push(id);
        }
    }
    tagged.sort();
    let bobs_net = api.network("bob", json!({})).await;
    api.subnet("bob", &bobs_net, "10.1.0.0/24", json!({})).await;
    let bobs = api.port("bob", &bobs_net, json!({"name": "b"})).await;
    let bobs = bobs["id"].as_str().unwrap_or_default().to_string();

    let mut seen = Vec::new();
    let mut path = "/v2.0/ports?tags=blue&limit=4".to_string();
    for _ in 0..20 {
        let r = api.get("alice", &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        let ids: Vec<String> = r.body["ports"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| p["id"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert!(ids.len() <= 4);
        seen.extend(ids.iter().cloned());
        let next = r.body["ports_links"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["rel"] == "next").cloned());
        match next {
            Some(link) if ids.len() == 4 => {
                path = link["href"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("http://neutrino.test")
                    .to_string();
            }
            _ => break,
        }
    }
    assert_eq!(seen, tagged, "every tagged port once, in id order");

    let mine = api.get("alice", "/v2.0/ports?limit=100").await;
    let ids: Vec<&str> = mine.body["ports"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), 40);
    assert!(
        !ids.contains(&bobs.as_str()),
        "bob's port is not alice's to see"
    );
    let r = api
        .get("alice", &format!("/v2.0/ports?limit=2&marker={bobs}"))
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "PortNotFound")
    );
    let back = api
        .get(
            "alice",
            &format!("/v2.0/ports?limit=3&marker={}&page_reverse=True", tagged[2]),
        )
        .await;
    let ids: Vec<&str> = back.body["ports"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["id"].as_str()).collect())
        .unwrap_or_default();
    let mut expected: Vec<&str> = mine.body["ports"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["id"].as_str()).collect())
        .unwrap_or_default();
    expected.sort_unstable();
    let at = expected
        .iter()
        .position(|i| *i == tagged[2])
        .unwrap_or_default();
    assert_eq!(
        ids,
        expected[at.saturating_sub(3)..at],
        "the page before the marker"
    );
}

/// Sorting by a column runs in SQL as keyset pages: walking every page forwards or backwards,
/// in either direction and with several keys, gives the whole list in the order the in-memory
/// sort gives (names case-insensitively, then exactly, ties by id ascending), on both engines.
#[tokio::test]
async fn sorted_keyset_pages_walk_the_whole_sorted_list() {
    let api = Api::start();
    let names = [
        "b", "A", "c", "a", "B", "d", "x_y", "xz", "", "Zed", "zed", "m", "m", "M",
    ];
    let mut mine: Vec<(String, String)> = Vec::new();
    for n in names {
        mine.push((
            n.to_string(),
            api.network("alice", json!({"name": n})).await,
        ));
    }
    for n in ["a", "m", "zz"] {
        api.network("bob", json!({"name": n})).await;
    }
    let key = |n: &str| (n.to_ascii_lowercase(), n.to_string());
    let mut asc = mine.clone();
    asc.sort_by(|(n, i), (m, j)| key(n).cmp(&key(m)).then(i.cmp(j)));
    let asc: Vec<String> = asc.into_iter().map(|(_, i)| i).collect();
    let mut desc = mine.clone();
    desc.sort_by(|(n, i), (m, j)| key(m).cmp(&key(n)).then(i.cmp(j)));
    let desc: Vec<String> = desc.into_iter().map(|(_, i)| i).collect();

    let full = api.get("alice", "/v2.0/networks?sort_key=name").await;
    assert_eq!(ids_of(&full.body, "networks"), asc, "unpaged");
    for (query, want) in [
        ("sort_key=name", &asc),
        ("sort_key=name&sort_dir=desc", &desc),
        (
            "sort_key=status&sort_dir=asc&sort_key=name&sort_dir=desc",
            &desc,
        ),
        ("sort_key=tenant_id&sort_key=name", &asc),
    ] {
        for limit in [1, 4, 5] {
            let first = format!("/v2.0/networks?{query}&limit={limit}");
            assert_eq!(
                &walk_ids(&api, "alice", "networks", &first, "next").await,
                want,
                "{first}"
            );
            let last = format!("{first}&page_reverse=True");
            assert_eq!(
                &walk_ids(&api, "alice", "networks", &last, "previous").await,
                want,
                "{last}"
            );
        }
    }
    // From a marker in the middle, and past the end.
    let r = api
        .get(
            "alice",
            &format!("/v2.0/networks?sort_key=name&limit=3&marker={}", asc[5]),
        )
        .await;
    assert_eq!(ids_of(&r.body, "networks"), asc[6..9]);
    let r = api
        .get(
            "alice",
            &format!("/v2.0/networks?sort_key=name&limit=3&marker={}", asc[13]),
        )
        .await;
    assert_eq!(ids_of(&r.body, "networks"), Vec::<String>::new());
    // The admin sees bob's too; a member cannot page from them.
    let all = walk_ids(
        &api,
        "admin",
        "networks",
        "/v2.0/networks?sort_key=name&limit=4",
        "next",
    )
    .await;
    assert_eq!(all.len(), names.len() + 3);
    let bobs = ids_of(&api.get("bob", "/v2.0/networks").await.body, "networks");
    let r = api
        .get(
            "alice",
            &format!("/v2.0/networks?sort_key=name&limit=3&marker={}", bobs[0]),
        )
        .await;
    assert_eq!(
        (r.status, r.kind()),
        (StatusCode::NOT_FOUND, "NetworkNotFound")
    );
    // A key that is not a column is sorted in memory, still ending with the same ties.
    let r = api
        .get(
            "alice",
            "/v2.0/networks?sort_key=admin_state_up&sort_key=name&limit=100",
        )
        .await;
    assert_eq!(ids_of(&r.body, "networks"), asc);
}

/// Tag filters run in SQL (the `tags` table follows every tag change and delete), alone, with
/// each other, with pages and with a sort, for members and for the admin's plain lists.
#[tokio::test]
async fn tag_filters_select_in_sql_and_page() {
    let api = Api::start();
    let mut tags: Vec<(String, Vec<&str>)> = Vec::new();
    for i in 0..12 {
        let mut t = Vec::new();
        if i % 2 == 0 {
            t.push("red");
        }
        if i % 3 == 0 {
            t.push("blue");
        }
        let id = api
            .network("alice", json!({"name": format!("n{i:02}"), "tags": t}))
            .await;
        tags.push((id, t));
    }
    api.network("bob", json!({"name": "b", "tags": ["red", "blue"]}))
        .await;
    // Tags change after creation, and a tagged network goes away.
    let (first, second) = (tags[1].0.clone(), tags[2].0.clone());
    let r = api
        .put(
            "alice",
            &format!("/v2.0/networks/{first}/tags/red"),
            json!(null),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    tags[1].1.push("red");
    let r = api
        .delete("alice", &format!("/v2.0/networks/{second}/tags/red"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    tags[2].1.retain(|t| *t != "red");
    let gone = tags.remove(6).0;
    assert_eq!(
        api.delete("alice", &format!("/v2.0/networks/{gone}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    type Rule = fn(&[&str]) -> bool;
    let cases: [(&str, Rule); 6] = [
        ("tags=red", |t| t.contains(&"red")),
        ("tags=red,blue", |t| {
            t.contains(&"red") && t.contains(&"blue")
        }),
        ("tags-any=red&tags-any=blue", |t| {
            t.contains(&"red") || t.contains(&"blue")
        }),
        ("not-tags=red,blue", |t| {
            !(t.contains(&"red") && t.contains(&"blue"))
        }),
        ("not-tags-any=red,blue", |t| {
            !t.contains(&"red") && !t.contains(&"blue")
        }),
        ("tags=blue&not-tags=red", |t| {
            t.contains(&"blue") && !t.contains(&"red")
        }),
    ];
    for (filter, rule) in cases {
        let mut want: Vec<String> = tags
            .iter()
            .filter(|(_, t)| rule(t))
            .map(|(id, _)| id.clone())
            .collect();
        want.sort();
        let first = format!("/v2.0/networks?{filter}&limit=2");
        assert_eq!(
            walk_ids(&api, "alice", "networks", &first, "next").await,
            want,
            "{first}"
        );
        let mut unpaged = ids_of(
            &api.get("alice", &format!("/v2.0/networks?{filter}"))
                .await
                .body,
            "networks",
        );
        unpaged.sort();
        assert_eq!(unpaged, want, "{filter}");
        // Sorted by name, the names (n00…) follow the creation order.
        let mut by_name: Vec<&(String, Vec<&str>)> = tags.iter().filter(|(_, t)| rule(t)).collect();
        by_name.sort_by_key(|(id, _)| tags.iter().position(|(i, _)| i == id));
        let by_name: Vec<String> = by_name.into_iter().map(|(id, _)| id.clone()).collect();
        let sorted = format!("/v2.0/networks?{filter}&sort_key=name&limit=3");
        assert_eq!(
            walk_ids(&api, "alice", "networks", &sorted, "next").await,
            by_name,
            "{sorted}"
        );
    }
    // The admin's plain list (stored documents as they are) filters by tags in SQL too.
    let r = api.get("admin", "/v2.0/networks?tags=red,blue").await;
    let mut got = ids_of(&r.body, "networks");
    got.sort();
    let mut want: Vec<String> = tags
        .iter()
        .filter(|(_, t)| t.contains(&"red") && t.contains(&"blue"))
        .map(|(id, _)| id.clone())
        .collect();
    want.extend(ids_of(
        &api.get("bob", "/v2.0/networks").await.body,
        "networks",
    ));
    want.sort();
    assert_eq!(got, want);
}

/// Pagination links name the served path (`security-groups`), not the JSON key
/// (`security_groups`): following them walks the whole list.
#[tokio::test]
async fn links_of_dashed_collections_are_served_paths() {
    let api = Api::start();
    let mut made = Vec::new();
    for i in 0..5 {
        let r = api
            .post(
                "alice",
                "/v2.0/security-groups",
                json!({"security_group": {"name": format!("g{i}")}}),
            )
            .await;
        made.push(r.body["security_group"]["id"].as_str().unwrap().to_string());
    }
    let first = api
        .get("alice", "/v2.0/security-groups?limit=2&sort_key=name")
        .await;
    let next = first.body["security_groups_links"][0]["href"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(next.contains("/v2.0/security-groups?"), "{next}");
    let walked = walk_ids(
        &api,
        "alice",
        "security_groups",
        "/v2.0/security-groups?limit=2&sort_key=name",
        "next",
    )
    .await;
    // Alice's five groups and her default one.
    assert_eq!(walked.len(), 6, "{walked:?}");
    assert!(made.iter().all(|id| walked.contains(id)));
}
