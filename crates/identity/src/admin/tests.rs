//! The admin API in process, on a SQLite store: what tempest's dynamic credentials and the
//! `openstack project|user|role` commands do, and what a change does to tokens already issued.

use std::path::Path;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::tests::{
    Reply, assert_keystone_error, by_name, call, generated_password, open_on_store, password_auth,
    sqlite_store,
};
use crate::{AuthError, Identity};

struct Cloud {
    identity: Arc<Identity>,
    admin: String,
    _dir: tempfile::TempDir,
}

async fn cloud() -> Cloud {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let identity = Arc::new(open_on_store(&sqlite_store(&data), &data).await);
    let admin = token(
        &identity,
        "admin",
        &generated_password(&data, "admin"),
        "admin",
    )
    .await;
    Cloud {
        identity,
        admin,
        _dir: dir,
    }
}

async fn token(identity: &Arc<Identity>, user: &str, password: &str, project: &str) -> String {
    let r = try_token(identity, user, password, project).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.headers["x-subject-token"].to_str().unwrap().to_string()
}

async fn try_token(identity: &Arc<Identity>, user: &str, password: &str, project: &str) -> Reply {
    let scope = json!({"project": {"name": project, "domain": {"name": "Default"}}});
    let body = password_auth(by_name(user), password, Some(scope));
    call(identity, Method::POST, "/v3/auth/tokens", &[], Some(body)).await
}

impl Cloud {
    async fn as_admin(&self, method: Method, uri: &str, body: Option<Value>) -> Reply {
        self.with(&self.admin.clone(), method, uri, body).await
    }

    async fn with(&self, token: &str, method: Method, uri: &str, body: Option<Value>) -> Reply {
        call(
            &self.identity,
            method,
            uri,
            &[("x-auth-token", token)],
            body,
        )
        .await
    }

    async fn create(&self, collection: &str, member: &str, attrs: Value) -> Value {
        let r = self
            .as_admin(
                Method::POST,
                &format!("/v3/{collection}"),
                Some(json!({member: attrs})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body[member].clone()
    }

    async fn role_id(&self, name: &str) -> String {
        let r = self
            .as_admin(Method::GET, &format!("/v3/roles?name={name}"), None)
            .await;
        r.body["roles"][0]["id"].as_str().unwrap().to_string()
    }

    fn grant_uri(&self, project: &Value, user: &Value, role: &str) -> String {
        format!(
            "/v3/projects/{}/users/{}/roles/{role}",
            project["id"].as_str().unwrap(),
            user["id"].as_str().unwrap()
        )
    }
}

#[tokio::test]
async fn dynamic_credentials_lifecycle() {
    let c = cloud().await;
    let project = c
        .create(
            "projects",
            "project",
            json!({"name": "p1", "description": "p1-desc", "domain_id": "default"}),
        )
        .await;
    assert_eq!(project["enabled"], json!(true));
    assert_eq!(project["domain_id"], json!("default"));
    assert_eq!(project["description"], json!("p1-desc"));
    let dup = c
        .as_admin(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "p1"}})),
        )
        .await;
    assert_keystone_error(&dup, 409);
    let user = c
        .create("users", "user", json!({"name": "u1", "password": "pw1", "email": "u1@example.org", "domain_id": "default"}))
        .await;
    assert!(user.get("password").is_none(), "{user}");
    assert_eq!(user["email"], json!("u1@example.org"));

    // No role on p1 yet: no token for it.
    assert_keystone_error(&try_token(&c.identity, "u1", "pw1", "p1").await, 401);
    // "member" exists already (a built-in role): creating it again is a conflict, as tempest expects.
    let again = c
        .as_admin(
            Method::POST,
            "/v3/roles",
            Some(json!({"role": {"name": "Member"}})),
        )
        .await;
    assert_keystone_error(&again, 409);
    let member = c.role_id("member").await;
    let grant = c.grant_uri(&project, &user, &member);
    assert_eq!(
        c.as_admin(Method::PUT, &grant, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.as_admin(Method::HEAD, &grant, None).await.status,
        StatusCode::NO_CONTENT
    );

    let t = token(&c.identity, "u1", "pw1", "p1").await;
    let ctx = c.identity.authenticate(&t).await.unwrap();
    assert_eq!(ctx.project_id, project["id"].as_str().unwrap());
    assert_eq!(ctx.user_name, "u1");
    assert_eq!(ctx.roles, ["member", "reader"]);
    // A member cannot administer the identity.
    let denied = c
        .with(
            &t,
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "p2"}})),
        )
        .await;
    assert_keystone_error(&denied, 403);

    let listed = c
        .as_admin(
            Method::GET,
            &format!(
                "/v3/role_assignments?user.id={}&include_names=True",
                user["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let assignments = listed.body["role_assignments"].as_array().unwrap();
    assert_eq!(assignments.len(), 1, "{}", listed.body);
    assert_eq!(assignments[0]["role"]["name"], json!("member"));
    assert_eq!(assignments[0]["scope"]["project"]["name"], json!("p1"));

    // Revoking the only role ends the token at its next validation.
    assert_eq!(
        c.as_admin(Method::DELETE, &grant, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.identity.authenticate(&t).await, Err(AuthError::Invalid));
    // HEAD answers carry no body.
    assert_eq!(
        c.as_admin(Method::HEAD, &grant, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_keystone_error(&c.as_admin(Method::DELETE, &grant, None).await, 404);

    // A new password ends the tokens issued with the old one.
    c.as_admin(Method::PUT, &grant, None).await;
    let t = token(&c.identity, "u1", "pw1", "p1").await;
    let uri = format!("/v3/users/{}", user["id"].as_str().unwrap());
    let r = c
        .as_admin(
            Method::PATCH,
            &uri,
            Some(json!({"user": {"password": "pw2"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(c.identity.authenticate(&t).await, Err(AuthError::Invalid));
    assert_keystone_error(&try_token(&c.identity, "u1", "pw1", "p1").await, 401);
    let t = token(&c.identity, "u1", "pw2", "p1").await;

    // Deleting the project, then the user.
    let project_uri = format!("/v3/projects/{}", project["id"].as_str().unwrap());
    assert_eq!(
        c.as_admin(Method::DELETE, &project_uri, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.identity.authenticate(&t).await, Err(AuthError::Invalid));
    assert_keystone_error(&c.as_admin(Method::GET, &project_uri, None).await, 404);
    assert_eq!(
        c.as_admin(Method::DELETE, &uri, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_keystone_error(&c.as_admin(Method::GET, &uri, None).await, 404);
    assert_keystone_error(&c.as_admin(Method::DELETE, &uri, None).await, 404);
}

#[tokio::test]
async fn disabled_users_and_projects_hold_no_tokens() {
    let c = cloud().await;
    let project = c.create("projects", "project", json!({"name": "p"})).await;
    let user = c
        .create(
            "users",
            "user",
            json!({"name": "u", "password": "pw", "default_project_id": project["id"]}),
        )
        .await;
    let admin_role = c.role_id("admin").await;
    c.as_admin(
        Method::PUT,
        &c.grant_uri(&project, &user, &admin_role),
        None,
    )
    .await;
    let t = token(&c.identity, "u", "pw", "p").await;
    let ctx = c.identity.authenticate(&t).await.unwrap();
    assert!(
        ctx.is_admin(),
        "roles come from the assignment: {:?}",
        ctx.roles
    );
    // An unscoped request gets the default project.
    let body = password_auth(by_name("u"), "pw", None);
    let r = call(
        &c.identity,
        Method::POST,
        "/v3/auth/tokens",
        &[],
        Some(body),
    )
    .await;
    assert_eq!(r.body["token"]["project"]["name"], json!("p"), "{}", r.body);

    let uri = format!("/v3/projects/{}", project["id"].as_str().unwrap());
    c.as_admin(
        Method::PATCH,
        &uri,
        Some(json!({"project": {"enabled": false}})),
    )
    .await;
    assert_eq!(c.identity.authenticate(&t).await, Err(AuthError::Invalid));
    c.as_admin(
        Method::PATCH,
        &uri,
        Some(json!({"project": {"enabled": true}})),
    )
    .await;
    assert!(c.identity.authenticate(&t).await.is_ok());
    let user_uri = format!("/v3/users/{}", user["id"].as_str().unwrap());
    c.as_admin(
        Method::PATCH,
        &user_uri,
        Some(json!({"user": {"enabled": false}})),
    )
    .await;
    assert_eq!(c.identity.authenticate(&t).await, Err(AuthError::Invalid));
    assert_keystone_error(&try_token(&c.identity, "u", "pw", "p").await, 401);
}

#[tokio::test]
async fn config_entities_are_listed_but_not_changed() {
    let c = cloud().await;
    let projects = c
        .as_admin(Method::GET, "/v3/projects?name=demo", None)
        .await;
    let demo = projects.body["projects"][0].clone();
    assert_eq!(demo["name"], json!("demo"));
    let uri = format!("/v3/projects/{}", demo["id"].as_str().unwrap());
    let r = c.as_admin(Method::DELETE, &uri, None).await;
    assert_keystone_error(&r, 403);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("config file")
    );
    let r = c
        .as_admin(Method::PATCH, &uri, Some(json!({"project": {"name": "x"}})))
        .await;
    assert_keystone_error(&r, 403);
    // Their names are taken.
    let r = c
        .as_admin(
            Method::POST,
            "/v3/projects",
            Some(json!({"project": {"name": "demo"}})),
        )
        .await;
    assert_keystone_error(&r, 409);
    let r = c
        .as_admin(
            Method::POST,
            "/v3/users",
            Some(json!({"user": {"name": "demo"}})),
        )
        .await;
    assert_keystone_error(&r, 409);
    let users = c.as_admin(Method::GET, "/v3/users?name=demo", None).await;
    let demo_user = users.body["users"][0].clone();
    let r = c
        .as_admin(
            Method::DELETE,
            &format!("/v3/users/{}", demo_user["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_keystone_error(&r, 403);
    let member = c.role_id("member").await;
    let r = c
        .as_admin(Method::PUT, &c.grant_uri(&demo, &demo_user, &member), None)
        .await;
    assert_keystone_error(&r, 403);
    let r = c
        .as_admin(Method::DELETE, &format!("/v3/roles/{member}"), None)
        .await;
    assert_keystone_error(&r, 403);
    // The config's own assignments are listed.
    let r = c.as_admin(Method::GET, "/v3/role_assignments", None).await;
    assert!(
        r.body["role_assignments"].as_array().unwrap().len() >= 2,
        "{}",
        r.body
    );
}

#[tokio::test]
async fn roles_can_be_created_and_deleted() {
    let c = cloud().await;
    let role = c.create("roles", "role", json!({"name": "auditor"})).await;
    let project = c.create("projects", "project", json!({"name": "p"})).await;
    let user = c
        .create("users", "user", json!({"name": "u", "password": "pw"}))
        .await;
    let uri = c.grant_uri(&project, &user, role["id"].as_str().unwrap());
    c.as_admin(Method::PUT, &uri, None).await;
    let list = format!(
        "/v3/projects/{}/users/{}/roles",
        project["id"].as_str().unwrap(),
        user["id"].as_str().unwrap()
    );
    let r = c.as_admin(Method::GET, &list, None).await;
    assert_eq!(r.body["roles"][0]["name"], json!("auditor"), "{}", r.body);
    let r = try_token(&c.identity, "u", "pw", "p").await;
    assert_eq!(
        r.body["token"]["roles"],
        json!([{"id": role["id"], "name": "auditor"}]),
        "the token body shows the stored role's id"
    );
    let t = r.headers["x-subject-token"].to_str().unwrap().to_string();
    assert_eq!(
        c.identity.authenticate(&t).await.unwrap().roles,
        ["auditor"]
    );
    let role_uri = format!("/v3/roles/{}", role["id"].as_str().unwrap());
    assert_eq!(
        c.as_admin(Method::DELETE, &role_uri, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.identity.authenticate(&t).await, Err(AuthError::Invalid));
    let r = c.as_admin(Method::GET, &list, None).await;
    assert_eq!(r.body["roles"], json!([]));
    // Unknown parts of a grant are named.
    let r = c
        .as_admin(
            Method::PUT,
            &format!(
                "/v3/projects/nope/users/{}/roles/x",
                user["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_keystone_error(&r, 404);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("project")
    );
}

#[tokio::test]
async fn without_a_database_the_directory_is_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let identity = Arc::new(
        Identity::open(
            &crate::IdentityConfig::default(),
            Path::new(dir.path()),
            "http://127.0.0.1:9696/",
            crate::SigningKeys::in_memory(),
        )
        .unwrap(),
    );
    let pw = generated_password(dir.path(), "admin");
    let admin = token(&identity, "admin", &pw, "admin").await;
    let r = call(
        &identity,
        Method::POST,
        "/v3/projects",
        &[("x-auth-token", &admin)],
        Some(json!({"project": {"name": "p"}})),
    )
    .await;
    assert_keystone_error(&r, 501);
    let r = call(
        &identity,
        Method::GET,
        "/v3/projects",
        &[("x-auth-token", &admin)],
        None,
    )
    .await;
    assert_eq!(r.body["projects"].as_array().unwrap().len(), 2);
}
