//! Quality of Service (`/v2.0/qos/...`): policies, their rules, the rule types the back end
//! supports, and the `qos_policy_id` of ports and networks. Policies are shared like networks
//! (RBAC `access_as_shared`, a wildcard policy being `shared`); writing policies and rules is
//! for admins, as upstream's default policy has it.

mod bindings;
mod policy;
mod rule_types;
mod rules;

pub(crate) use bindings::{bind_on_create, bind_on_update, unbind};
pub use policy::QosPolicies;
pub(crate) use policy::sync_shared_flag;
pub use rule_types::{rule_type, rule_types};
pub(crate) use rules::rules_of;
pub use rules::{RULE_KINDS, RuleKind, rule_kind};

use crate::Error;

/// The RBAC object type of a policy.
pub(crate) const OBJECT_TYPE: &str = "qos_policy";

pub(crate) fn policy_not_found(id: &str) -> Error {
    Error::not_found(
        "QosPolicyNotFound",
        format!("QoS policy {id} could not be found."),
    )
}

pub(crate) fn rule_not_found(rule_id: &str, policy_id: &str) -> Error {
    Error::not_found(
        "QosRuleNotFound",
        format!("QoS rule {rule_id} for policy {policy_id} could not be found."),
    )
}
