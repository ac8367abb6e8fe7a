//! Benchmark: check + render of a generated 1,000-host, 10-rack design (docs/benchmarks.md).
//!
//! cargo bench -p neutrino-cluster --bench check_render
//!
//! Each iteration does what `neutrino cluster render` does: read the YAML files, load the objects, build
//! the design (validate, allocate, render every host's netplan), run every rule, produce all output files
//! and write them to disk.
//!
//! NEUTRINO_BENCH_DIR=/dev/shm cargo bench -p neutrino-cluster --bench check_render   (tmpfs)

use std::time::{Duration, Instant};

use neutrino_cluster::check::{analyze, load_path};
use neutrino_cluster::ipam::state::AllocationState;
use neutrino_cluster::render::output;
use neutrino_cluster::synth::{Shape, generate};

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
    let out = dir.path().join("rendered");
    let iterations = 10;
    let mut times: Vec<Duration> = Vec::with_capacity(iterations);
    // Per phase: load, analyze (validate + allocate + render + rules), output files, write.
    let mut phases = [Duration::ZERO; 4];
    let mut summary = String::new();
    for _ in 0..iterations {
        let started = Instant::now();
        let (model, mut findings) = load_path(&input).expect("design loads");
        let loaded = Instant::now();
        let design = analyze(&model, &AllocationState::new(), &mut findings);
        let analyzed = Instant::now();
        assert!(
            !findings.has_errors(),
            "generated design must be clean:\n{}",
            neutrino_cluster::cli::human(&findings)
        );
        let files = output::files(&design);
        let produced = Instant::now();
        output::write(&out, &files).expect("write output");
        let written = Instant::now();
        times.push(written - started);
        for (sum, d) in phases.iter_mut().zip([
            loaded - started,
            analyzed - loaded,
            produced - analyzed,
            written - produced,
        ]) {
            *sum += d;
        }
        summary = format!(
            "{} hosts rendered, {} files",
            design.rendered_hosts().count(),
            files.len()
        );
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "check+render {}-host {}-rack design ({summary}): min {:.1} ms, median {:.1} ms, max {:.1} ms over {iterations} runs",
        shape.hosts(),
        shape.racks,
        ms(times[0]),
        ms(times[iterations / 2]),
        ms(times[iterations - 1]),
    );
    let n = u32::try_from(iterations).unwrap_or(1);
    println!(
        "mean per phase: load {:.1} ms, check (validate+allocate+render+rules) {:.1} ms, output {:.1} ms, write {:.1} ms",
        ms(phases[0] / n),
        ms(phases[1] / n),
        ms(phases[2] / n),
        ms(phases[3] / n)
    );
}
