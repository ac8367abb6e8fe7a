//! `neutrino plug PORT --netns NS` and `neutrino unplug PORT`: what the compute service does for a
//! VM's interface, with a network namespace as the VM. Run on the host (the chassis) whose Open
//! vSwitch should carry the port.
//!
//! `plug` reads the port's MAC and its network's MTU from the Networking API (credentials from the
//! `OS_*` variables of an openrc), makes the namespace if it is missing, links it to the host with
//! a veth pair (`eth0`… inside, `tap<first 11 characters of the port id>` outside, the upstream
//! name), gives the inside end the port's MAC and MTU, and adds the outside end to the integration
//! bridge with `external_ids:iface-id` = the port id — ovn-controller then claims the port and
//! the namespace can get its address by DHCP. `unplug` undoes that, deleting the namespace if
//! `plug` made it.
//!
//! `--host-netns` serves labs whose chassis are themselves network namespaces (scripts/ovn-sandbox):
//! the outside end of the veth goes there, while the API is reached from where the command runs;
//! `ovs-vsctl` finds that chassis' database through `OVS_RUNDIR` as usual.

use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct PlugArgs {
    /// The port's id.
    port: String,
    /// The network namespace that plays the instance (made if missing).
    #[arg(long)]
    netns: String,
    /// The integration bridge.
    #[arg(long, default_value = "br-int")]
    bridge: String,
    /// The network namespace of the host's Open vSwitch, when it is not this one.
    #[arg(long)]
    host_netns: Option<String>,
}

#[derive(clap::Args)]
pub struct UnplugArgs {
    /// The port's id.
    port: String,
    /// The integration bridge.
    #[arg(long, default_value = "br-int")]
    bridge: String,
    /// The network namespace of the host's Open vSwitch, when it is not this one.
    #[arg(long)]
    host_netns: Option<String>,
}

/// `ip` in the host's namespace: this one, or `--host-netns`.
struct Host<'a>(Option<&'a str>);

impl Host<'_> {
    fn args<'b>(&'b self, args: &[&'b str]) -> Vec<&'b str> {
        match self.0 {
            Some(ns) => [&["netns", "exec", ns, "ip"][..], args].concat(),
            None => args.to_vec(),
        }
    }

    fn ip(&self, args: &[&str]) -> Result<()> {
        run("ip", &self.args(args))
    }

    fn ip_ok(&self, args: &[&str]) -> bool {
        run_ok("ip", &self.args(args))
    }
}

/// The host side's name, as the compute service names it.
fn tap_name(port: &str) -> String {
    let short: String = port.chars().take(11).collect();
    format!("tap{short}")
}

pub fn plug(args: PlugArgs) -> Result<()> {
    check_name("namespace", &args.netns)?;
    let host = Host(args.host_netns.as_deref());
    let api = Api::from_env()?;
    let port = api.get(&format!("/v2.0/ports/{}", args.port))?["port"].clone();
    let mac = port["mac_address"]
        .as_str()
        .ok_or_else(|| anyhow!("port {} has no mac_address", args.port))?
        .to_owned();
    let network_id = port["network_id"].as_str().unwrap_or_default().to_owned();
    let mtu = api.get(&format!("/v2.0/networks/{network_id}"))?["network"]["mtu"]
        .as_u64()
        .unwrap_or(1500)
        .to_string();
    let tap = tap_name(&args.port);
    if host.ip_ok(&["link", "show", &tap]) {
        bail!("{tap} already exists: port {} is plugged here", args.port);
    }
    let made = !std::path::Path::new("/run/netns")
        .join(&args.netns)
        .exists();
    if made {
        run("ip", &["netns", "add", &args.netns])?;
    }
    // A step that fails takes back what the earlier ones made, so that plug can simply be run again.
    let plugged = connect(&args, &host, &tap, &mac, &mtu, made);
    if plugged.is_err() {
        let _ = run(
            "ovs-vsctl",
            &["--if-exists", "del-port", &args.bridge, &tap],
        );
        if host.ip_ok(&["link", "show", &tap]) {
            let _ = host.ip(&["link", "delete", &tap]);
        }
        if made {
            let _ = run("ip", &["netns", "delete", &args.netns]);
        }
    }
    println!("{}", plugged?);
    Ok(())
}

/// The veth between the host and `args.netns`, the inside end set up as the port, the outside end
/// on the integration bridge. Returns the inside device's name.
fn connect(
    args: &PlugArgs,
    host: &Host<'_>,
    tap: &str,
    mac: &str,
    mtu: &str,
    made: bool,
) -> Result<String> {
    if made {
        inside_ns(&args.netns, &["ip", "link", "set", "lo", "up"])?;
    }
    let dev = free_device(&args.netns)?;
    let veth = format!(
        "link add {tap} mtu {mtu} type veth peer name {dev} netns {}",
        args.netns
    );
    host.ip(&veth.split(' ').collect::<Vec<_>>())?;
    let inside = |cmd: &[&str]| inside_ns(&args.netns, cmd);
    inside(&["ip", "link", "set", &dev, "address", mac, "mtu", mtu])?;
    // The userspace datapath does not complete partial checksums: TCP fails without this.
    inside(&["ethtool", "-K", &dev, "tx", "off"])?;
    inside(&["ip", "link", "set", &dev, "up"])?;
    host.ip(&["link", "set", tap, "up"])?;
    let ids = [
        format!("external_ids:iface-id={}", args.port),
        format!("external_ids:attached-mac={mac}"),
        "external_ids:iface-status=active".to_owned(),
        format!("external_ids:neutrino-netns={}", args.netns),
        format!("external_ids:neutrino-netns-made={made}"),
    ];
    let mut vsctl = vec![
        "--",
        "add-port",
        &args.bridge,
        tap,
        "--",
        "set",
        "Interface",
        tap,
    ];
    vsctl.extend(ids.iter().map(String::as_str));
    run("ovs-vsctl", &vsctl)?;
    Ok(dev)
}

pub fn unplug(args: UnplugArgs) -> Result<()> {
    let host = Host(args.host_netns.as_deref());
    let tap = tap_name(&args.port);
    let netns = output(
        "ovs-vsctl",
        &[
            "--if-exists",
            "get",
            "Interface",
            &tap,
            "external_ids:neutrino-netns",
        ],
    )?;
    let made = output(
        "ovs-vsctl",
        &[
            "--if-exists",
            "get",
            "Interface",
            &tap,
            "external_ids:neutrino-netns-made",
        ],
    )?;
    if netns.is_empty() && !host.ip_ok(&["link", "show", &tap]) {
        bail!("port {} is not plugged here (no {tap})", args.port);
    }
    run(
        "ovs-vsctl",
        &["--if-exists", "del-port", &args.bridge, &tap],
    )?;
    if host.ip_ok(&["link", "show", &tap]) {
        host.ip(&["link", "delete", &tap])?;
    }
    let netns = netns.trim_matches('"');
    if made.trim_matches('"') == "true" && !netns.is_empty() {
        let has_links = output("ip", &["netns", "exec", netns, "ip", "-o", "link", "show"])
            .map(|o| o.lines().any(|l| !l.contains(": lo:")))
            .unwrap_or(false);
        if !has_links {
            run("ip", &["netns", "delete", netns])?;
        }
    }
    Ok(())
}

/// Runs `cmd` inside `netns`.
fn inside_ns(netns: &str, cmd: &[&str]) -> Result<()> {
    run("ip", &[&["netns", "exec", netns][..], cmd].concat())
}

/// The first `ethN` not present in `netns`.
fn free_device(netns: &str) -> Result<String> {
    (0..100)
        .map(|i| format!("eth{i}"))
        .find(|dev| !run_ok("ip", &["netns", "exec", netns, "ip", "link", "show", dev]))
        .ok_or_else(|| anyhow!("namespace {netns} has eth0 to eth99 already"))
}

fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        bail!("invalid {what} name {name:?}: letters, digits, '-', '_' and '.', at most 64")
    }
}

fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args);
    cmd
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    output(program, args).map(drop)
}

fn run_ok(program: &str, args: &[&str]) -> bool {
    command(program, args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn output(program: &str, args: &[&str]) -> Result<String> {
    let out = command(program, args)
        .output()
        .with_context(|| format!("cannot run {program} (is it installed?)"))?;
    if !out.status.success() {
        bail!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The Networking API with a token from the identity service, as an openrc describes them.
struct Api {
    endpoint: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl Api {
    fn from_env() -> Result<Api> {
        let var = |name: &str| {
            std::env::var(name)
                .map_err(|_| anyhow!("{name} is not set (source the openrc of the cloud)"))
        };
        let auth_url = var("OS_AUTH_URL")?;
        let domain = |name| std::env::var(name).unwrap_or_else(|_| "Default".into());
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": var("OS_USERNAME")?, "password": var("OS_PASSWORD")?,
                "domain": {"name": domain("OS_USER_DOMAIN_NAME")}}}},
            "scope": {"project": {"name": var("OS_PROJECT_NAME")?,
                                  "domain": {"name": domain("OS_PROJECT_DOMAIN_NAME")}}}}});
        // Over https the identity service's certificate is checked against the host's CA bundle,
        // or OS_CACERT's CAs as the openstack CLI does; over http nothing is trusted.
        let trust = if auth_url.starts_with("https://") {
            let cacert = std::env::var_os("OS_CACERT").filter(|c| !c.is_empty());
            neutrino_tls::Trust::from_settings(cacert.as_deref().map(std::path::Path::new), false)
                .map_err(|e| anyhow::anyhow!("OS_CACERT {e}"))?
        } else {
            neutrino_tls::Trust::Only(Vec::new())
        };
        let http = neutrino_tls::blocking_client(trust).build()?;
        let url = format!("{}/auth/tokens", auth_url.trim_end_matches('/'));
        let reply = http
            .post(&url)
            .json(&body)
            .send()
            .with_context(|| format!("cannot reach the identity service at {url}"))?;
        if !reply.status().is_success() {
            bail!(
                "the identity service refused the credentials: {}",
                reply.status()
            );
        }
        let token = reply
            .headers()
            .get("X-Subject-Token")
            .and_then(|t| t.to_str().ok())
            .ok_or_else(|| anyhow!("the identity service sent no token"))?
            .to_owned();
        let catalog: Value = reply.json().context("unreadable token")?;
        let interface = std::env::var("OS_INTERFACE").unwrap_or_else(|_| "public".into());
        let endpoint = catalog["token"]["catalog"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["type"] == "network")
            .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
            .find(|e| e["interface"] == interface.as_str())
            .and_then(|e| {
                e["url"]
                    .as_str()
                    .map(|u| u.trim_end_matches('/').to_owned())
            })
            .ok_or_else(|| anyhow!("the catalog has no {interface} network endpoint"))?;
        Ok(Api {
            endpoint,
            token,
            http,
        })
    }

    fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{}{path}", self.endpoint);
        let reply = self
            .http
            .get(&url)
            .header("X-Auth-Token", &self.token)
            .send()
            .with_context(|| format!("cannot reach {url}"))?;
        let status = reply.status();
        let body: Value = reply.json().unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body["NeutronError"]["message"].as_str().unwrap_or("");
            bail!("GET {path}: {status} {message}");
        }
        Ok(body)
    }
}
