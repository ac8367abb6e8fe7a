//! A Keystone v3 token document (`GET /v3/auth/tokens`) read into the request context, with the
//! names keystonemiddleware passes on (`X-User-Id`, `X-Project-Name`, `X-Roles`, …).

use serde::Deserialize;

use crate::AuthContext;
use crate::model::parse_time;

#[derive(Deserialize)]
struct Document {
    token: Token,
}

#[derive(Deserialize)]
struct Token {
    expires_at: String,
    user: Named,
    #[serde(default)]
    project: Option<Named>,
    #[serde(default)]
    domain: Option<Entity>,
    /// `{"all": true}` for a system-scoped token.
    #[serde(default)]
    system: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    roles: Vec<Role>,
}

#[derive(Deserialize)]
struct Named {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: Option<Entity>,
}

#[derive(Deserialize)]
struct Entity {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Role {
    name: String,
}

/// The request context of a validated token body; `Err` names what is missing or malformed
/// (a Keystone that answers 200 with that is broken, not the client).
pub fn context_of(body: &[u8]) -> Result<AuthContext, String> {
    let doc: Document =
        serde_json::from_slice(body).map_err(|e| format!("unreadable token document: {e}"))?;
    let t = doc.token;
    let expires_at = parse_time(&t.expires_at)
        .ok_or_else(|| format!("unreadable token expiry {:?}", t.expires_at))?;
    let (user_domain_id, user_domain_name) = domain_of(t.user.domain.as_ref());
    let (project_id, project_name, project_domain) = match &t.project {
        Some(p) => (p.id.clone(), p.name.clone(), domain_of(p.domain.as_ref())),
        None => (String::new(), String::new(), (String::new(), String::new())),
    };
    // Keystone names every system scope "all" today; keep whatever key it sends.
    let system_scope = t
        .system
        .and_then(|s| {
            s.into_iter()
                .find(|(_, v)| v == &serde_json::Value::Bool(true))
        })
        .map(|(k, _)| k);
    Ok(AuthContext {
        user_id: t.user.id,
        user_name: t.user.name,
        user_domain_id,
        user_domain_name,
        project_id,
        project_name,
        project_domain_id: project_domain.0,
        project_domain_name: project_domain.1,
        domain_id: t.domain.as_ref().map(|d| d.id.clone()),
        domain_name: t.domain.map(|d| d.name),
        system_scope,
        roles: t.roles.into_iter().map(|r| r.name).collect(),
        expires_at,
    })
}

fn domain_of(d: Option<&Entity>) -> (String, String) {
    d.map(|d| (d.id.clone(), d.name.clone()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape Keystone 30 answers for a project-scoped password token (trimmed of the
    // fields nothing reads: methods, audit_ids, issued_at, catalog).
    const PROJECT_TOKEN: &str = r#"{"token": {
        "methods": ["password"],
        "user": {"domain": {"id": "default", "name": "Default"}, "id": "u1", "name": "alice",
                 "password_expires_at": null},
        "audit_ids": ["x"], "expires_at": "2026-12-02T21:00:00.000000Z",
        "issued_at": "2026-12-02T20:00:00.000000Z",
        "project": {"domain": {"id": "default", "name": "Default"}, "id": "p1", "name": "demo"},
        "is_domain": false,
        "roles": [{"id": "r1", "name": "member"}, {"id": "r2", "name": "reader"}]}}"#;

    #[test]
    fn project_token_maps_to_the_builtin_names() {
        let c = context_of(PROJECT_TOKEN.as_bytes()).unwrap();
        assert_eq!((c.user_id.as_str(), c.user_name.as_str()), ("u1", "alice"));
        assert_eq!(
            (c.project_id.as_str(), c.project_name.as_str()),
            ("p1", "demo")
        );
        assert_eq!(c.user_domain_name, "Default");
        assert_eq!(c.project_domain_id, "default");
        assert_eq!(c.roles, ["member", "reader"]);
        assert_eq!(c.expires_at, parse_time("2026-12-02T21:00:00Z").unwrap());
        assert!(c.system_scope.is_none() && c.domain_id.is_none());
    }

    #[test]
    fn system_and_domain_scopes_have_no_project() {
        let system = r#"{"token": {"expires_at": "2026-12-02T21:00:00.000000Z",
            "user": {"id": "u0", "name": "admin", "domain": {"id": "default", "name": "Default"}},
            "system": {"all": true}, "roles": [{"id": "r", "name": "admin"}]}}"#;
        let c = context_of(system.as_bytes()).unwrap();
        assert_eq!(c.system_scope.as_deref(), Some("all"));
        assert!(c.project_id.is_empty());
        let domain = r#"{"token": {"expires_at": "2026-12-02T21:00:00Z",
            "user": {"id": "u0", "name": "admin"}, "domain": {"id": "d1", "name": "D"}, "roles": []}}"#;
        let c = context_of(domain.as_bytes()).unwrap();
        assert_eq!(c.domain_id.as_deref(), Some("d1"));
        assert!(c.project_id.is_empty() && c.system_scope.is_none());
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(context_of(b"not json").is_err());
        assert!(context_of(br#"{"token": {"user": {"id": "u"}}}"#).is_err());
        let bad_time = r#"{"token": {"expires_at": "tomorrow", "user": {"id": "u"}}}"#;
        assert!(
            context_of(bad_time.as_bytes())
                .unwrap_err()
                .contains("expiry")
        );
    }
}
