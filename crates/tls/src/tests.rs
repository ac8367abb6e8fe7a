use std::io::Write;

use super::*;

/// A CA certificate (self-signed, P-256, valid for a century), made with
/// `openssl req -x509 -newkey ec …`.
const CA: &str = include_str!("testdata/ca.pem");

fn file(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

fn error_of(content: &str) -> (String, String) {
    let f = file(content);
    let e = read_ca_file(f.path()).expect_err("refused");
    (e, f.path().display().to_string())
}

#[test]
fn a_pem_bundle_gives_its_certificates() {
    assert_eq!(read_ca_file(file(CA).path()).unwrap().len(), 1);
    let two = format!("# our CAs\n{CA}\n{CA}");
    assert_eq!(read_ca_file(file(&two).path()).unwrap().len(), 2);
}

#[test]
fn a_missing_file_is_named() {
    let e = read_ca_file(Path::new("/nonexistent/ca.pem"))
        .err()
        .unwrap();
    assert!(e.starts_with("/nonexistent/ca.pem: cannot read it"), "{e}");
}

#[test]
fn a_file_without_a_certificate_is_refused() {
    for content in [
        "",
        "not a certificate\n",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    ] {
        let (e, name) = error_of(content);
        assert_eq!(
            e,
            format!("{name}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)")
        );
    }
}

#[test]
fn a_broken_certificate_is_refused() {
    let (e, name) =
        error_of("-----BEGIN CERTIFICATE-----\nbm90IGRlcg==\n-----END CERTIFICATE-----\n");
    assert!(
        e.starts_with(&format!("{name}: certificate 1 is not usable")),
        "{e}"
    );
    let (e, name) = error_of("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
    assert!(e.starts_with(&format!("{name}: not a PEM file")), "{e}");
}

#[test]
fn insecure_wins_and_no_file_means_the_host_bundle() {
    let bad = Path::new("/nonexistent/ca.pem");
    assert!(matches!(
        Trust::from_settings(Some(bad), true),
        Ok(Trust::Insecure)
    ));
    assert!(matches!(
        Trust::from_settings(None, false),
        Ok(Trust::System)
    ));
    assert!(Trust::from_settings(Some(bad), false).is_err());
    let ca = file(CA);
    assert!(
        matches!(Trust::from_settings(Some(ca.path()), false), Ok(Trust::Only(c)) if c.len() == 1)
    );
}

#[test]
fn clients_build_with_each_trust() {
    let only = Trust::Only(read_ca_file(file(CA).path()).unwrap());
    for trust in [Trust::System, only, Trust::Insecure] {
        client(trust.clone()).build().unwrap();
        blocking_client(trust).build().unwrap();
    }
}

#[test]
fn describe_adds_the_causes() {
    let inner = std::io::Error::other("invalid peer certificate: UnknownIssuer");
    let outer = std::io::Error::other(Wrapped(inner));
    assert_eq!(
        describe(&outer),
        "wrapped: invalid peer certificate: UnknownIssuer"
    );
}

#[derive(Debug)]
struct Wrapped(std::io::Error);
impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("wrapped")
    }
}
impl Error for Wrapped {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}
