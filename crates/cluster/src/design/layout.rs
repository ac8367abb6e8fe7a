//! Resolving L2Templates: which Subnet each `l3Layout` entry means (L2T-3, SN-6), whether the npTemplate
//! parses and only uses what the layout provides (L2T-4), and the template-level rules L2T-1/L2T-2.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::role::NetRole;
use super::services::ApiVip;
use super::subnets::{SubnetPlan, subnet_key};
use crate::finding::{Finding, Loc};
use crate::model::Input;
use crate::model::l2template::{DEFAULT_FOR_CLUSTER, L2Template, L3Subnet, Scope};
use crate::model::meta::CLUSTER_LABEL;
use crate::model::subnet::Subnet;

use crate::render::template::{Macro, ParsedTemplate, TemplateError};

/// A template ready to render: layout name → Subnet key, and the parsed npTemplate.
#[derive(Clone, Debug)]
pub struct TemplatePlan<'a> {
    pub template: &'a L2Template,
    pub layout: BTreeMap<String, String>,
    /// None when the template cannot be rendered (its errors are already reported).
    pub parsed: Option<Rc<ParsedTemplate>>,
}

pub fn template_key(t: &L2Template) -> String {
    format!("{}/{}", t.meta.namespace, t.meta.name)
}

pub fn plan_templates<'a>(
    input: &'a Input,
    subnets: &BTreeMap<String, SubnetPlan>,
    vip: Option<&ApiVip>,
    findings: &mut Vec<Finding>,
) -> BTreeMap<String, TemplatePlan<'a>> {
    let mut plans = BTreeMap::new();
    let mut defaults: BTreeMap<Option<&str>, Vec<&L2Template>> = BTreeMap::new();
    for template in &input.templates {
        if template.meta.has_label(DEFAULT_FOR_CLUSTER) {
            defaults
                .entry(template.meta.cluster())
                .or_default()
                .push(template);
        }
        let plan = plan_template(input, template, subnets, vip, findings);
        plans.insert(template_key(template), plan);
    }
    for (cluster, list) in defaults {
        for extra in list.iter().skip(1) {
            findings.push(
                Finding::error(
                    "L2T-2",
                    extra.meta.id(),
                    extra.meta.loc.clone(),
                    format!(
                        "cluster `{}` has more than one L2Template labelled {DEFAULT_FOR_CLUSTER} (also {})",
                        cluster.unwrap_or("?"),
                        list[0].meta.id()
                    ),
                )
                .hint("keep the label on one template; select the others per host with l2TemplateSelector"),
            );
        }
    }
    plans
}

fn plan_template<'a>(
    input: &Input,
    template: &'a L2Template,
    subnets: &BTreeMap<String, SubnetPlan>,
    vip: Option<&ApiVip>,
    findings: &mut Vec<Finding>,
) -> TemplatePlan<'a> {
    let id = template.meta.id();
    let mut renderable = true;
    check_labels(template, findings);
    if !template.if_mapping.is_empty() && !template.auto_if_mapping_prio.is_empty() {
        findings.push(
            Finding::error(
                "L2T-1",
                &id,
                template.auto_if_mapping_prio[0].loc.clone(),
                "ifMapping and autoIfMappingPrio are both set; they are mutually exclusive",
            )
            .hint("keep ifMapping for a fixed NIC order, or autoIfMappingPrio for prefix-based mapping"),
        );
        renderable = false;
    }
    let mut layout = BTreeMap::new();
    for entry in &template.l3_layout {
        match resolve_entry(input, template, entry) {
            Ok(subnet) => {
                let key = subnet_key(&subnet.meta.namespace, &subnet.meta.name);
                if subnets
                    .get(&key)
                    .is_some_and(|s| s.labelled.contains(&NetRole::Services))
                {
                    findings.push(
                        Finding::error(
                            "SN-6",
                            &id,
                            entry.subnet_name.loc.clone(),
                            format!(
                                "l3Layout uses `{}`, a MetalLB Subnet (ipam/SVC-MetalLB)",
                                subnet.meta.name
                            ),
                        )
                        .hint(
                            "MetalLB Subnets are virtual: never reference them from an L2Template",
                        ),
                    );
                    renderable = false;
                }
                layout.insert(entry.subnet_name.value.clone(), key);
            }
            Err(message) => {
                findings.push(
                    Finding::error("L2T-3", &id, entry.subnet_name.loc.clone(), message)
                        .hint("create the Subnet, fix the name/scope, or make its labels equal the labelSelector"),
                );
                renderable = false;
            }
        }
    }
    let Some(np) = &template.np_template else {
        return TemplatePlan {
            template,
            layout,
            parsed: None,
        };
    };
    let parsed = match ParsedTemplate::parse(&np.value) {
        Ok(parsed) => parsed,
        Err(error) => {
            report_template_error(&id, &np.loc, error, findings);
            return TemplatePlan {
                template,
                layout,
                parsed: None,
            };
        }
    };
    for (mac, line) in parsed.macros() {
        let loc = shifted(&np.loc, line);
        if let Some(name) = mac.subnet() {
            let Some(key) = layout.get(name) else {
                // A missing layout entry that failed to resolve was reported as L2T-3 already.
                if !template
                    .l3_layout
                    .iter()
                    .any(|e| e.subnet_name.value == name)
                {
                    findings.push(
                        Finding::error(
                            "L2T-4",
                            &id,
                            loc,
                            format!("macro uses subnet `{name}`, which is not in l3Layout"),
                        )
                        .hint(format!("add `{{subnetName: {name}}}` to spec.l3Layout")),
                    );
                }
                renderable = false;
                continue;
            };
            if let (Macro::Gateway(_), Some(plan)) = (mac, subnets.get(key))
                && plan.gateway.is_none()
            {
                findings.push(
                    Finding::error(
                        "L2T-4",
                        &id,
                        loc,
                        format!("gateway_from_subnet \"{name}\": the Subnet has no gateway"),
                    )
                    .hint("set spec.gateway on the Subnet or drop the route"),
                );
                renderable = false;
            }
        } else if *mac == Macro::ClusterApiLbIp && vip.is_none() {
            findings.push(
                Finding::error(
                    "L2T-4",
                    &id,
                    loc,
                    "cluster_api_lb_ip is used, but the cluster has no API VIP",
                )
                .hint("set loadBalancerHost in the Cluster or add an ipam/SVC-LBhost Subnet"),
            );
            renderable = false;
        }
    }
    TemplatePlan {
        template,
        layout,
        parsed: renderable.then(|| Rc::new(parsed)),
    }
}

/// L2T-4 for macro syntax, L2T-5 for a template that is not YAML.
pub fn report_template_error(
    object: &str,
    start: &Loc,
    error: TemplateError,
    findings: &mut Vec<Finding>,
) {
    match error {
        TemplateError::Macros(errors) => {
            for e in errors {
                findings.push(
                    Finding::error("L2T-4", object, shifted(start, e.line), e.message)
                        .hint("see the npTemplate macro list in docs/cluster.md"),
                );
            }
        }
        TemplateError::Yaml(e) => findings.push(
            Finding::error("L2T-5", object, shifted(start, e.line), e.message)
                .hint("check indentation and quoting around the macros"),
        ),
    }
}

/// L2T-7: a template must carry the cluster label (mandatory since MOSK 23.3; an old `clusterRef` is
/// migrated to it). L2T-8: `ipam/DefaultForCluster` is the only `ipam/*` label a user sets on it.
fn check_labels(template: &L2Template, findings: &mut Vec<Finding>) {
    let id = template.meta.id();
    if template.meta.cluster().is_none() && template.cluster_ref.is_none() {
        findings.push(
            Finding::error(
                "L2T-7",
                &id,
                template.meta.loc.clone(),
                format!("L2Template has no {CLUSTER_LABEL} label, so Container Cloud assigns it to no cluster"),
            )
            .hint(format!("add the label `{CLUSTER_LABEL}: <cluster name>`")),
        );
    }
    for label in template.meta.labels.keys() {
        if label.starts_with("ipam/") && label != DEFAULT_FOR_CLUSTER {
            findings.push(
                Finding::warning(
                    "L2T-8",
                    &id,
                    template.meta.loc.clone(),
                    format!("label `{label}` is set by the IPAM controller, not by users"),
                )
                .hint(format!(
                    "remove it; on an L2Template users set only {DEFAULT_FOR_CLUSTER}"
                )),
            );
        }
    }
}

/// The place of line `line` (1-based) of a template that starts at `start`.
pub fn shifted(start: &Loc, line: u32) -> Loc {
    Loc::new(&start.file, start.line + line.saturating_sub(1))
}

/// Finds the Subnet an l3Layout entry means, per its scope and label selector (mosk-model §1.2, §1.3).
fn resolve_entry<'a>(
    input: &'a Input,
    template: &L2Template,
    entry: &L3Subnet,
) -> Result<&'a Subnet, String> {
    let name = &entry.subnet_name.value;
    let namespace = match entry.scope {
        Scope::Global => "default",
        Scope::Namespace | Scope::Cluster => template.meta.namespace.as_str(),
    };
    let in_scope: Vec<&Subnet> = input
        .subnets
        .iter()
        .filter(|s| s.meta.namespace == namespace)
        .filter(|s| entry.scope != Scope::Cluster || s.meta.cluster() == template.meta.cluster())
        .collect();
    let matches_labels = |s: &Subnet| {
        entry
            .label_selector
            .iter()
            .all(|(k, v)| s.meta.labels.get(k) == Some(v))
    };
    let by_name = in_scope.iter().find(|s| &s.meta.name == name).copied();
    if entry.label_selector.is_empty() {
        return by_name.ok_or_else(|| {
            format!("l3Layout subnet `{name}` not found in namespace `{namespace}`")
        });
    }
    if let Some(subnet) = by_name {
        return if matches_labels(subnet) {
            Ok(subnet)
        } else {
            Err(format!(
                "Subnet `{name}` exists, but its labels do not match the labelSelector {:?}: hosts would not be rendered",
                entry.label_selector
            ))
        };
    }
    let found: Vec<&Subnet> = in_scope.into_iter().filter(|s| matches_labels(s)).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no Subnet in namespace `{namespace}` matches the labelSelector {:?} of `{name}`",
            entry.label_selector
        )),
        many => Err(format!(
            "the labelSelector of `{name}` matches {} Subnets ({}); it must select one",
            many.len(),
            many.iter()
                .map(|s| s.meta.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
