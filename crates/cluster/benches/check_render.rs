//! Benchmark: check + render of a generated 1,000-host, 10-rack design (docs/benchmarks.md).
//!
//! cargo bench -p neutrino-cluster --bench check_render
//! NEUTRINO_BENCH_DIR=/dev/shm cargo bench -p neutrino-cluster --bench check_render   (tmpfs)
//!
//! Each iteration does what `neutrino cluster render` does: read the YAML files, load the objects, build
//! the design (validate, allocate, render every host's netplan), run every rule, produce all output files
//! and write them. Two cases: rendering into a new directory (first render), and re-rendering into the
//! previous output with its allocation state (the everyday re-run, where unchanged files are kept).

use std::path::Path;
use std::time::{Duration, Instant};

use neutrino_cluster::check::{analyze, load_path};
use neutrino_cluster::ipam::state::AllocationState;
use neutrino_cluster::render::output;
use neutrino_cluster::synth::{Shape, generate};

const ITERATIONS: usize = 10;

fn main() {
    let shape = Shape {
        racks: 10,
        compute_racks: 10,
        computes: 991,
    };
    // NEUTRINO_BENCH_DIR picks the file system the design is read from and rendered into (e.g. /dev/shm
    // to leave the disk out of the figure); the default is the system temporary directory.
    let dir = match std::env::var_os("NEUTRINO_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base),
        None => tempfile::tempdir(),
    }
    .expect("temporary directory");
    let input = dir.path().join("design");
    std::fs::create_dir_all(&input).expect("design directory");
    for (name, text) in generate(shape) {
        std::fs::write(input.join(name), text).expect("write design");
    }
    let fresh: Vec<Phases> = (0..ITERATIONS)
        .map(|i| render_once(&input, &dir.path().join(format!("fresh-{i}")), None))
        .collect();
    report(
        &format!(
            "first render, {}-host {}-rack design, new output directory",
            shape.hosts(),
            shape.racks
        ),
        fresh,
    );
    let again = dir.path().join("fresh-0");
    let state = again.join(output::STATE_FILE);
    let rerun: Vec<Phases> = (0..ITERATIONS)
        .map(|_| render_once(&input, &again, Some(&state)))
        .collect();
    report(
        "re-render into the previous output with its allocation state",
        rerun,
    );
}

/// Durations of load, check (validate + allocate + render + rules), output files, write.
type Phases = [Duration; 4];

fn render_once(input: &Path, out: &Path, state: Option<&Path>) -> Phases {
    let started = Instant::now();
    let previous = state.map_or_else(AllocationState::new, |s| {
        AllocationState::read(s).expect("state")
    });
    let (model, mut findings) = load_path(input).expect("design loads");
    let loaded = Instant::now();
    let design = analyze(&model, &previous, &mut findings);
    let analyzed = Instant::now();
    assert!(
        !findings.has_errors(),
        "generated design must be clean:\n{}",
        neutrino_cluster::cli::human(&findings)
    );
    let files = output::files(&design);
    assert_eq!(design.rendered_hosts().count(), 1000);
    let produced = Instant::now();
    output::write(out, &files).expect("write output");
    let written = Instant::now();
    [
        loaded - started,
        analyzed - loaded,
        produced - analyzed,
        written - produced,
    ]
}

fn report(what: &str, runs: Vec<Phases>) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut totals: Vec<Duration> = runs.iter().map(|p| p.iter().sum()).collect();
    totals.sort();
    let n = u32::try_from(runs.len()).unwrap_or(1);
    let mean = |i: usize| ms(runs.iter().map(|p| p[i]).sum::<Duration>() / n);
    println!(
        "{what}: min {:.0} ms, median {:.0} ms, max {:.0} ms over {} runs (mean load {:.0} ms, check {:.0} ms, output {:.0} ms, write {:.0} ms)",
        ms(totals[0]),
        ms(totals[totals.len() / 2]),
        ms(totals[totals.len() - 1]),
        runs.len(),
        mean(0),
        mean(1),
        mean(2),
        mean(3)
    );
}
