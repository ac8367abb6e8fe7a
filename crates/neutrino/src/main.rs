//! The `neutrino` binary: parses the command line and hands each verb to the crate that owns it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod config;
mod serve;

#[derive(Parser)]
#[command(
    name = "neutrino",
    version,
    about = "Networking for OpenStack-on-Kubernetes clouds"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Networking API (with its built-in identity) on SQLite.
    Serve(serve::ServeArgs),
    /// Cluster networking: check a bare-metal network design, render host netplan, MetalLB and Ceph settings.
    Cluster(neutrino_cluster::cli::ClusterArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Cluster(args) => neutrino_cluster::cli::run(args),
        Command::Serve(args) => match serve::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("neutrino serve: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
