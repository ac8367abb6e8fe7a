//! Tests of `Identity` and of its router, in process.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;

const URL: &str = "http://127.0.0.1:9696/";

fn open_default(dir: &Path) -> Identity {
    Identity::open(
        &IdentityConfig::default(),
        dir,
        URL,
        SigningKeys::in_memory(),
    )
    .unwrap()
}

/// The identity of `data_dir` with its keys in `store`, as `neutrino serve` opens it.
pub(crate) async fn open_on_store(store: &neutrino_store::Store, data_dir: &Path) -> Identity {
    let keys = SigningKeys::open(store, data_dir).await.unwrap();
    Identity::open(&IdentityConfig::default(), data_dir, URL, keys).unwrap()
}

pub(crate) fn sqlite_store(data_dir: &Path) -> neutrino_store::Store {
    std::fs::create_dir_all(data_dir).unwrap();
    neutrino_store::Store::open_sqlite(&neutrino_store::sqlite_path(data_dir)).unwrap()
}

pub(crate) fn generated_password(dir: &Path, user: &str) -> String {
    let text = std::fs::read_to_string(dir.join(files::PASSWORDS_FILE)).unwrap();
    let map: HashMap<String, String> = serde_json::from_str(&text).unwrap();
    map[user].clone()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub(crate) async fn call(
    identity: &Arc<Identity>,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = identity.clone().router().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Reply {
        status,
        headers,
        body,
    }
}

pub(crate) fn password_auth(user: Value, password: &str, scope: Option<Value>) -> Value {
    let mut user = user;
    user["password"] = json!(password);
    let mut auth = json!({"identity": {"methods": ["password"], "password": {"user": user}}});
    if let Some(s) = scope {
        auth["scope"] = s;
    }
    json!({ "auth": auth })
}

pub(crate) fn by_name(name: &str) -> Value {
    json!({"name": name, "domain": {"name": "Default"}})
}

pub(crate) fn project_scope(name: &str) -> Value {
    json!({"project": {"name": name, "domain": {"id": "default"}}})
}

async fn login(identity: &Arc<Identity>, user: &str, password: &str) -> String {
    let r = call(
        identity,
        Method::POST,
        "/v3/auth/tokens",
        &[],
        Some(password_auth(
            by_name(user),
            password,
            Some(project_scope(user)),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.headers["x-subject-token"].to_str().unwrap().to_string()
}

pub(crate) fn assert_keystone_error(r: &Reply, code: u16) {
    assert_eq!(r.status.as_u16(), code, "{}", r.body);
    assert_eq!(r.body["error"]["code"], json!(code));
    assert!(r.body["error"]["title"].is_string());
    assert!(r.body["error"]["message"].is_string());
}

// ---- open, files, ids ----

#[tokio::test]
async fn defaults_write_private_files_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id1 = open_on_store(&sqlite_store(&data), &data).await;
    assert!(
        !data.join(files::KEY_FILE).exists(),
        "the signing key lives in the database"
    );
    for f in [
        files::PASSWORDS_FILE,
        files::OPENRC_FILE,
        files::CLOUDS_FILE,
    ] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    let admin_pw = generated_password(&data, "admin");
    let demo_pw = generated_password(&data, "demo");
    assert_ne!(admin_pw, demo_pw);

    let openrc = std::fs::read_to_string(data.join("openrc")).unwrap();
    for line in [
        "export OS_AUTH_URL='http://127.0.0.1:9696/v3'",
        "export OS_USERNAME='admin'",
        &format!("export OS_PASSWORD='{admin_pw}'"),
        "export OS_PROJECT_NAME='admin'",
        "export OS_USER_DOMAIN_NAME='Default'",
        "export OS_PROJECT_DOMAIN_NAME='Default'",
        "export OS_IDENTITY_API_VERSION='3'",
        "export OS_REGION_NAME='RegionOne'",
    ] {
        assert!(openrc.contains(line), "{line} not in\n{openrc}");
    }
    let clouds = std::fs::read_to_string(data.join("clouds.yaml")).unwrap();
    assert!(clouds.contains("\"neutrino-admin\":"), "{clouds}");
    assert!(clouds.contains("\"neutrino-demo\":"), "{clouds}");
    assert!(
        clouds.contains(&format!("password: \"{demo_pw}\"")),
        "{clouds}"
    );
    assert!(clouds.contains("auth_url: \"http://127.0.0.1:9696/v3\""));

    let token = id1.issue_token("admin", &admin_pw, Some("admin")).unwrap();
    let ctx1 = id1.validate(&token).unwrap();
    drop(id1);

    // Restart: same passwords, same key in the database (old tokens valid), same ids.
    let id2 = open_on_store(&sqlite_store(&data), &data).await;
    assert_eq!(generated_password(&data, "admin"), admin_pw);
    assert_eq!(id2.validate(&token).unwrap(), ctx1);
    assert!(id2.issue_token("demo", &demo_pw, None).is_ok());

    // Another data dir and database: other key, so the token is foreign; ids are still the same.
    let other_dir = dir.path().join("other");
    let other = open_on_store(&sqlite_store(&other_dir), &other_dir).await;
    assert_eq!(other.validate(&token), Err(AuthError::Invalid));
    let other_pw = generated_password(&dir.path().join("other"), "admin");
    let t = other.issue_token("admin", &other_pw, None).unwrap();
    let ctx = other.validate(&t).unwrap();
    assert_eq!(ctx.user_id, ctx1.user_id);
    assert_eq!(ctx.project_id, ctx1.project_id);
    assert_eq!(ctx.user_id, derive_hex_id("user", "admin"));
    assert_eq!(ctx.project_id, derive_hex_id("project", "admin"));
}

#[test]
fn loose_file_modes_are_tightened() {
    let dir = tempfile::tempdir().unwrap();
    open_default(dir.path());
    for f in [files::OPENRC_FILE, files::CLOUDS_FILE] {
        std::fs::set_permissions(dir.path().join(f), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    open_default(dir.path());
    assert_eq!(mode(&dir.path().join(files::CLOUDS_FILE)), 0o600);
    assert_eq!(mode(&dir.path().join(files::OPENRC_FILE)), 0o600);
}

fn config_users() -> IdentityConfig {
    let toml_like = json!({
        "token_ttl_secs": 3600,
        "region": "Lab",
        "users": [
            {"name": "alice", "password": "alice-secret", "project": "p1", "roles": ["member"]},
            {"name": "bob", "project": "p1", "roles": ["reader"]},
            {"name": "carol", "password": "carol-secret", "project": "p2", "roles": ["manager"]},
            {"name": "root", "password": "root-secret", "project": "ops", "roles": ["admin", "service"]},
        ]
    });
    serde_json::from_value(toml_like).unwrap()
}

#[test]
fn config_users_passwords_and_roles() {
    let dir = tempfile::tempdir().unwrap();
    let id = Identity::open(
        &config_users(),
        dir.path(),
        "http://h:1",
        SigningKeys::in_memory(),
    )
    .unwrap();
    assert_eq!(id.auth_url(), "http://h:1/v3");
    assert_eq!(id.www_authenticate(), "Keystone uri=\"http://h:1/v3\"");
    // Only bob's password was generated.
    let generated = files::load_passwords(dir.path()).unwrap();
    assert_eq!(generated.keys().collect::<Vec<_>>(), ["bob"]);
    let bob_pw = generated_password(dir.path(), "bob");

    let t = id.issue_token("carol", "carol-secret", Some("p2")).unwrap();
    let ctx = id.validate(&t).unwrap();
    assert_eq!(ctx.roles, ["manager", "member", "reader"]);
    assert!(ctx.has_role("member") && !ctx.is_admin());
    assert_eq!(ctx.project_name, "p2");
    assert!(ctx.expires_at > now_secs() + 3500 && ctx.expires_at <= now_secs() + 3600);

    let root = id
        .validate(&id.issue_token("root", "root-secret", None).unwrap())
        .unwrap();
    assert_eq!(root.roles, ["admin", "service", "member", "reader"]);
    assert!(root.is_admin());

    let bob = id
        .validate(&id.issue_token("bob", &bob_pw, Some("p1")).unwrap())
        .unwrap();
    assert_eq!(bob.roles, ["reader"]);
    let alice = id
        .validate(&id.issue_token("alice", "alice-secret", None).unwrap())
        .unwrap();
    assert_eq!(alice.project_id, bob.project_id);

    // openrc holds the admin user; clouds.yaml one cloud per user.
    let openrc = std::fs::read_to_string(dir.path().join("openrc")).unwrap();
    assert!(openrc.contains("OS_USERNAME='root'") && openrc.contains("OS_REGION_NAME='Lab'"));
    let clouds = std::fs::read_to_string(dir.path().join("clouds.yaml")).unwrap();
    for c in [
        "neutrino-alice",
        "neutrino-bob",
        "neutrino-carol",
        "neutrino-root",
    ] {
        assert!(clouds.contains(c), "{c}");
    }
}

#[test]
fn bad_configs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = SigningKeys::in_memory();
    let user = |name: &str, pw: Option<&str>, roles: &[&str]| UserConfig {
        name: name.into(),
        password: pw.map(Into::into),
        project: "p".into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
    };
    for users in [
        vec![user("a", None, &["member"]), user("a", None, &["member"])],
        vec![user("", None, &["member"])],
        vec![user("a", Some(""), &["member"])],
        vec![user("a", None, &[])],
    ] {
        let cfg = IdentityConfig {
            users,
            ..IdentityConfig::default()
        };
        assert!(matches!(
            Identity::open(&cfg, dir.path(), URL, keys.clone()),
            Err(IdentityError::Config(_))
        ));
    }
    let zero_ttl = IdentityConfig {
        token_ttl_secs: 0,
        ..IdentityConfig::default()
    };
    assert!(Identity::open(&zero_ttl, dir.path(), URL, keys.clone()).is_err());
    assert!(Identity::open(&IdentityConfig::default(), dir.path(), "ftp://x/", keys).is_err());
    // Unknown keys are rejected; roles default to member.
    assert!(serde_json::from_value::<IdentityConfig>(json!({"bogus": 1})).is_err());
    let u: UserConfig = serde_json::from_value(json!({"name": "x", "project": "y"})).unwrap();
    assert_eq!(u.roles, ["member"]);
}

#[test]
fn an_unwritable_data_dir_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let err = Identity::open(
        &IdentityConfig::default(),
        &file.join("sub"),
        URL,
        SigningKeys::in_memory(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("plain-file"), "{err}");
}

// ---- tokens ----

#[test]
fn credentials_and_token_checks() {
    let dir = tempfile::tempdir().unwrap();
    let id = open_default(dir.path());
    let pw = generated_password(dir.path(), "demo");
    assert_eq!(
        id.issue_token("demo", "wrong", None),
        Err(AuthError::BadCredentials)
    );
    assert_eq!(
        id.issue_token("nobody", &pw, None),
        Err(AuthError::BadCredentials)
    );
    assert!(matches!(
        id.issue_token("demo", &pw, Some("admin")),
        Err(AuthError::NoProjectAccess { .. })
    ));
    let t = id.issue_token("demo", &pw, Some("demo")).unwrap();
    let ctx = id.validate(&t).unwrap();
    assert_eq!(
        (ctx.user_name.as_str(), ctx.project_name.as_str()),
        ("demo", "demo")
    );
    assert_eq!(ctx.roles, ["member", "reader"]);

    assert_eq!(id.validate(""), Err(AuthError::Missing));
    assert_eq!(id.validate("garbage"), Err(AuthError::Invalid));
    let mut tampered = t.clone().into_bytes();
    tampered[20] = if tampered[20] == b'x' { b'y' } else { b'x' };
    assert_eq!(
        id.validate(&String::from_utf8(tampered).unwrap()),
        Err(AuthError::Invalid)
    );

    // An expired token with a good signature.
    let user = &id.users[id.user_by_name["demo"]];
    let mut claims = id.new_claims(
        user.id,
        user.credential_epoch,
        id.projects[user.project].id,
        METHOD_PASSWORD,
        None,
    );
    claims.issued_at -= 200_000;
    claims.expires_at = now_secs() - 1;
    assert_eq!(id.validate(&id.keys.sign(&claims)), Err(AuthError::Expired));
}

#[test]
fn a_password_change_invalidates_old_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let keys = SigningKeys::in_memory();
    let mut cfg = config_users();
    let id = Identity::open(&cfg, dir.path(), URL, keys.clone()).unwrap();
    let t = id.issue_token("alice", "alice-secret", None).unwrap();
    let carol = id.issue_token("carol", "carol-secret", None).unwrap();
    cfg.users[0].password = Some("new-secret".into());
    let id = Identity::open(&cfg, dir.path(), URL, keys.clone()).unwrap();
    assert_eq!(id.validate(&t), Err(AuthError::Invalid));
    assert!(id.validate(&carol).is_ok());
    // A user moved to another project: old tokens are invalid too.
    cfg.users[2].project = "elsewhere".into();
    let id = Identity::open(&cfg, dir.path(), URL, keys.clone()).unwrap();
    assert_eq!(id.validate(&carol), Err(AuthError::Invalid));
    // A removed user: invalid; the others stay valid.
    let alice = id.issue_token("alice", "new-secret", None).unwrap();
    let bob = id
        .issue_token("bob", &generated_password(dir.path(), "bob"), None)
        .unwrap();
    cfg.users.remove(0);
    let id = Identity::open(&cfg, dir.path(), URL, keys.clone()).unwrap();
    assert_eq!(id.validate(&alice), Err(AuthError::Invalid));
    assert!(id.validate(&bob).is_ok());
}

#[test]
fn validation_is_cheap() {
    let dir = tempfile::tempdir().unwrap();
    let id = open_default(dir.path());
    let t = id
        .issue_token("admin", &generated_password(dir.path(), "admin"), None)
        .unwrap();
    assert_eq!(t.len(), token::ENCODED_LEN);
    // Not a timing assertion (benchmarks live in bench/): just that many validations run at all.
    for _ in 0..1000 {
        assert!(id.validate(&t).is_ok());
    }
}

// ---- HTTP ----

#[tokio::test]
async fn version_document() {
    let dir = tempfile::tempdir().unwrap();
    let id = Arc::new(open_default(dir.path()));
    for uri in ["/v3", "/v3/"] {
        let r = call(&id, Method::GET, uri, &[], None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["version"]["id"], "v3.14");
        assert_eq!(r.body["version"]["status"], "stable");
        assert_eq!(
            r.body["version"]["links"][0]["href"],
            "http://127.0.0.1:9696/v3/"
        );
    }
    let r = call(&id, Method::GET, "/v3/no/such/thing", &[], None).await;
    assert_keystone_error(&r, 404);
}

#[tokio::test]
async fn password_auth_by_name_and_id_with_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let id = Arc::new(open_default(dir.path()));
    let pw = generated_password(dir.path(), "admin");
    let project_id = derive_hex_id("project", "admin");
    let user_id = derive_hex_id("user", "admin");

    let bodies = [
        password_auth(by_name("admin"), &pw, Some(project_scope("admin"))),
        password_auth(
            json!({"id": user_id}),
            &pw,
            Some(json!({"project": {"id": project_id}})),
        ),
        password_auth(
            json!({"name": "admin", "domain": {"id": "default"}}),
            &pw,
            Some(json!({"project": {"name": "admin", "domain": {"name": "Default"}}})),
        ),
        // No scope: scoped to the user's project.
        password_auth(by_name("admin"), &pw, None),
    ];
    for body in bodies {
        let r = call(&id, Method::POST, "/v3/auth/tokens", &[], Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let token = r.headers["x-subject-token"].to_str().unwrap();
        assert!(id.validate(token).is_ok());
        let t = &r.body["token"];
        assert_eq!(t["methods"], json!(["password"]));
        assert_eq!(t["user"]["id"], user_id);
        assert_eq!(t["user"]["name"], "admin");
        assert_eq!(
            t["user"]["domain"],
            json!({"id": "default", "name": "Default"})
        );
        assert_eq!(t["project"]["id"], project_id);
        assert_eq!(t["project"]["domain"]["id"], "default");
        let roles: Vec<&str> = t["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["admin", "member", "reader"]);
        assert!(t["roles"][0]["id"].as_str().unwrap().len() == 32);
        assert!(t["expires_at"].as_str().unwrap().ends_with('Z'));
        assert!(t["issued_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(t["audit_ids"].as_array().unwrap().len(), 1);

        let catalog = t["catalog"].as_array().unwrap();
        let network = catalog.iter().find(|s| s["type"] == "network").unwrap();
        assert_eq!(network["name"], "neutron");
        let ifaces: Vec<&str> = network["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["url"], URL);
                assert_eq!(e["region"], "RegionOne");
                assert_eq!(e["region_id"], "RegionOne");
                assert!(e["id"].is_string());
                e["interface"].as_str().unwrap()
            })
            .collect();
        assert_eq!(ifaces, ["public", "internal", "admin"]);
        let identity = catalog.iter().find(|s| s["type"] == "identity").unwrap();
        assert_eq!(identity["name"], "keystone");
        assert_eq!(identity["endpoints"][0]["url"], "http://127.0.0.1:9696/v3");
    }

    // ?nocatalog
    let r = call(
        &id,
        Method::POST,
        "/v3/auth/tokens?nocatalog",
        &[],
        Some(password_auth(by_name("admin"), &pw, None)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body["token"].get("catalog").is_none());
}

#[tokio::test]
async fn failed_authentication_is_a_keystone_401() {
    let dir = tempfile::tempdir().unwrap();
    let id = Arc::new(open_default(dir.path()));
    let pw = generated_password(dir.path(), "demo");
    let cases = [
        password_auth(by_name("demo"), "wrong", None),
        password_auth(by_name("nobody"), &pw, None),
        password_auth(json!({"id": "0123"}), &pw, None),
        password_auth(
            json!({"name": "demo", "domain": {"name": "Other"}}),
            &pw,
            None,
        ),
        password_auth(by_name("demo"), &pw, Some(project_scope("admin"))),
        password_auth(by_name("demo"), &pw, Some(json!({"system": {"all": true}}))),
        password_auth(
            by_name("demo"),
            &pw,
            Some(json!({"domain": {"id": "default"}})),
        ),
        password_auth(
            by_name("demo"),
            &pw,
            Some(json!({"project": {"name": "demo", "domain": {"name": "Other"}}})),
        ),
        json!({"auth": {"identity": {"methods": ["totp"], "totp": {}}}}),
        json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "bogus"}}}}),
    ];
    for body in cases {
        let r = call(
            &id,
            Method::POST,
            "/v3/auth/tokens",
            &[],
            Some(body.clone()),
        )
        .await;
        assert_keystone_error(&r, 401);
        assert_eq!(r.body["error"]["title"], "Unauthorized");
        assert_eq!(
            r.headers["www-authenticate"], "Keystone uri=\"http://127.0.0.1:9696/v3\"",
            "{body}"
        );
        assert!(r.headers.get("x-subject-token").is_none());
    }
    let system = call(
        &id,
        Method::POST,
        "/v3/auth/tokens",
        &[],
        Some(password_auth(
            by_name("demo"),
            &pw,
            Some(json!({"system": {"all": true}})),
        )),
    )
    .await;
    assert!(
        system.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("System scope")
    );

    for body in [
        json!({}),
        json!({"auth": {"identity": {"methods": []}}}),
        json!({"auth": {"identity": {"methods": ["password"]}}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"password": "x"}}}}}),
        password_auth(
            by_name("demo"),
            &pw,
            Some(json!({"project": {"name": "demo"}})),
        ),
    ] {
        let r = call(&id, Method::POST, "/v3/auth/tokens", &[], Some(body)).await;
        assert_keystone_error(&r, 400);
    }
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/v3/auth/tokens")
        .body(Body::from("{not json"))
        .unwrap();
    req.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    let resp = id.clone().router().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn token_method_rescopes_with_same_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let id = Arc::new(open_default(dir.path()));
    let pw = generated_password(dir.path(), "demo");
    let first = login(&id, "demo", &pw).await;
    let first_ctx = id.validate(&first).unwrap();
    let body = json!({"auth": {
        "identity": {"methods": ["token"], "token": {"id": first}},
        "scope": project_scope("demo"),
    }});
    let r = call(&id, Method::POST, "/v3/auth/tokens", &[], Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["token"]["methods"], json!(["password", "token"]));
    let second = r.headers["x-subject-token"].to_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(id.validate(second).unwrap(), first_ctx);

    // Re-scope to a project the user has no role on.
    let body = json!({"auth": {
        "identity": {"methods": ["token"], "token": {"id": first}},
        "scope": project_scope("admin"),
    }});
    let r = call(&id, Method::POST, "/v3/auth/tokens", &[], Some(body)).await;
    assert_keystone_error(&r, 401);
}

#[tokio::test]
async fn get_and_head_validate_subject_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let id = Arc::new(open_default(dir.path()));
    let admin = login(&id, "admin", &generated_password(dir.path(), "admin")).await;
    let demo = login(&id, "demo", &generated_password(dir.path(), "demo")).await;

    let r = call(
        &id,
        Method::GET,
        "/v3/auth/tokens",
        &[("x-auth-token", &admin), ("x-subject-token", &demo)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["x-subject-token"], demo.as_str());
    assert_eq!(r.body["token"]["user"]["name"], "demo");
    assert!(r.body["token"]["catalog"].is_array());

    let r = call(
        &id,
        Method::GET,
        "/v3/auth/tokens?nocatalog",
        &[("x-auth-token", &demo), ("x-subject-token", &demo)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["token"].get("catalog").is_none());

    let r = call(
        &id,
        Method::HEAD,
        "/v3/auth/tokens",
        &[("x-auth-token", &admin), ("x-subject-token", &demo)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, Value::Null);

    // A member may not validate someone else's token.
    let r = call(
        &id,
        Method::GET,
        "/v3/auth/tokens",
        &[("x-auth-token", &demo), ("x-subject-token", &admin)],
        None,
    )
    .await;
    assert_keystone_error(&r, 403);

    // Invalid subject: 404; invalid or missing caller: 401.
    let r = call(
        &id,
        Method::GET,
        "/v3/auth/tokens",
        &[("x-auth-token", &admin), ("x-subject-token", "bogus")],
        None,
    )
    .await;
    assert_keystone_error(&r, 404);
    let r = call(
        &id,
        Method::HEAD,
        "/v3/auth/tokens",
        &[("x-auth-token", &admin), ("x-subject-token", "bogus")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(
        &id,
        Method::GET,
        "/v3/auth/tokens",
        &[("x-subject-token", &demo)],
        None,
    )
    .await;
    assert_keystone_error(&r, 401);
    assert!(r.headers.contains_key("www-authenticate"));
    let r = call(
        &id,
        Method::GET,
        "/v3/auth/tokens",
        &[("x-auth-token", "bogus"), ("x-subject-token", &demo)],
        None,
    )
    .await;
    assert_keystone_error(&r, 401);
    let r = call(
        &id,
        Method::GET,
        "/v3/auth/tokens",
        &[("x-auth-token", &admin)],
        None,
    )
    .await;
    assert_keystone_error(&r, 400);

    let r = call(
        &id,
        Method::DELETE,
        "/v3/auth/tokens",
        &[("x-auth-token", &admin)],
        None,
    )
    .await;
    assert_keystone_error(&r, 501);
}

#[tokio::test]
async fn identity_listing_visibility() {
    let dir = tempfile::tempdir().unwrap();
    let id = Arc::new(open_default(dir.path()));
    let admin = login(&id, "admin", &generated_password(dir.path(), "admin")).await;
    let demo = login(&id, "demo", &generated_password(dir.path(), "demo")).await;
    let admin_project = derive_hex_id("project", "admin");
    let demo_project = derive_hex_id("project", "demo");
    let admin_user = derive_hex_id("user", "admin");
    let demo_user = derive_hex_id("user", "demo");

    let names = |v: &Value, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |token: String, uri: String| {
        let id = id.clone();
        async move { call(&id, Method::GET, &uri, &[("x-auth-token", &token)], None).await }
    };

    // Projects.
    let r = get(admin.clone(), "/v3/projects".into()).await;
    assert_eq!(names(&r.body, "projects"), ["admin", "demo"]);
    assert!(r.body["links"]["self"].is_string());
    let r = get(admin.clone(), "/v3/projects?name=demo".into()).await;
    assert_eq!(names(&r.body, "projects"), ["demo"]);
    assert_eq!(r.body["projects"][0]["id"], demo_project);
    assert_eq!(r.body["projects"][0]["domain_id"], "default");
    let r = get(demo.clone(), "/v3/projects".into()).await;
    assert_eq!(names(&r.body, "projects"), ["demo"]);
    let r = get(demo.clone(), "/v3/projects?name=admin".into()).await;
    assert!(names(&r.body, "projects").is_empty());
    let r = get(demo.clone(), format!("/v3/projects/{demo_project}")).await;
    assert_eq!(r.body["project"]["name"], "demo");
    let r = get(demo.clone(), format!("/v3/projects/{admin_project}")).await;
    assert_keystone_error(&r, 403);
    let r = get(admin.clone(), format!("/v3/projects/{demo_project}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = get(admin.clone(), "/v3/projects/nope".into()).await;
    assert_keystone_error(&r, 404);

    // Users.
    let r = get(admin.clone(), "/v3/users".into()).await;
    assert_eq!(names(&r.body, "users"), ["admin", "demo"]);
    let r = get(admin.clone(), "/v3/users?name=admin".into()).await;
    assert_eq!(r.body["users"][0]["id"], admin_user);
    let r = get(demo.clone(), "/v3/users".into()).await;
    assert_eq!(names(&r.body, "users"), ["demo"]);
    let r = get(demo.clone(), format!("/v3/users/{demo_user}")).await;
    assert_eq!(r.body["user"]["default_project_id"], demo_project);
    let r = get(demo.clone(), format!("/v3/users/{admin_user}")).await;
    assert_keystone_error(&r, 403);
    let r = get(demo.clone(), format!("/v3/users/{demo_user}/projects")).await;
    assert_eq!(names(&r.body, "projects"), ["demo"]);
    let r = get(admin.clone(), format!("/v3/users/{}", "0".repeat(32))).await;
    assert_keystone_error(&r, 404);

    // Roles.
    let r = get(admin.clone(), "/v3/roles".into()).await;
    assert_eq!(
        names(&r.body, "roles"),
        ["admin", "manager", "member", "reader"]
    );
    let r = get(admin.clone(), "/v3/roles?name=reader".into()).await;
    let reader_id = r.body["roles"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(reader_id, derive_hex_id("role", "reader"));
    let r = get(demo.clone(), "/v3/roles".into()).await;
    assert_eq!(names(&r.body, "roles"), ["member", "reader"]);
    let r = get(demo.clone(), format!("/v3/roles/{reader_id}")).await;
    assert_eq!(r.body["role"]["name"], "reader");
    let r = get(
        demo.clone(),
        format!("/v3/roles/{}", derive_hex_id("role", "admin")),
    )
    .await;
    assert_keystone_error(&r, 403);

    // Domains and auth/*.
    let r = get(demo.clone(), "/v3/domains/default".into()).await;
    assert_eq!(r.body["domain"]["name"], "Default");
    let r = get(demo.clone(), "/v3/domains/other".into()).await;
    assert_keystone_error(&r, 404);
    let r = get(demo.clone(), "/v3/domains?name=Default".into()).await;
    assert_eq!(names(&r.body, "domains"), ["Default"]);
    let r = get(demo.clone(), "/v3/auth/projects".into()).await;
    assert_eq!(names(&r.body, "projects"), ["demo"]);
    let r = get(demo.clone(), "/v3/auth/catalog".into()).await;
    assert_eq!(r.body["catalog"].as_array().unwrap().len(), 2);

    // Everything but the version document needs a token.
    for uri in [
        "/v3/projects",
        "/v3/users",
        "/v3/roles",
        "/v3/domains/default",
        "/v3/auth/projects",
        "/v3/auth/catalog",
    ] {
        let r = call(&id, Method::GET, uri, &[], None).await;
        assert_keystone_error(&r, 401);
    }
}

#[tokio::test]
async fn served_over_a_real_listener() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let id = Arc::new(
        Identity::open(
            &IdentityConfig::default(),
            dir.path(),
            &format!("http://{addr}/"),
            SigningKeys::in_memory(),
        )
        .unwrap(),
    );
    let app = id.clone().router();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let pw = generated_password(dir.path(), "demo");
    let body = password_auth(by_name("demo"), &pw, Some(project_scope("demo"))).to_string();
    let request = format!(
        "POST /v3/auth/tokens HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let token_line = response
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("x-subject-token:"))
        .unwrap();
    let token = token_line.split_once(':').unwrap().1.trim();
    assert_eq!(id.validate(token).unwrap().user_name, "demo");
    server.abort();
}

#[test]
fn identity_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Identity>();
    assert_send_sync::<AuthContext>();
    assert_send_sync::<AuthError>();
}
