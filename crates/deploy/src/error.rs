//! Errors that stop a run (exit code 2): the input cannot be read, the cloud cannot be reached or
//! answers something unusable. Problems inside a readable spec are findings, not errors.

use neutrino_cluster::error::ClusterError;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Reading a file or a cluster design (I/O, UTF-8, YAML syntax): the cluster crate's reader.
    #[error(transparent)]
    Input(#[from] ClusterError),
    #[error("{0}: no OpenStackDeployment document found (kind: OpenStackDeployment)")]
    NoDeployment(String),
    #[error("{0}")]
    Cloud(String),
    #[error("{method} {url}: {status}: {body}")]
    Api {
        method: String,
        url: String,
        status: u16,
        body: String,
    },
    #[error("{0}")]
    Http(String),
}
