//! The `neutrino` binary: parses the command line and hands each verb to the crate that owns it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "neutrino", version, about = "Networking for OpenStack-on-Kubernetes clouds")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {}
}
