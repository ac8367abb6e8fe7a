//! Who is calling: the identity's answer, reduced to what policy needs.

/// The authenticated caller of one request. Roles are already expanded
/// (admin ⇒ member ⇒ reader), as Keystone puts them in tokens.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: String,
    pub project_id: String,
    pub roles: Vec<String>,
}

impl Caller {
    /// For a call upstream's policy gives administrators only: 403 naming `rule` to others.
    pub(crate) fn require_admin(&self, rule: &str) -> crate::Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(crate::Error::policy(&format!("rule:{rule}")))
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// `context_is_admin`: admins are not scoped to a project.
    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }

    /// PROJECT_MEMBER for the caller's own project, or ADMIN.
    pub fn may_write(&self, project_id: &str) -> bool {
        self.is_admin() || (self.has_role("member") && project_id == self.project_id)
    }

    /// PROJECT_READER for the caller's own project, or ADMIN.
    pub fn may_read(&self, project_id: &str) -> bool {
        self.is_admin() || (self.has_role("reader") && project_id == self.project_id)
    }
}
