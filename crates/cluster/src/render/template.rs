//! The npTemplate macro language (mosk-model §1.5): `{{nic N}}`, `{{mac N}}`, `{{ip "N:subnet"}}`,
//! `{{ip "ifname:subnet"}}`, `{{cidr_from_subnet "s"}}`, `{{gateway_from_subnet "s"}}`,
//! `{{nameservers_from_subnet "s"}}`, `{{cluster_api_lb_ip}}`.
//!
//! A template is parsed once into literal text and macros; each host then renders it with its own NICs
//! and addresses. Macros never span lines, so a rendered line N is template line N — findings about the
//! rendered netplan can point into the L2Template.

/// Which interface an `ip` macro addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpTarget {
    /// NIC N of the host's if-mapping (named after it).
    Nic(usize),
    /// A virtual interface (bridge, bond, VLAN) by name.
    Interface(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Macro {
    Nic(usize),
    Mac(usize),
    Ip { target: IpTarget, subnet: String },
    Cidr(String),
    Gateway(String),
    Nameservers(String),
    ClusterApiLbIp,
}

impl Macro {
    /// The l3Layout subnet name the macro refers to, if any.
    pub fn subnet(&self) -> Option<&str> {
        match self {
            Macro::Ip { subnet, .. }
            | Macro::Cidr(subnet)
            | Macro::Gateway(subnet)
            | Macro::Nameservers(subnet) => Some(subnet),
            _ => None,
        }
    }

    /// The NIC index the macro needs, if any.
    pub fn nic_index(&self) -> Option<usize> {
        match self {
            Macro::Nic(n) | Macro::Mac(n) => Some(*n),
            Macro::Ip {
                target: IpTarget::Nic(n),
                ..
            } => Some(*n),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Macro { mac: Macro, line: u32 },
}

/// A macro syntax error at a line of the template (1-based, relative to the template's first line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroError {
    pub line: u32,
    pub message: String,
}

/// Splits a template into text and macros.
pub fn parse_template(text: &str) -> Result<Vec<Piece>, Vec<MacroError>> {
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut rest = text;
    let mut line = 1u32;
    while let Some(start) = rest.find("{{") {
        let (before, after) = rest.split_at(start);
        pieces.push(Piece::Text(before.to_string()));
        line += count_lines(before);
        let body_and_rest = &after[2..];
        let Some(end) = body_and_rest.find("}}") else {
            errors.push(MacroError {
                line,
                message: "`{{` is never closed by `}}`".to_string(),
            });
            rest = "";
            break;
        };
        let body = &body_and_rest[..end];
        if body.contains('\n') {
            errors.push(MacroError {
                line,
                message: "a macro must fit on one line".to_string(),
            });
        } else {
            match parse_macro(body) {
                Ok(mac) => pieces.push(Piece::Macro { mac, line }),
                Err(message) => errors.push(MacroError { line, message }),
            }
        }
        line += count_lines(body);
        rest = &body_and_rest[end + 2..];
    }
    pieces.push(Piece::Text(rest.to_string()));
    if errors.is_empty() {
        Ok(pieces)
    } else {
        Err(errors)
    }
}

fn count_lines(text: &str) -> u32 {
    u32::try_from(text.matches('\n').count()).unwrap_or(u32::MAX)
}

fn parse_macro(body: &str) -> Result<Macro, String> {
    // Go templates allow `{{- x -}}` to trim whitespace; the macro is the same.
    let body = body
        .trim()
        .trim_start_matches('-')
        .trim_end_matches('-')
        .trim();
    let (name, arg) = match body.split_once(char::is_whitespace) {
        Some((n, a)) => (n, Some(a.trim())),
        None => (body, None),
    };
    let quoted = |what: &str| -> Result<String, String> {
        let arg = arg.ok_or_else(|| format!("`{name}` needs a quoted {what}"))?;
        let inner = arg
            .strip_prefix('"')
            .and_then(|a| a.strip_suffix('"'))
            .ok_or_else(|| format!("`{name}` takes a quoted {what}, e.g. {name} \"lcm-rack1\""))?;
        if inner.is_empty() || inner.contains('"') {
            return Err(format!("`{name}` has an empty or malformed argument"));
        }
        Ok(inner.to_string())
    };
    let index = || -> Result<usize, String> {
        arg.and_then(|a| a.parse::<usize>().ok())
            .ok_or_else(|| format!("`{name}` takes a NIC index, e.g. {{{{{name} 0}}}}"))
    };
    match name {
        "nic" => Ok(Macro::Nic(index()?)),
        "mac" => Ok(Macro::Mac(index()?)),
        "ip" => {
            let spec = quoted("\"N:subnet\" or \"ifname:subnet\"")?;
            let (iface, subnet) = spec
                .split_once(':')
                .filter(|(i, s)| !i.is_empty() && !s.is_empty() && !s.contains(':'))
                .ok_or_else(|| {
                    format!("`ip \"{spec}\"` must have the form \"<N|ifname>:<subnet>\"")
                })?;
            let target = match iface.parse::<usize>() {
                Ok(n) => IpTarget::Nic(n),
                Err(_) => IpTarget::Interface(iface.to_string()),
            };
            Ok(Macro::Ip {
                target,
                subnet: subnet.to_string(),
            })
        }
        "cidr_from_subnet" => Ok(Macro::Cidr(quoted("subnet name")?)),
        "gateway_from_subnet" => Ok(Macro::Gateway(quoted("subnet name")?)),
        "nameservers_from_subnet" => Ok(Macro::Nameservers(quoted("subnet name")?)),
        "cluster_api_lb_ip" if arg.is_none() => Ok(Macro::ClusterApiLbIp),
        "cluster_api_lb_ip" => Err("`cluster_api_lb_ip` takes no argument".to_string()),
        "" => Err("empty macro `{{}}`".to_string()),
        other => Err(format!(
            "unknown macro `{other}`; known: nic, mac, ip, cidr_from_subnet, gateway_from_subnet, nameservers_from_subnet, cluster_api_lb_ip"
        )),
    }
}

/// Renders parsed pieces; `expand` gives each macro's text or an error message.
pub fn render_pieces(
    pieces: &[Piece],
    mut expand: impl FnMut(&Macro) -> Result<String, String>,
) -> Result<String, Vec<MacroError>> {
    let mut out = String::new();
    let mut errors = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Macro { mac, line } => match expand(mac) {
                Ok(text) => out.push_str(&text),
                Err(message) => errors.push(MacroError {
                    line: *line,
                    message,
                }),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_macro() {
        let text = "a: {{nic 0}}\nb: {{mac 1}}\nc: [{{ip \"k8s-lcm:lcm\"}}]\nd: {{ ip \"0:pods\" }}\ne: {{cidr_from_subnet \"lcm\"}} {{gateway_from_subnet \"lcm\"}} {{nameservers_from_subnet \"lcm\"}}\nf: {{cluster_api_lb_ip}}\n";
        let pieces = parse_template(text).expect("valid");
        let macros: Vec<(Macro, u32)> = pieces
            .into_iter()
            .filter_map(|p| match p {
                Piece::Macro { mac, line } => Some((mac, line)),
                Piece::Text(_) => None,
            })
            .collect();
        assert_eq!(macros.len(), 8);
        assert_eq!(macros[0], (Macro::Nic(0), 1));
        assert_eq!(
            macros[2].0,
            Macro::Ip {
                target: IpTarget::Interface("k8s-lcm".into()),
                subnet: "lcm".into()
            }
        );
        assert_eq!(macros[3].0.nic_index(), Some(0));
        assert_eq!(macros[7], (Macro::ClusterApiLbIp, 6));
    }

    #[test]
    fn reports_bad_macros_with_lines() {
        let errs = parse_template(
            "a: 1\nb: {{ip \"lcm\"}}\nc: {{frobnicate}}\nd: {{nic x}}\ne: {{nic 0\n",
        )
        .expect_err("bad");
        let lines: Vec<u32> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
    }

    #[test]
    fn renders_with_expansion() {
        let pieces = parse_template("x: {{nic 0}}\n").expect("valid");
        let out = render_pieces(&pieces, |_| Ok("eno1".into())).expect("renders");
        assert_eq!(out, "x: eno1\n");
    }
}
