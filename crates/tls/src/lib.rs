//! Outgoing TLS of Neutrino's HTTP clients (Keystone mode's token validation, `neutrino deploy
//! bootstrap`): what a client trusts, and the error text that says why a connection failed.
//!
//! The choice: reqwest's rustls backend with the **ring** crypto provider (reqwest feature
//! `rustls-no-provider`, rustls feature `ring`). reqwest's own `rustls` feature brings aws-lc-rs,
//! whose C library takes minutes to build and needs CMake; `native-tls` would link OpenSSL and need
//! its headers at build time. ring is a small C/assembly build with no system dependency.
//!
//! Roots: by default the host's CA bundle (rustls-platform-verifier, which on Linux reads what
//! OpenSSL would: `SSL_CERT_FILE`/`SSL_CERT_DIR`, else `/etc/ssl/certs/ca-certificates.crt` and
//! the other usual places), so a private CA installed on the host (`update-ca-certificates`) is
//! trusted as by curl or the openstack CLI. A CA file given in the settings replaces those roots,
//! as keystonemiddleware's `cafile` and clouds.yaml's `cacert` do (both hand the file to requests
//! as `verify=`): the server must chain to a certificate of the file.

use std::error::Error;
use std::path::Path;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Which servers a client believes.
#[derive(Clone)]
pub enum Trust {
    /// Certificates issued by a CA of the host's bundle.
    System,
    /// Certificates issued by one of these CAs only (a CA file).
    Only(Vec<reqwest::Certificate>),
    /// Any certificate: no verification at all (keystonemiddleware's `insecure`, clouds.yaml's
    /// `verify: false`).
    Insecure,
}

impl Trust {
    /// `insecure` wins over `cafile`, as in keystonemiddleware and openstacksdk; no CA file: the
    /// host's bundle. The file is read and checked now, so that a bad one stops the start.
    pub fn from_settings(cafile: Option<&Path>, insecure: bool) -> Result<Trust, String> {
        match (cafile, insecure) {
            (_, true) => Ok(Trust::Insecure),
            (Some(file), false) => Ok(Trust::Only(read_ca_file(file)?)),
            (None, false) => Ok(Trust::System),
        }
    }
}

/// The CA certificates of a PEM file: at least one, each a certificate rustls can anchor trust in.
/// Errors name the file.
pub fn read_ca_file(file: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let name = file.display();
    let pem = std::fs::read(file).map_err(|e| format!("{name}: cannot read it: {e}"))?;
    let mut anchors = rustls::RootCertStore::empty();
    let mut out = Vec::new();
    for (n, der) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let der = der.map_err(|e| format!("{name}: not a PEM file: {e}"))?;
        anchors
            .add(der.clone())
            .map_err(|e| format!("{name}: certificate {} is not usable: {e}", n + 1))?;
        out.push(
            reqwest::Certificate::from_der(&der)
                .map_err(|e| format!("{name}: certificate {}: {e}", n + 1))?,
        );
    }
    if out.is_empty() {
        return Err(format!(
            "{name}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(out)
}

/// Sets a reqwest client builder (async or blocking: the same methods) to `trust`.
macro_rules! configure {
    ($builder:expr, $trust:expr) => {{
        install_provider();
        match $trust {
            Trust::System => $builder.tls_backend_rustls(),
            Trust::Only(certs) => $builder.tls_backend_rustls().tls_certs_only(certs),
            Trust::Insecure => $builder
                .tls_backend_rustls()
                .tls_danger_accept_invalid_certs(true),
        }
    }};
}

/// An async client builder that trusts `trust`.
pub fn client(trust: Trust) -> reqwest::ClientBuilder {
    configure!(reqwest::Client::builder(), trust)
}

/// A blocking client builder that trusts `trust`.
pub fn blocking_client(trust: Trust) -> reqwest::blocking::ClientBuilder {
    configure!(reqwest::blocking::Client::builder(), trust)
}

/// ring as the process's rustls provider, which reqwest uses (it ships none with
/// `rustls-no-provider`). Another one installed first is kept.
fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An error with its causes: reqwest's own text ("error sending request for url …") leaves out
/// why, e.g. "invalid peer certificate: UnknownIssuer".
pub fn describe(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests;
