//! Writes a generated multi-rack design (the shape of examples/cluster/) into a directory.
//!
//! cargo run -p neutrino-cluster --example generate_design -- OUT_DIR [RACKS] [COMPUTE_RACKS] [COMPUTES]

use std::process::ExitCode;

use neutrino_cluster::synth::{Shape, generate};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: generate_design OUT_DIR [RACKS] [COMPUTE_RACKS] [COMPUTES]");
        return ExitCode::from(2);
    };
    let number =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let shape = Shape {
        racks: number(1, 3),
        compute_racks: number(2, 2),
        computes: number(3, 8),
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("{out}: {e}");
        return ExitCode::from(2);
    }
    for (name, text) in generate(shape) {
        let path = std::path::Path::new(out).join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    eprintln!("wrote a {}-host design to {out}", shape.hosts());
    ExitCode::SUCCESS
}
