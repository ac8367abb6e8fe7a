//! An SVG picture of the design: the stretched networks across the top, one column per rack with its
//! rack-local segments and its hosts, and in each host the networks it joins (VLAN, address).
//! Colours follow the network role so a segment and its hosts' addresses match at a glance.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::design::Design;
use crate::design::hosts::HostPlan;
use crate::design::role::NetRole;
use crate::design::subnets::SubnetPlan;

const COLUMN: u32 = 360;
const GAP: u32 = 20;
const MARGIN: u32 = 20;
const LINE: u32 = 15;
const BAR: u32 = 22;

fn colour(roles: &BTreeSet<NetRole>) -> &'static str {
    match roles.iter().next() {
        Some(NetRole::Lcm) => "#1f77b4",
        Some(NetRole::Pods) => "#2ca02c",
        Some(NetRole::External) => "#ff7f0e",
        Some(NetRole::CephPublic) => "#9467bd",
        Some(NetRole::CephCluster) => "#8c564b",
        Some(NetRole::Tenant) => "#17becf",
        Some(NetRole::Pxe) => "#7f7f7f",
        Some(NetRole::Oob) => "#d62728",
        Some(NetRole::Services | NetRole::ApiVip) => "#e377c2",
        None => "#444444",
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn role_tags(s: &SubnetPlan) -> String {
    let tags: Vec<&str> = s.roles.iter().map(|r| r.tag()).collect();
    if tags.is_empty() {
        "other".to_string()
    } else {
        tags.join("+")
    }
}

/// Racks in name order; hosts without a rack go to a column named "(no rack)".
fn racks<'d, 'a>(design: &'d Design<'a>) -> BTreeMap<String, Vec<&'d HostPlan<'a>>> {
    let mut racks: BTreeMap<String, Vec<&HostPlan>> = BTreeMap::new();
    for host in &design.hosts {
        let rack = if host.host.rack.is_empty() {
            "(no rack)".to_string()
        } else {
            host.host.rack.clone()
        };
        racks.entry(rack).or_default().push(host);
    }
    racks
}

pub fn svg(design: &Design) -> String {
    let racks = racks(design);
    // Which racks each Subnet is used in, and on which VLANs.
    let mut usage: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<u16>)> = BTreeMap::new();
    for (rack, hosts) in &racks {
        for host in hosts {
            for a in host.rendered.iter().flat_map(|r| r.attachments.iter()) {
                let entry = usage.entry(a.subnet.as_str()).or_default();
                entry.0.insert(rack.as_str());
                entry.1.extend(a.vlans.iter().copied());
            }
        }
    }
    let stretched: Vec<&str> = usage
        .iter()
        .filter(|(_, (r, _))| r.len() > 1)
        .map(|(k, _)| *k)
        .collect();
    let columns = u32::try_from(racks.len().max(1)).unwrap_or(1);
    let width = MARGIN * 2 + columns * COLUMN + (columns - 1) * GAP;
    let mut body = String::new();
    let mut y = MARGIN;

    // Header: cluster, API VIP, services and external ranges.
    let title = format!(
        "Cluster {}",
        design.cluster_name.as_deref().unwrap_or("(unnamed)")
    );
    let _ = writeln!(
        body,
        r#"<text x="{MARGIN}" y="{}" font-size="20" font-weight="bold">{}</text>"#,
        y + 18,
        esc(&title)
    );
    y += 30;
    let mut facts = Vec::new();
    if let Some(vip) = &design.vip {
        facts.push(format!("API VIP {}", vip.address));
    }
    for pool in &design.pools {
        let ranges: Vec<String> = pool
            .ranges
            .intervals()
            .map(|(a, b)| format!("{a}-{b}"))
            .collect();
        facts.push(format!("MetalLB pool {}: {}", pool.name, ranges.join(", ")));
    }
    for s in design.subnets_with(NetRole::External) {
        let ranges: Vec<String> = s
            .allocatable
            .intervals()
            .map(|(a, b)| format!("{a}-{b}"))
            .collect();
        facts.push(format!(
            "external range ({}): {}",
            s.name,
            ranges.join(", ")
        ));
    }
    for fact in facts {
        let _ = writeln!(
            body,
            r#"<text x="{MARGIN}" y="{}" font-size="13" fill="{}">{}</text>"#,
            y + 12,
            colour(&BTreeSet::from([NetRole::Services])),
            esc(&fact)
        );
        y += LINE + 2;
    }
    let legend = format!(
        "{:<9} {:<11} {:<5} {}",
        "network", "interface", "VLAN", "address (one row per network a host joins)"
    );
    let _ = writeln!(
        body,
        r##"<text x="{MARGIN}" y="{}" font-size="11" fill="#555" font-family="DejaVu Sans Mono, monospace" xml:space="preserve">{}</text>"##,
        y + 12,
        esc(&legend)
    );
    y += LINE + 2;
    y += 8;

    // Stretched segments: bars over the full width.
    for key in &stretched {
        let Some(s) = design.subnets.get(*key) else {
            continue;
        };
        let vlans = &usage[key].1;
        let label = format!(
            "{} · {} · {} · VLAN {} · stretched over {} racks{}",
            role_tags(s),
            s.name,
            s.cidr,
            vlan_text(vlans),
            usage[key].0.len(),
            services_in(design, s)
        );
        bar(
            &mut body,
            MARGIN,
            y,
            width - 2 * MARGIN,
            colour(&s.roles),
            &label,
        );
        y += BAR + 4;
    }
    y += 10;

    // One column per rack.
    let top = y;
    let mut bottom = y;
    for (index, (rack, hosts)) in racks.iter().enumerate() {
        let x = MARGIN + u32::try_from(index).unwrap_or(0) * (COLUMN + GAP);
        let mut cy = top;
        let _ = writeln!(
            body,
            r#"<text x="{}" y="{}" font-size="16" font-weight="bold">{}</text>"#,
            x + 4,
            cy + 16,
            esc(rack)
        );
        cy += 26;
        let local: Vec<&str> = usage
            .iter()
            .filter(|(_, (r, _))| r.len() == 1 && r.contains(rack.as_str()))
            .map(|(k, _)| *k)
            .collect();
        for key in local {
            let Some(s) = design.subnets.get(key) else {
                continue;
            };
            let label = format!(
                "{} · {} · {} · VLAN {}{}",
                role_tags(s),
                s.name,
                s.cidr,
                vlan_text(&usage[key].1),
                services_in(design, s)
            );
            bar(&mut body, x, cy, COLUMN, colour(&s.roles), &label);
            cy += BAR + 4;
        }
        cy += 6;
        for host in hosts {
            cy = host_box(&mut body, design, host, x, cy) + 8;
        }
        let _ = writeln!(
            body,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999" stroke-dasharray="4 3"/>"##,
            x - 4,
            top - 4,
            COLUMN + 8,
            cy - top + 4
        );
        bottom = bottom.max(cy);
    }
    let height = bottom + MARGIN;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

/// The service addresses a segment carries: the API VIP, MetalLB ranges.
fn services_in(design: &Design, s: &SubnetPlan) -> String {
    let mut out = String::new();
    if let Some(vip) = design.vip.as_ref().filter(|v| s.cidr.contains(&v.address)) {
        out.push_str(&format!(" · API VIP {}", vip.address));
    }
    for pool in &design.pools {
        for (a, b) in pool.ranges.intervals() {
            if s.cidr.contains(&a) && s.cidr.contains(&b) {
                out.push_str(&format!(" · MetalLB {a}-{b}"));
            }
        }
    }
    out
}

fn vlan_text(vlans: &BTreeSet<u16>) -> String {
    if vlans.is_empty() {
        "untagged".to_string()
    } else {
        vlans
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn bar(body: &mut String, x: u32, y: u32, w: u32, fill: &str, label: &str) {
    let _ = writeln!(
        body,
        r#"<rect x="{x}" y="{y}" width="{w}" height="{BAR}" rx="4" fill="{fill}" fill-opacity="0.85"/><text x="{}" y="{}" font-size="12" fill="white">{}</text>"#,
        x + 6,
        y + 15,
        esc(label)
    );
}

/// Draws one host and returns the y below it.
fn host_box(body: &mut String, design: &Design, host: &HostPlan, x: u32, y: u32) -> u32 {
    let attachments: Vec<_> = host
        .rendered
        .iter()
        .flat_map(|r| r.attachments.iter())
        .collect();
    let lines = u32::try_from(attachments.len()).unwrap_or(0).max(1);
    let h = 22 + LINE * lines + 6;
    let roles: Vec<&str> = host.host.roles.iter().map(|r| r.name()).collect();
    let _ = writeln!(
        body,
        r##"<rect x="{x}" y="{y}" width="{COLUMN}" height="{h}" rx="3" fill="#f7f7f7" stroke="#555"/><text x="{}" y="{}" font-size="13" font-weight="bold">{}</text><text x="{}" y="{}" font-size="11" fill="#555" text-anchor="end">{}</text>"##,
        x + 6,
        y + 15,
        esc(&host.host.name),
        x + COLUMN - 6,
        y + 15,
        esc(&roles.join(", "))
    );
    let mut ly = y + 22;
    if attachments.is_empty() {
        let _ = writeln!(
            body,
            r##"<text x="{}" y="{}" font-size="11" fill="#d62728">not rendered (see findings)</text>"##,
            x + 8,
            ly + 11
        );
    }
    for a in attachments {
        let Some(s) = design.subnets.get(&a.subnet) else {
            continue;
        };
        let text = format!(
            "{:<9} {:<11} {:<5} {}/{}",
            role_tags(s),
            a.iface,
            vlan_text(&a.vlans),
            a.address,
            a.prefix
        );
        let _ = writeln!(
            body,
            r#"<rect x="{}" y="{}" width="8" height="10" fill="{}"/><text x="{}" y="{}" font-size="11" font-family="DejaVu Sans Mono, monospace" xml:space="preserve">{}</text>"#,
            x + 8,
            ly + 2,
            colour(&s.roles),
            x + 22,
            ly + 11,
            esc(&text)
        );
        ly += LINE;
    }
    y + h
}
