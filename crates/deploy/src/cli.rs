//! `neutrino deploy check|render|bootstrap`: the command line of the Networking spec.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use neutrino_cluster::check::{analyze, load_path};
use neutrino_cluster::cli::{Format, human, json};
use neutrino_cluster::finding::{Findings, Severity};
use neutrino_cluster::ipam::state::AllocationState;
use neutrino_cluster::render::output;

use crate::bootstrap;
use crate::error::DeployError;
use crate::spec::{self, Deployment};

#[derive(Debug, Args)]
#[command(
    about = "OpenStackDeployment spec:features:neutron: check it, render the service and host settings, bootstrap the floating network"
)]
pub struct DeployArgs {
    #[command(subcommand)]
    pub command: DeployCommand,
}

#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Check the spec (and, with --cluster, what it needs from the hosts); exit 0 clean, 1 errors, 2 input unreadable.
    Check {
        /// The OpenStackDeployment YAML file.
        osdpl: PathBuf,
        /// A cluster design (a directory or file, as `neutrino cluster check` reads it).
        #[arg(long)]
        cluster: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Write neutrino.toml and the hosts' Open vSwitch/OVN settings (files and apply scripts).
    Render {
        osdpl: PathBuf,
        #[arg(long)]
        cluster: Option<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Create or update the floating network, its subnet and router through the Networking API.
    Bootstrap {
        osdpl: PathBuf,
        /// The cloud of clouds.yaml to use (e.g. neutrino-admin).
        #[arg(long, env = "OS_CLOUD")]
        os_cloud: String,
        /// The clouds.yaml file (default: the usual places, as the openstack CLI looks).
        #[arg(long, env = "OS_CLIENT_CONFIG_FILE")]
        clouds: Option<PathBuf>,
        /// Show what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(args: DeployArgs) -> ExitCode {
    ExitCode::from(execute(args))
}

/// Runs a subcommand and returns its exit status: 0 clean or done, 1 errors in the spec or a
/// refused change, 2 input unreadable or the cloud unusable.
pub fn execute(args: DeployArgs) -> u8 {
    let result = match args.command {
        DeployCommand::Check {
            osdpl,
            cluster,
            format,
        } => check(&osdpl, cluster.as_deref(), format),
        DeployCommand::Render {
            osdpl,
            cluster,
            out,
        } => render(&osdpl, cluster.as_deref(), &out),
        DeployCommand::Bootstrap {
            osdpl,
            os_cloud,
            clouds,
            dry_run,
        } => bootstrap_cmd(&osdpl, &os_cloud, clouds.as_deref(), dry_run),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("neutrino deploy: {e}");
            2
        }
    }
}

/// Reads the spec and the cluster design, and runs every check.
pub fn analyze_spec(
    osdpl: &Path,
    cluster: Option<&Path>,
    with: impl FnOnce(&Deployment, Option<&neutrino_cluster::design::Design>, Findings) -> u8,
) -> Result<u8, DeployError> {
    let (deployment, found) = spec::load(osdpl)?;
    let mut findings = Findings::default();
    findings.extend(found);
    match cluster {
        None => {
            findings.extend(crate::checks::run(&deployment, None));
            Ok(with(&deployment, None, findings))
        }
        Some(path) => {
            let (input, mut cluster_findings) = load_path(path)?;
            let design = analyze(&input, &AllocationState::new(), &mut cluster_findings);
            if cluster_findings.has_errors() {
                eprintln!(
                    "warning: the cluster design has {} error(s); run `neutrino cluster check {}`",
                    cluster_findings.count(Severity::Error),
                    path.display()
                );
            }
            findings.extend(crate::checks::run(&deployment, Some(&design)));
            Ok(with(&deployment, Some(&design), findings))
        }
    }
}

fn check(osdpl: &Path, cluster: Option<&Path>, format: Format) -> Result<u8, DeployError> {
    analyze_spec(osdpl, cluster, |_, _, findings| {
        let text = match format {
            Format::Human => human(&findings),
            Format::Json => json(&findings),
        };
        print!("{text}");
        u8::from(findings.has_errors())
    })
}

fn render(osdpl: &Path, cluster: Option<&Path>, out: &Path) -> Result<u8, DeployError> {
    let mut written = Ok(0);
    let code = analyze_spec(osdpl, cluster, |d, design, findings| {
        eprint!("{}", human(&findings));
        if findings.has_errors() {
            eprintln!(
                "refusing to render: the spec has {} error(s)",
                findings.count(Severity::Error)
            );
            return 1;
        }
        let files = crate::render::files(d, design);
        written = output::write(out, &files).and_then(|()| {
            let marker = Path::new(crate::render::host::SETTINGS_FILE);
            for host in output::remove_stale_hosts(out, &files, marker)? {
                eprintln!("removed hosts/{host}/: the host runs no chassis in the design any more");
            }
            Ok(files.len())
        });
        0
    })?;
    let count = written?;
    if code == 0 {
        eprintln!("rendered {count} file(s) into {}", out.display());
    }
    Ok(code)
}

fn bootstrap_cmd(
    osdpl: &Path,
    cloud: &str,
    clouds: Option<&Path>,
    dry_run: bool,
) -> Result<u8, DeployError> {
    let (deployment, found) = spec::load(osdpl)?;
    let mut findings = Findings::default();
    findings.extend(found);
    findings.extend(crate::checks::run(&deployment, None));
    if findings.has_errors() {
        eprint!("{}", human(&findings));
        eprintln!("refusing to bootstrap: the spec has errors");
        return Ok(1);
    }
    let Some(desired) = bootstrap::Desired::from_spec(&deployment) else {
        eprintln!("floating_network is not enabled: nothing to bootstrap");
        return Ok(0);
    };
    let client = bootstrap::client::Client::connect(cloud, clouds)?;
    let outcome = bootstrap::run(&client, &desired, dry_run)?;
    print!("{}", outcome.report);
    Ok(u8::from(outcome.refused))
}
