//! One run over an input: load, build the design, run the rules.

use std::path::Path;

use crate::design::{self, Design};
use crate::error::ClusterError;
use crate::finding::Findings;
use crate::ipam::state::AllocationState;
use crate::model::{self, Input};
use crate::rules;
use crate::source::read_sources;

/// Reads the input at `path` (a directory or a multi-document file).
pub fn load_path(path: &Path) -> Result<(Input, Findings), ClusterError> {
    let sources = read_sources(path)?;
    let (input, found) = model::load(&sources)?;
    let mut findings = Findings::default();
    findings.extend(found);
    Ok((input, findings))
}

/// Builds the design and runs every rule; `findings` already holds the loader's.
pub fn analyze<'a>(
    input: &'a Input,
    previous: &AllocationState,
    findings: &mut Findings,
) -> Design<'a> {
    let mut found = Vec::new();
    let design = design::build(input, previous, &mut found);
    rules::run(&design, &mut found);
    findings.extend(found);
    design
}
