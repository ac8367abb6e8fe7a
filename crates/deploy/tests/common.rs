//! Shared by the test files: paths of the repository and a way to run the command line.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use clap::Parser;
use neutrino_deploy::cli::{DeployArgs, execute};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: DeployArgs,
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example() -> PathBuf {
    repo().join("examples/deploy/osdpl.yaml")
}

pub fn cluster() -> PathBuf {
    repo().join("examples/cluster")
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `neutrino deploy ARGS…` in process; the exit status.
pub fn run(args: &[&str]) -> u8 {
    let cli = Cli::try_parse_from(std::iter::once("deploy").chain(args.iter().copied()))
        .expect("valid arguments");
    execute(cli.args)
}

pub fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}
