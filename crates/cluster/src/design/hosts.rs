//! Per-host work: which L2Template a host uses (HOST-1), its NIC order, the addresses its template asks
//! for, and — after allocation — its rendered netplan and the networks it joins.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use sha2::{Digest, Sha256};

use super::layout::{TemplatePlan, shifted, template_key};
use super::services::ApiVip;
use super::subnets::SubnetPlan;
use crate::finding::{Finding, Loc};
use crate::ipam::AllocationKey;
use crate::model::fields::Located;
use crate::model::host::{Host, Nic, TemplateSelector};
use crate::model::l2template::DEFAULT_FOR_CLUSTER;
use crate::render::netplan::{Netplan, read_netplan};
use std::rc::Rc;

use super::layout::report_template_error;
use crate::render::template::{Expansion, IpTarget, Macro, ParsedTemplate};

/// Where hosts find their netplan file (R2 `NetconfigNetplanPath`).
pub const NETPLAN_PATH: &str = "etc/netplan/60-kaas-lcm-netplan.yaml";

/// A host's address on one network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub subnet: String,
    pub iface: String,
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub vlans: BTreeSet<u16>,
    pub nics: BTreeSet<String>,
    pub line: u32,
}

#[derive(Clone, Debug)]
pub struct RenderedHost {
    /// The netplan document as npTemplate produced it (without the `network:` wrapper).
    pub text: String,
    pub netplan: Netplan,
    pub attachments: Vec<Attachment>,
    pub sha256: String,
}

impl RenderedHost {
    /// The file as written to the host: `{network: …}`.
    pub fn file_text(&self) -> String {
        wrap_network(&self.text)
    }
}

pub fn wrap_network(text: &str) -> String {
    let mut out = String::from(
        "# Rendered by neutrino cluster render from the host's L2Template.\nnetwork:\n",
    );
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[derive(Clone, Debug)]
pub struct HostPlan<'a> {
    pub host: &'a Host,
    /// Key of the selected template.
    pub template: Option<String>,
    /// The npTemplate this host renders: an IpamHost override or the template's.
    pub source: Option<Located<String>>,
    pub parsed: Option<Rc<ParsedTemplate>>,
    pub nics: Vec<Nic>,
    pub rendered: Option<RenderedHost>,
}

/// Selects each host's template and NIC order (step 1, before allocation).
pub fn plan_hosts<'a>(
    hosts: &'a [Host],
    templates: &BTreeMap<String, TemplatePlan<'a>>,
    cluster: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Vec<HostPlan<'a>> {
    let mut sorted: Vec<&Host> = hosts.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted
        .into_iter()
        .map(|host| plan_host(host, templates, cluster, findings))
        .collect()
}

fn plan_host<'a>(
    host: &'a Host,
    templates: &BTreeMap<String, TemplatePlan<'a>>,
    cluster: Option<&str>,
    findings: &mut Vec<Finding>,
) -> HostPlan<'a> {
    let mut plan = HostPlan {
        host,
        template: None,
        source: None,
        parsed: None,
        nics: Vec::new(),
        rendered: None,
    };
    let in_namespace = |t: &&TemplatePlan| t.template.meta.namespace == host.namespace;
    let chosen = match &host.selector {
        Some(TemplateSelector::Name(name)) => templates
            .values()
            .filter(in_namespace)
            .find(|t| &t.template.meta.name == name),
        Some(TemplateSelector::Label(label)) => templates
            .values()
            .filter(in_namespace)
            .find(|t| t.template.meta.has_label(label)),
        None => templates.values().filter(in_namespace).find(|t| {
            t.template.meta.has_label(DEFAULT_FOR_CLUSTER) && t.template.meta.cluster() == cluster
        }),
    };
    let Some(chosen) = chosen else {
        let what = match &host.selector {
            Some(TemplateSelector::Name(n)) => format!(
                "L2Template `{n}` does not exist in namespace `{}`",
                host.namespace
            ),
            Some(TemplateSelector::Label(l)) => format!("no L2Template carries the label `{l}`"),
            None => {
                format!("no l2TemplateSelector and no L2Template labelled {DEFAULT_FOR_CLUSTER}")
            }
        };
        findings.push(
            Finding::error("HOST-1", host.id(), host.loc.clone(), format!("host has no L2Template: {what}"))
                .hint("select an existing template for the host or label one template ipam/DefaultForCluster"),
        );
        return plan;
    };
    if let (Some(ours), Some(theirs)) = (cluster, chosen.template.meta.cluster())
        && ours != theirs
    {
        findings.push(
            Finding::error(
                "L2T-7",
                host.id(),
                host.loc.clone(),
                format!(
                    "host uses {}, which is bound to cluster `{theirs}`, not `{ours}`",
                    chosen.template.meta.id()
                ),
            )
            .hint("use a template labelled for this cluster"),
        );
        return plan;
    }
    plan.template = Some(template_key(chosen.template));
    plan.nics = match nic_order(host, chosen) {
        Ok(nics) => nics,
        Err(message) => {
            findings.push(
                Finding::error("L2T-4", host.id(), host.loc.clone(), message)
                    .hint("make ifMapping/ifMappingOverride name NICs the host has"),
            );
            return plan;
        }
    };
    match &host.np_template_override {
        Some(text) => match ParsedTemplate::parse(&text.value) {
            Ok(parsed) => {
                plan.parsed = Some(Rc::new(parsed));
                plan.source = Some(text.clone());
            }
            Err(error) => report_template_error(&host.id(), &text.loc, error, findings),
        },
        None => {
            plan.parsed = chosen.parsed.clone();
            plan.source = chosen.template.np_template.clone();
        }
    }
    if let Some(parsed) = plan.parsed.clone() {
        let needed = parsed
            .macros()
            .filter_map(|(mac, line)| mac.nic_index().map(|n| (n, line)));
        for (index, line) in needed {
            if index >= plan.nics.len() {
                let loc = plan
                    .source
                    .as_ref()
                    .map_or(host.loc.clone(), |s| shifted(&s.loc, line));
                findings.push(
                    Finding::error(
                        "L2T-4",
                        host.id(),
                        loc,
                        format!(
                            "the template uses NIC {index}, but host `{}` has {} NIC(s)",
                            host.name,
                            plan.nics.len()
                        ),
                    )
                    .hint("add the NIC to the host inventory or use a template for this hardware"),
                );
                plan.parsed = None;
                break;
            }
        }
    }
    plan
}

/// The host's NICs in template order (mosk-model §1.5 step 2).
fn nic_order(host: &Host, template: &TemplatePlan) -> Result<Vec<Nic>, String> {
    let by_names = |names: Vec<&str>| -> Result<Vec<Nic>, String> {
        names
            .into_iter()
            .map(|n| {
                host.nics
                    .iter()
                    .find(|nic| nic.name == n)
                    .cloned()
                    .ok_or_else(|| {
                        format!(
                            "ifMapping names NIC `{n}`, which host `{}` does not have",
                            host.name
                        )
                    })
            })
            .collect()
    };
    if !host.if_mapping_override.is_empty() {
        return by_names(
            host.if_mapping_override
                .iter()
                .map(String::as_str)
                .collect(),
        );
    }
    let t = template.template;
    if !t.if_mapping.is_empty() {
        return by_names(t.if_mapping.iter().map(|l| l.value.as_str()).collect());
    }
    let mut nics = host.nics.clone();
    if !t.auto_if_mapping_prio.is_empty() {
        let rank = |nic: &Nic| {
            t.auto_if_mapping_prio
                .iter()
                .position(|p| nic.name.starts_with(p.value.as_str()))
                .unwrap_or(usize::MAX)
        };
        nics.sort_by(|a, b| (rank(a), &a.name).cmp(&(rank(b), &b.name)));
    }
    Ok(nics)
}

/// The interface an `ip` macro addresses on this host.
fn ip_interface(target: &IpTarget, nics: &[Nic]) -> Option<String> {
    match target {
        IpTarget::Nic(n) => nics.get(*n).map(|nic| nic.name.clone()),
        IpTarget::Interface(name) => Some(name.clone()),
    }
}

/// The addresses a host's template asks for.
pub fn requests(plan: &HostPlan, templates: &BTreeMap<String, TemplatePlan>) -> Vec<AllocationKey> {
    let (Some(parsed), Some(key)) = (&plan.parsed, &plan.template) else {
        return Vec::new();
    };
    let Some(layout) = templates.get(key).map(|t| &t.layout) else {
        return Vec::new();
    };
    parsed
        .macros()
        .filter_map(|(mac, _)| match mac {
            Macro::Ip { target, subnet } => Some(AllocationKey {
                subnet: layout.get(subnet)?.clone(),
                host: plan.host.name.clone(),
                interface: ip_interface(target, &plan.nics)?,
            }),
            _ => None,
        })
        .collect()
}

/// Everything rendering needs besides the host itself.
pub struct RenderContext<'c> {
    pub subnets: &'c BTreeMap<String, SubnetPlan>,
    pub templates: &'c BTreeMap<String, TemplatePlan<'c>>,
    pub addresses: &'c BTreeMap<AllocationKey, Ipv4Addr>,
    pub vip: Option<&'c ApiVip>,
}

/// Renders one host (step 3, after allocation). Problems become findings on the template's lines.
pub fn render_host(plan: &mut HostPlan, ctx: &RenderContext, findings: &mut Vec<Finding>) {
    let (Some(parsed), Some(tkey), Some(source)) = (&plan.parsed, &plan.template, &plan.source)
    else {
        return;
    };
    let Some(layout) = ctx.templates.get(tkey).map(|t| &t.layout) else {
        return;
    };
    let object = ctx
        .templates
        .get(tkey)
        .map_or_else(|| plan.host.id(), |t| t.template.meta.id());
    let host = plan.host;
    let nics = &plan.nics;
    let subnet_of = |name: &str| -> Result<&SubnetPlan, String> {
        layout
            .get(name)
            .and_then(|k| ctx.subnets.get(k))
            .ok_or_else(|| format!("subnet `{name}` is not usable (see its own findings)"))
    };
    let expand = |mac: &Macro| -> Result<Expansion, String> {
        let text = match mac {
            Macro::Nic(n) => nics
                .get(*n)
                .map(|x| x.name.clone())
                .ok_or_else(|| format!("no NIC {n}")),
            Macro::Mac(n) => nics
                .get(*n)
                .map(|x| x.mac.clone())
                .ok_or_else(|| format!("no NIC {n}")),
            Macro::Ip { target, subnet } => {
                let plan = subnet_of(subnet)?;
                let iface = ip_interface(target, nics).ok_or("no such NIC")?;
                let key = AllocationKey {
                    subnet: plan.key.clone(),
                    host: host.name.clone(),
                    interface: iface,
                };
                ctx.addresses
                    .get(&key)
                    .map(|a| format!("{a}/{}", plan.cidr.prefix_len()))
                    .ok_or_else(|| format!("no free address in Subnet `{}`", plan.name))
            }
            Macro::Cidr(s) => subnet_of(s).map(|p| p.cidr.to_string()),
            Macro::Gateway(s) => subnet_of(s)?
                .gateway
                .map(|g| g.to_string())
                .ok_or_else(|| format!("Subnet `{s}` has no gateway")),
            Macro::Nameservers(s) => {
                let list: Vec<String> = subnet_of(s)?
                    .nameservers
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                return Ok(Expansion::List(list));
            }
            Macro::ClusterApiLbIp => ctx
                .vip
                .map(|v| v.address.to_string())
                .ok_or_else(|| "no API VIP".to_string()),
        };
        text.map(Expansion::Text)
    };
    // Allocation failures are reported once per Subnet (SN-5); such a host is simply not rendered.
    let Ok(values) = parsed
        .macros()
        .map(|(mac, _)| expand(mac))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let (text, doc) = parsed.render(&values);
    let (netplan, problems) = read_netplan(&doc);
    for problem in problems {
        let rule = if problem.message.contains("longer than 15") {
            "L2T-6"
        } else {
            "L2T-5"
        };
        findings.push(
            Finding::error(rule, &object, shifted(&source.loc, problem.line), problem.message)
                .hint("netplan v2 needs `version: 2`, valid interface names (≤15 chars), VLAN ids 1…4094 and defined links"),
        );
    }
    let attachments = attachments(&netplan, &host.name, ctx);
    let sha256 = hex(&Sha256::digest(wrap_network(&text).as_bytes()));
    plan.rendered = Some(RenderedHost {
        text,
        netplan,
        attachments,
        sha256,
    });
}

fn attachments(netplan: &Netplan, host: &str, ctx: &RenderContext) -> Vec<Attachment> {
    let mut out = Vec::new();
    for iface in netplan.interfaces.values() {
        for (net, line) in &iface.addresses {
            let address = net.addr();
            // The Subnet the allocator used for this interface wins; static addresses are matched by CIDR.
            let allocated = ctx
                .subnets
                .values()
                .filter(|s| s.cidr.contains(&address))
                .find(|s| {
                    ctx.addresses.get(&AllocationKey {
                        subnet: s.key.clone(),
                        host: host.to_string(),
                        interface: iface.name.clone(),
                    }) == Some(&address)
                });
            let subnet = allocated.or_else(|| most_specific(ctx.subnets, address));
            let Some(subnet) = subnet else {
                continue;
            };
            out.push(Attachment {
                subnet: subnet.key.clone(),
                iface: iface.name.clone(),
                address,
                prefix: net.prefix_len(),
                vlans: netplan.vlan_ids(&iface.name),
                nics: netplan.physical_nics(&iface.name),
                line: *line,
            });
        }
    }
    out
}

fn most_specific(subnets: &BTreeMap<String, SubnetPlan>, address: Ipv4Addr) -> Option<&SubnetPlan> {
    subnets
        .values()
        .filter(|s| s.cidr.contains(&address))
        .max_by_key(|s| s.cidr.prefix_len())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `net` covers all of `other`.
pub fn covers(net: &Ipv4Net, other: &Ipv4Net) -> bool {
    net.prefix_len() <= other.prefix_len() && net.contains(&other.network())
}

/// The place of a host's fact: a line of its rendered template, or the host itself.
pub fn host_loc(plan: &HostPlan, line: u32) -> Loc {
    match &plan.source {
        Some(src) if line > 0 => shifted(&src.loc, line),
        _ => plan.host.loc.clone(),
    }
}
