//! The npTemplate macro language (mosk-model §1.5): `{{nic N}}`, `{{mac N}}`, `{{ip "N:subnet"}}`,
//! `{{ip "ifname:subnet"}}`, `{{cidr_from_subnet "s"}}`, `{{gateway_from_subnet "s"}}`,
//! `{{nameservers_from_subnet "s"}}`, `{{cluster_api_lb_ip}}`.
//!
//! A template is parsed once into literal text and macros; each host then renders it with its own NICs
//! and addresses. Macros never span lines, so a rendered line N is template line N — findings about the
//! rendered netplan can point into the L2Template.

use crate::yaml::{Node, Value, parse_document};

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

/// What a macro expands to for one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expansion {
    Text(String),
    /// `nameservers_from_subnet`: a YAML list.
    List(Vec<String>),
}

impl Expansion {
    fn text(&self) -> String {
        match self {
            Expansion::Text(t) => t.clone(),
            Expansion::List(items) => format!("[{}]", items.join(", ")),
        }
    }
}

/// A plain-scalar-safe token standing for macro N while the template's YAML is parsed once.
const PLACEHOLDER: &str = "nEuTrInOmAcRo";

/// Why a template cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// Macro syntax (L2T-4).
    Macros(Vec<MacroError>),
    /// The template is not YAML once macros are filled in (L2T-5).
    Yaml(MacroError),
}

/// A parsed npTemplate: its pieces, and its YAML tree with placeholders where the macros are.
///
/// Hosts differ only in what the macros expand to, so the YAML is parsed once per template and each
/// host gets a copy of the tree with its values — a 1,000-host design parses a few dozen documents,
/// not a thousand. Macros never span lines, so the tree's line numbers are the template's.
#[derive(Clone, Debug)]
pub struct ParsedTemplate {
    pub pieces: Vec<Piece>,
    pub tree: Node,
}

impl ParsedTemplate {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let pieces = parse_template(text).map_err(TemplateError::Macros)?;
        let mut skeleton = String::with_capacity(text.len());
        let mut index = 0usize;
        for piece in &pieces {
            match piece {
                Piece::Text(t) => skeleton.push_str(t),
                Piece::Macro { .. } => {
                    skeleton.push_str(&format!("{PLACEHOLDER}{index}z"));
                    index += 1;
                }
            }
        }
        let tree = parse_document(&skeleton).map_err(|e| {
            TemplateError::Yaml(MacroError {
                line: e.pos.line,
                message: format!("the npTemplate is not valid YAML: {}", e.message),
            })
        })?;
        Ok(ParsedTemplate { pieces, tree })
    }

    /// The macros in order of appearance, with their template lines.
    pub fn macros(&self) -> impl Iterator<Item = (&Macro, u32)> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Macro { mac, line } => Some((mac, *line)),
            Piece::Text(_) => None,
        })
    }

    /// The rendered text and its YAML tree; `values` has one expansion per macro, in order.
    pub fn render(&self, values: &[Expansion]) -> (String, Node) {
        let mut text = String::new();
        let mut index = 0usize;
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Macro { .. } => {
                    text.push_str(&values.get(index).map(Expansion::text).unwrap_or_default());
                    index += 1;
                }
            }
        }
        (text, substitute(&self.tree, values))
    }
}

fn substitute(node: &Node, values: &[Expansion]) -> Node {
    let value = match &node.value {
        Value::Str(s) if s.contains(PLACEHOLDER) => substitute_str(s, values),
        Value::Seq(items) => Value::Seq(items.iter().map(|n| substitute(n, values)).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (substitute(k, values), substitute(v, values)))
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        pos: node.pos,
        value,
    }
}

/// A scalar that is exactly one list-valued macro becomes a list; anything else is text replacement.
fn substitute_str(s: &str, values: &[Expansion]) -> Value {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find(PLACEHOLDER) {
        out.push_str(&rest[..start]);
        let after = &rest[start + PLACEHOLDER.len()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        let tail = &after[digits.len()..];
        let (Ok(index), Some(tail)) = (digits.parse::<usize>(), tail.strip_prefix('z')) else {
            out.push_str(PLACEHOLDER);
            rest = after;
            continue;
        };
        let expansion = values.get(index);
        if let (Some(Expansion::List(items)), true, true) =
            (expansion, out.is_empty(), tail.is_empty())
        {
            return Value::Seq(
                items
                    .iter()
                    .map(|i| Node {
                        pos: Default::default(),
                        value: Value::Str(i.clone()),
                    })
                    .collect(),
            );
        }
        out.push_str(&expansion.map(Expansion::text).unwrap_or_default());
        rest = tail;
    }
    out.push_str(rest);
    Value::Str(out)
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
    fn renders_text_and_tree_with_one_parse() {
        let parsed = ParsedTemplate::parse("{{nic 0}}:\n  addresses: [{{ip \"0:lcm\"}}]\n  nameservers: {addresses: {{nameservers_from_subnet \"lcm\"}}}\n  x: \"v-{{nic 0}}\"\n").expect("valid");
        let values = vec![
            Expansion::Text("eno1".into()),
            Expansion::Text("10.0.0.5/24".into()),
            Expansion::List(vec!["1.1.1.1".into(), "8.8.8.8".into()]),
            Expansion::Text("eno1".into()),
        ];
        let (text, tree) = parsed.render(&values);
        assert_eq!(
            text,
            "eno1:\n  addresses: [10.0.0.5/24]\n  nameservers: {addresses: [1.1.1.1, 8.8.8.8]}\n  x: \"v-eno1\"\n"
        );
        // The tree equals what parsing the text gives (positions aside).
        let reparsed = parse_document(&text).expect("valid");
        let strip = |n: &Node| format!("{:?}", n.value).replace(char::is_whitespace, "");
        let iface = tree.get("eno1").expect("key substituted");
        assert_eq!(iface.get("x").and_then(Node::as_str), Some("v-eno1"));
        let ns = iface
            .get("nameservers")
            .and_then(|n| n.get("addresses"))
            .and_then(Node::as_seq)
            .expect("list");
        assert_eq!(ns.len(), 2);
        assert_eq!(
            strip(
                reparsed
                    .get("eno1")
                    .and_then(|n| n.get("addresses"))
                    .expect("addresses")
            ),
            strip(iface.get("addresses").expect("addresses"))
        );
    }

    #[test]
    fn yaml_errors_are_found_once_per_template() {
        let err = ParsedTemplate::parse("a: [{{nic 0}}\nb: 1\n").expect_err("unclosed flow list");
        assert!(matches!(err, TemplateError::Yaml(_)), "{err:?}");
    }
}
