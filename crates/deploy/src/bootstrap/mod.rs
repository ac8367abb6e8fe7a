//! `bootstrap`: the floating network, its subnet and the router with its gateway, made to match the
//! spec through the Networking API. Objects are found by name, as the reference's bootstrap job
//! finds them; unlike that job, what differs is updated, and what cannot be updated in place (the
//! provider attributes of the network, the range of the subnet) is re-created — unless floating IPs
//! are allocated from it, which would strand them: then nothing is changed and they are named.

pub mod client;

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{Value, json};

use crate::error::DeployError;
use crate::spec::Deployment;
use client::Client;

/// What the spec asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub network: String,
    pub network_type: String,
    pub physnet: Option<String>,
    pub segmentation_id: Option<i64>,
    pub subnet: String,
    pub cidr: Ipv4Net,
    pub gateway: Ipv4Addr,
    pub pool: (Ipv4Addr, Ipv4Addr),
    pub router: String,
    /// The MTU of the physnet (`external_networks[].mtu`), given to the network.
    pub mtu: Option<i64>,
}

impl Desired {
    /// None when `floating_network` is not enabled (or incomplete: `check` reports that).
    pub fn from_spec(d: &Deployment) -> Option<Desired> {
        let f = d.floating()?;
        let s = f.subnet.as_ref()?;
        Some(Desired {
            network: f.name().to_string(),
            network_type: f.network_type().name().to_string(),
            physnet: f.physnet.as_ref().map(|p| p.value.clone()),
            segmentation_id: f.segmentation_id.as_ref().map(|s| s.value),
            subnet: s.name().to_string(),
            cidr: s.range.as_ref()?.value,
            gateway: s.gateway.as_ref()?.value,
            pool: (s.pool_start.as_ref()?.value, s.pool_end.as_ref()?.value),
            router: f.router_name().to_string(),
            mtu: f
                .physnet
                .as_ref()
                .and_then(|p| d.external_network(&p.value))
                .and_then(|e| e.mtu.as_ref())
                .map(|m| m.value),
        })
    }

    /// The provider attributes; Neutron cannot change them on a network in use.
    fn provider(&self) -> [(&'static str, Value); 3] {
        [
            ("provider:network_type", json!(self.network_type)),
            ("provider:physical_network", json!(self.physnet)),
            ("provider:segmentation_id", json!(self.segmentation_id)),
        ]
    }

    fn pools(&self) -> Value {
        json!([{"start": self.pool.0.to_string(), "end": self.pool.1.to_string()}])
    }
}

pub struct Outcome {
    /// The diff (and, unless a dry run, what was done).
    pub report: String,
    /// A change was refused because it would strand floating IPs; nothing was changed.
    pub refused: bool,
}

#[derive(Debug)]
enum Step {
    CreateNetwork,
    UpdateNetwork(Value),
    ReplaceNetwork,
    CreateSubnet,
    UpdateSubnet(String, Value),
    ReplaceSubnet(String),
    CreateRouter,
    SetGateway(String),
}

#[derive(Default)]
struct Plan {
    lines: Vec<String>,
    steps: Vec<Step>,
    network_id: Option<String>,
    router_id: Option<String>,
    /// Floating IPs a re-creation would take away: (address, id).
    stranded: Vec<(String, String)>,
}

/// Compares the cloud with `desired`, prints the diff and, unless `dry_run` or refused, applies it.
pub fn run(client: &Client, desired: &Desired, dry_run: bool) -> Result<Outcome, DeployError> {
    let plan = plan(client, desired)?;
    let mut report = plan.lines.join("\n");
    report.push('\n');
    if !plan.stranded.is_empty() {
        report.push_str(&format!(
            "refused: the change would strand {} allocated floating IP(s): {}\nnothing was changed; release them first or keep the old values\n",
            plan.stranded.len(),
            plan.stranded
                .iter()
                .map(|(a, id)| format!("{a} ({id})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return Ok(Outcome {
            report,
            refused: true,
        });
    }
    if plan.steps.is_empty() {
        report.push_str("nothing to change\n");
    } else if dry_run {
        report.push_str(&format!(
            "dry run: {} change(s) not applied\n",
            plan.steps.len()
        ));
    } else {
        apply(client, desired, plan.steps, plan.network_id, plan.router_id)?;
        report.push_str("applied\n");
    }
    Ok(Outcome {
        report,
        refused: false,
    })
}

/// The one object of a kind with this name (and parent filter), if any.
fn find_one(client: &Client, kind: &str, query: &str) -> Result<Option<Value>, DeployError> {
    let answer = client.get(&format!("/v2.0/{kind}?{query}"))?;
    let items = answer[kind].as_array().cloned().unwrap_or_default();
    match items.len() {
        0 => Ok(None),
        1 => Ok(items.into_iter().next()),
        n => Err(DeployError::Cloud(format!(
            "{n} {kind} match `{query}`: bootstrap finds its objects by name, so names must be unique"
        ))),
    }
}

/// Percent-encodes a query value (names may hold any character).
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

fn plan(client: &Client, want: &Desired) -> Result<Plan, DeployError> {
    let mut p = Plan::default();
    let (network_new, fips) = plan_network(client, want, &mut p)?;
    let subnet_new = plan_subnet(client, want, network_new, &fips, &mut p)?;
    plan_router(client, want, network_new || subnet_new, &mut p)?;
    Ok(p)
}

/// The network: created, updated, or re-created for new provider attributes. Returns whether it
/// is new (or re-created) and the floating IPs allocated on it.
fn plan_network(
    client: &Client,
    want: &Desired,
    p: &mut Plan,
) -> Result<(bool, Vec<Value>), DeployError> {
    let network = find_one(
        client,
        "networks",
        &format!("name={}", query_value(&want.network)),
    )?;
    let mut network_new = true;
    let mut fips = Vec::new();
    match &network {
        None => {
            p.lines.push(format!(
                "+ network {}: external, {} on {}{}",
                want.network,
                want.network_type,
                want.physnet.as_deref().unwrap_or("(any physnet)"),
                want.segmentation_id
                    .map(|s| format!(", segmentation id {s}"))
                    .unwrap_or_default()
            ));
            p.steps.push(Step::CreateNetwork);
        }
        Some(net) => {
            let id = id_of(net);
            p.network_id = Some(id.clone());
            let answer = client.get(&format!("/v2.0/floatingips?floating_network_id={id}"))?;
            fips = answer["floatingips"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let (changed, _) = differences(net, &want.provider());
            if !changed.is_empty() {
                p.lines.push(format!(
                    "! network {}: {} (cannot change in place: re-created)",
                    want.network,
                    changed.join(", ")
                ));
                p.stranded.extend(fips.iter().map(fip_name));
                p.steps.push(Step::ReplaceNetwork);
            } else {
                network_new = false;
                let mut wanted = vec![("router:external", json!(true))];
                if let Some(mtu) = want.mtu {
                    wanted.push(("mtu", json!(mtu)));
                }
                let (diffs, body) = differences(net, &wanted);
                if diffs.is_empty() {
                    p.lines.push(format!("= network {}", want.network));
                } else {
                    p.lines
                        .push(format!("~ network {}: {}", want.network, diffs.join(", ")));
                    p.steps.push(Step::UpdateNetwork(body));
                }
            }
        }
    }
    Ok((network_new, fips))
}

/// The subnet: created, updated, or re-created for a new range. Returns whether it is new.
fn plan_subnet(
    client: &Client,
    want: &Desired,
    network_new: bool,
    fips: &[Value],
    p: &mut Plan,
) -> Result<bool, DeployError> {
    let subnet = match (&p.network_id, network_new) {
        (Some(id), false) => find_one(
            client,
            "subnets",
            &format!("network_id={id}&name={}", query_value(&want.subnet)),
        )?,
        _ => None,
    };
    let mut subnet_new = true;
    match &subnet {
        None => {
            p.lines.push(format!(
                "+ subnet {}: {} gateway {} pool {}-{}, DHCP off",
                want.subnet, want.cidr, want.gateway, want.pool.0, want.pool.1
            ));
            p.steps.push(Step::CreateSubnet);
        }
        Some(s) => {
            let id = id_of(s);
            if s["cidr"] != json!(want.cidr.to_string()) {
                p.lines.push(format!(
                    "! subnet {}: cidr {} → {} (cannot change in place: re-created)",
                    want.subnet, s["cidr"], want.cidr
                ));
                let old: Option<Ipv4Net> = s["cidr"].as_str().and_then(|c| c.parse().ok());
                p.stranded.extend(
                    fips.iter()
                        .filter(|f| {
                            f["floating_ip_address"]
                                .as_str()
                                .and_then(|a| a.parse::<Ipv4Addr>().ok())
                                .is_some_and(|a| old.is_some_and(|o| o.contains(&a)))
                        })
                        .map(fip_name),
                );
                p.steps.push(Step::ReplaceSubnet(id));
            } else {
                subnet_new = false;
                let (diffs, body) = differences(
                    s,
                    &[
                        ("gateway_ip", json!(want.gateway.to_string())),
                        ("allocation_pools", want.pools()),
                        ("enable_dhcp", json!(false)),
                    ],
                );
                if diffs.is_empty() {
                    p.lines.push(format!("= subnet {}", want.subnet));
                } else {
                    p.lines
                        .push(format!("~ subnet {}: {}", want.subnet, diffs.join(", ")));
                    p.steps.push(Step::UpdateSubnet(id, body));
                }
            }
        }
    }
    Ok(subnet_new)
}

/// The router: created with its gateway, or given the gateway again when it is elsewhere or its
/// network or subnet is new.
fn plan_router(
    client: &Client,
    want: &Desired,
    gateway_new: bool,
    p: &mut Plan,
) -> Result<(), DeployError> {
    let router = find_one(
        client,
        "routers",
        &format!("name={}", query_value(&want.router)),
    )?;
    match &router {
        None => {
            p.lines.push(format!(
                "+ router {}: gateway on {}",
                want.router, want.network
            ));
            p.steps.push(Step::CreateRouter);
        }
        Some(r) => {
            let id = id_of(r);
            p.router_id = Some(id.clone());
            let on_network = p.network_id.as_ref().is_some_and(|n| {
                r["external_gateway_info"]["network_id"].as_str() == Some(n.as_str())
            });
            if on_network && !gateway_new {
                p.lines.push(format!("= router {}", want.router));
            } else {
                p.lines.push(format!(
                    "~ router {}: gateway → {}",
                    want.router, want.network
                ));
                p.steps.push(Step::SetGateway(id));
            }
        }
    }
    Ok(())
}

/// The attributes of `current` that differ from `wanted`: "key old → new" texts and the update body.
fn differences(current: &Value, wanted: &[(&str, Value)]) -> (Vec<String>, Value) {
    let mut body = serde_json::Map::new();
    let mut diffs = Vec::new();
    for (key, value) in wanted {
        if current[*key] != *value {
            diffs.push(format!("{key} {} → {value}", current[*key]));
            body.insert((*key).into(), value.clone());
        }
    }
    (diffs, Value::Object(body))
}

fn fip_name(f: &Value) -> (String, String) {
    (
        f["floating_ip_address"].as_str().unwrap_or("?").to_string(),
        id_of(f),
    )
}

fn apply(
    client: &Client,
    want: &Desired,
    steps: Vec<Step>,
    mut network_id: Option<String>,
    router_id: Option<String>,
) -> Result<(), DeployError> {
    // A re-created network or subnet must first lose the router's gateway port on it.
    let clear_gateway = |client: &Client| -> Result<(), DeployError> {
        if let Some(r) = &router_id {
            client.put(
                &format!("/v2.0/routers/{r}"),
                json!({"router": {"external_gateway_info": null}}),
            )?;
        }
        Ok(())
    };
    let gateway = |network: &Option<String>| json!({"network_id": network});
    for step in steps {
        match step {
            Step::ReplaceNetwork => {
                clear_gateway(client)?;
                if let Some(id) = &network_id {
                    client.delete(&format!("/v2.0/networks/{id}"))?;
                }
                network_id = Some(create_network(client, want)?);
            }
            Step::CreateNetwork => network_id = Some(create_network(client, want)?),
            Step::UpdateNetwork(body) => {
                let id = network_id.as_deref().unwrap_or_default();
                client.put(&format!("/v2.0/networks/{id}"), json!({"network": body}))?;
            }
            Step::ReplaceSubnet(id) => {
                clear_gateway(client)?;
                client.delete(&format!("/v2.0/subnets/{id}"))?;
                create_subnet(client, want, network_id.as_deref())?;
            }
            Step::CreateSubnet => create_subnet(client, want, network_id.as_deref())?,
            Step::UpdateSubnet(id, body) => {
                client.put(&format!("/v2.0/subnets/{id}"), json!({"subnet": body}))?;
            }
            Step::CreateRouter => {
                client.post(
                    "/v2.0/routers",
                    json!({"router": {"name": want.router, "external_gateway_info": gateway(&network_id)}}),
                )?;
            }
            Step::SetGateway(id) => {
                client.put(
                    &format!("/v2.0/routers/{id}"),
                    json!({"router": {"external_gateway_info": gateway(&network_id)}}),
                )?;
            }
        }
    }
    Ok(())
}

fn create_network(client: &Client, want: &Desired) -> Result<String, DeployError> {
    let mut body = json!({"name": want.network, "router:external": true});
    if let (Some(obj), Some(mtu)) = (body.as_object_mut(), want.mtu) {
        obj.insert("mtu".into(), json!(mtu));
    }
    if let Some(obj) = body.as_object_mut() {
        for (k, v) in want.provider().into_iter().filter(|(_, v)| !v.is_null()) {
            obj.insert(k.into(), v);
        }
    }
    let answer = client.post("/v2.0/networks", json!({"network": body}))?;
    Ok(id_of(&answer["network"]))
}

fn create_subnet(
    client: &Client,
    want: &Desired,
    network: Option<&str>,
) -> Result<(), DeployError> {
    client.post(
        "/v2.0/subnets",
        json!({"subnet": {
            "name": want.subnet,
            "network_id": network,
            "ip_version": 4,
            "cidr": want.cidr.to_string(),
            "gateway_ip": want.gateway.to_string(),
            "enable_dhcp": false,
            "allocation_pools": want.pools(),
        }}),
    )?;
    Ok(())
}
