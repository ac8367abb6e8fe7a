//! A request's values, checked as upstream's attribute map and `pf_plugin` check them.

use super::*;

pub(super) const PROTOCOLS: [&str; 2] = ["tcp", "udp"];
pub(super) const PORT_MAX: i64 = 65535;

pub(super) const ATTRS: &[Attr] = &[
    attrs::attr("id", false, false),
    attrs::attr("project_id", true, false),
    attrs::attr("tenant_id", true, false),
    attrs::attr("external_port", true, true),
    attrs::attr("internal_port", true, true),
    Attr {
        name: "internal_ip_address",
        post: true,
        put: true,
        required: true,
    },
    Attr {
        name: "protocol",
        post: true,
        put: true,
        required: true,
    },
    Attr {
        name: "internal_port_id",
        post: true,
        put: true,
        required: true,
    },
    attrs::attr("description", true, true),
    attrs::attr("external_port_range", true, true),
    attrs::attr("internal_port_range", true, true),
];

/// An inclusive range of ports; a single port is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    pub start: i64,
    pub end: i64,
}

impl PortRange {
    pub(super) fn single(&self) -> Option<i64> {
        (self.start == self.end).then_some(self.start)
    }
    pub(super) fn width(&self) -> i64 {
        self.end - self.start
    }
    pub(super) fn overlaps(&self, other: &PortRange) -> bool {
        self.start.max(other.start) <= self.end.min(other.end)
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.start, self.end)
    }
}

/// A port number (`type:range_or_none` 1..65535); `None` when absent or null.
pub(super) fn port_number(b: &Body, name: &str) -> Result<Option<i64>> {
    let Some(v) = b.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let n = attrs::to_int(v).ok_or_else(|| {
        Error::invalid_attr(name, format!("'{}' is not an integer", attrs::show(v)))
    })?;
    if n < 1 {
        return Err(Error::invalid_attr(
            name,
            format!("'{n}' is too small - must be at least '1'"),
        ));
    }
    if n > PORT_MAX {
        return Err(Error::invalid_attr(
            name,
            format!("'{n}' is too large - must be no larger than '{PORT_MAX}'"),
        ));
    }
    Ok(Some(n))
}

/// A port range (`type:port_range` 1..65535): `"N"` or `"N:M"`, N ≤ M.
pub(super) fn port_range(b: &Body, name: &str) -> Result<Option<PortRange>> {
    let Some(v) = b.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let text = match v {
        Value::String(s) => s.clone(),
        other => attrs::show(other),
    };
    let invalid = |reason: String| Error::invalid_attr(name, reason);
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(
            "Port range must be two integers separated by a colon".into(),
        ));
    }
    let mut ports = Vec::new();
    for p in &parts {
        let n = p
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=PORT_MAX).contains(n))
            .ok_or_else(|| invalid(format!("Invalid port: {p}")))?;
        if !(1..=PORT_MAX).contains(&n) {
            return Err(invalid(format!(
                "Invalid port: {p}, the port must be in the range [1, {PORT_MAX}]"
            )));
        }
        ports.push(n);
    }
    let range = PortRange {
        start: ports[0],
        end: *ports.last().unwrap_or(&ports[0]),
    };
    if range.start > range.end {
        return Err(invalid(
            "First port in a port range must be lower than the second port".into(),
        ));
    }
    Ok(Some(range))
}

pub(super) fn protocol(b: &Body) -> Result<Option<String>> {
    match b.get("protocol") {
        None => Ok(None),
        Some(Value::String(s)) if PROTOCOLS.contains(&s.to_lowercase().as_str()) => {
            Ok(Some(s.to_lowercase()))
        }
        Some(v) => Err(Error::invalid_attr(
            "protocol",
            format!("{} is not in ['tcp', 'udp']", attrs::show(v)),
        )),
    }
}

pub(super) fn ipv4_address(b: &Body) -> Result<Option<IpAddr>> {
    match b.get("internal_ip_address") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => neutrino_ipam::validate_ip_address(s)
            .map(Some)
            .map_err(|r| Error::invalid_attr("internal_ip_address", r)),
        Some(v) => Err(Error::invalid_attr(
            "internal_ip_address",
            format!("'{}' is not a valid IP address", attrs::show(v)),
        )),
    }
}

/// The ports of one side of a request: the single port or the range, never both.
pub(super) fn side(b: &Body, single: &str, range: &str) -> Result<Option<PortRange>> {
    let port = port_number(b, single)?;
    let ports = port_range(b, range)?;
    match (port, ports) {
        (Some(_), Some(_)) => Err(pf_bad_request(
            "You can not use the attributes internal_port_range and external_port_range with the attributes internal_port and external_port in the same request",
        )),
        (Some(p), None) => Ok(Some(PortRange { start: p, end: p })),
        (None, r) => Ok(r),
    }
}

/// Upstream's `_validate_ranges`: N internal ports for N external ones, or one for all.
pub(super) fn check_relation(internal: &PortRange, external: &PortRange) -> Result<()> {
    if internal.width() > 0 && internal.width() != external.width() {
        return Err(pf_bad_request(
            "Invalid ranges of internal and/or external ports. The relation between internal and external ports must be N-N or 1-N",
        ));
    }
    Ok(())
}
