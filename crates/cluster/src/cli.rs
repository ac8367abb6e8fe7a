//! `neutrino cluster check|render|diagram`: the command line of cluster networking.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::check::{analyze, load_path};
use crate::design::hosts::NETPLAN_PATH;
use crate::error::ClusterError;
use crate::finding::{Finding, Findings, Severity};
use crate::ipam::state::AllocationState;
use crate::render::{diagram, output};

#[derive(Debug, Args)]
#[command(
    about = "Cluster networking: check a bare-metal design, render host netplan, MetalLB and Ceph settings"
)]
pub struct ClusterArgs {
    #[command(subcommand)]
    pub command: ClusterCommand,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Check every rule on every object; exit 0 clean, 1 errors, 2 input unreadable.
    Check {
        /// A directory of YAML files or one multi-document YAML file.
        input: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// A previous allocation state (ipam-state.yaml) to check against.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Allocate addresses and write per-host netplan, IPAM state, MetalLB, Ceph and API VIP files.
    Render {
        input: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Allocation state to keep addresses from (default: <out>/ipam-state.yaml when it exists).
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Draw the design as SVG on standard output.
    Diagram {
        input: PathBuf,
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: ClusterArgs) -> ExitCode {
    ExitCode::from(execute(args))
}

/// Runs a subcommand and returns its exit status: 0 clean, 1 design errors, 2 input unreadable.
pub fn execute(args: ClusterArgs) -> u8 {
    let result = match args.command {
        ClusterCommand::Check {
            input,
            format,
            state,
        } => check(&input, format, state.as_deref()),
        ClusterCommand::Render { input, out, state } => render(&input, &out, state.as_deref()),
        ClusterCommand::Diagram { input, state } => draw(&input, state.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("neutrino cluster: {e}");
            2
        }
    }
}

fn read_state(path: Option<&Path>) -> Result<AllocationState, ClusterError> {
    match path {
        Some(p) => AllocationState::read(p),
        None => Ok(AllocationState::new()),
    }
}

fn exit_for(findings: &Findings) -> u8 {
    u8::from(findings.has_errors())
}

fn check(input: &Path, format: Format, state: Option<&Path>) -> Result<u8, ClusterError> {
    let previous = read_state(state)?;
    let (model, mut findings) = load_path(input)?;
    analyze(&model, &previous, &mut findings);
    let text = match format {
        Format::Human => human(&findings),
        Format::Json => json(&findings),
    };
    print!("{text}");
    Ok(exit_for(&findings))
}

fn render(input: &Path, out: &Path, state: Option<&Path>) -> Result<u8, ClusterError> {
    let default_state = out.join(output::STATE_FILE);
    let state = state.or_else(|| default_state.exists().then_some(default_state.as_path()));
    let previous = read_state(state)?;
    let (model, mut findings) = load_path(input)?;
    let design = analyze(&model, &previous, &mut findings);
    if findings.has_errors() {
        eprint!("{}", human(&findings));
        eprintln!(
            "{}",
            ClusterError::DesignHasErrors(findings.count(Severity::Error))
        );
        return Ok(1);
    }
    let files = output::files(&design);
    output::write(out, &files)?;
    for host in output::remove_stale_hosts(out, &files, Path::new(NETPLAN_PATH))? {
        eprintln!("removed hosts/{host}/: the host is no longer in the design");
    }
    eprint!("{}", human(&findings));
    eprintln!(
        "rendered {} host(s) into {} ({} files)",
        design.rendered_hosts().count(),
        out.display(),
        files.len()
    );
    Ok(0)
}

fn draw(input: &Path, state: Option<&Path>) -> Result<u8, ClusterError> {
    let previous = read_state(state)?;
    let (model, mut findings) = load_path(input)?;
    let design = analyze(&model, &previous, &mut findings);
    let svg = diagram::svg(&design);
    std::io::stdout()
        .write_all(svg.as_bytes())
        .map_err(|e| ClusterError::io(Path::new("<stdout>"), e))?;
    if findings.has_errors() {
        eprintln!(
            "warning: the design has {} error(s); run `neutrino cluster check`",
            findings.count(Severity::Error)
        );
    }
    Ok(exit_for(&findings))
}

/// `file:line: error[RULE] Object: message` plus an indented hint, then a summary line.
pub fn human(findings: &Findings) -> String {
    let mut out = String::new();
    for f in findings.sorted() {
        out.push_str(&format_finding(&f));
    }
    out.push_str(&format!(
        "{} error(s), {} warning(s)\n",
        findings.count(Severity::Error),
        findings.count(Severity::Warning)
    ));
    out
}

fn format_finding(f: &Finding) -> String {
    let mut s = format!("{}: {}[{}] {}", f.loc, f.severity, f.rule, f.object);
    if !f.key.is_empty() {
        s.push_str(&format!(" {}", f.key));
    }
    s.push_str(&format!(": {}\n", f.message));
    if !f.hint.is_empty() {
        s.push_str(&format!("    hint: {}\n", f.hint));
    }
    s
}

pub fn json(findings: &Findings) -> String {
    let value = serde_json::json!({
        "findings": findings.sorted(),
        "errors": findings.count(Severity::Error),
        "warnings": findings.count(Severity::Warning),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    )
}
