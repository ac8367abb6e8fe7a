//! The `neutrino` binary: parses the command line and hands each verb to the crate that owns it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod allocator;
mod changes;
mod config;
mod identity;
mod ovn;
mod plug;
mod serve;
mod shutdown;

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
    /// Serve the Networking API (with its built-in identity) on SQLite or PostgreSQL.
    Serve(serve::ServeArgs),
    /// Print the change feed: every create, update and delete of a resource, in commit order.
    Changes(changes::ChangesArgs),
    /// The OVN back end: its status, and a full compare with the Northbound database.
    Ovn(ovn::OvnArgs),
    /// The built-in identity's signing keys: rotate them, list them.
    Identity(identity::IdentityArgs),
    /// Plug a port into a network namespace on this host, as the compute service plugs a VM.
    Plug(plug::PlugArgs),
    /// Undo `neutrino plug`.
    Unplug(plug::UnplugArgs),
    /// Cluster networking: check a bare-metal network design, render host netplan, MetalLB and Ceph settings.
    Cluster(neutrino_cluster::cli::ClusterArgs),
    /// OpenStackDeployment spec:features:neutron: check it, render service and host settings, bootstrap the floating network.
    Deploy(neutrino_deploy::cli::DeployArgs),
}

fn main() -> ExitCode {
    allocator::purge_at_once();
    let cli = Cli::parse();
    match cli.command {
        Command::Cluster(args) => neutrino_cluster::cli::run(args),
        Command::Deploy(args) => neutrino_deploy::cli::run(args),
        Command::Changes(args) => match changes::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            // The reader went away (`neutrino changes | head`): nothing left to do.
            Err(e)
                if e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
            {
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("neutrino changes: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Ovn(args) => match ovn::run(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("neutrino ovn: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Identity(args) => report("identity", identity::run(args)),
        Command::Plug(args) => report("plug", plug::plug(args)),
        Command::Unplug(args) => report("unplug", plug::unplug(args)),
        Command::Serve(args) => match serve::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("neutrino serve: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn report(verb: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("neutrino {verb}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
