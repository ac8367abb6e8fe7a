//! Errors that stop a run: the input cannot be read at all (exit code 2), or output cannot be written.
//! Problems *inside* readable input are findings, not errors.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: no *.yaml or *.yml files found")]
    NoInput(PathBuf),
    #[error("{file}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { file: String, offset: usize },
    #[error("{file}:{line}:{column}: invalid YAML: {message}")]
    Syntax {
        file: String,
        line: u32,
        column: u32,
        message: String,
    },
    #[error(
        "refusing to render: the design has {0} error(s); run `neutrino cluster check` for details"
    )]
    DesignHasErrors(usize),
}

impl ClusterError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ClusterError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
