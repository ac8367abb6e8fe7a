//! The TLS settings of `[identity.keystone]`, checked at start.

use std::io::Write;

use super::*;

fn https(cafile: &str, insecure: bool) -> KeystoneConfig {
    KeystoneConfig {
        auth_url: "https://keystone.example:5000/v3".into(),
        password: "pw".into(),
        cafile: cafile.into(),
        insecure,
        ..KeystoneConfig::default()
    }
}

fn error(cfg: &KeystoneConfig) -> String {
    match Keystone::new(cfg) {
        Err(IdentityError::Config(e)) => e,
        Err(other) => panic!("not a config error: {other}"),
        Ok(_) => panic!("accepted"),
    }
}

fn pem_file(content: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(content).unwrap();
    f
}

#[test]
fn https_is_accepted_with_the_hosts_bundle_or_without_verification() {
    Keystone::new(&https("", false)).expect("the host's CA bundle");
    Keystone::new(&https("", true)).expect("insecure");
}

#[test]
fn an_unreadable_cafile_is_named() {
    let e = error(&https("/nonexistent/keystone-ca.pem", false));
    assert!(
        e.starts_with("[identity.keystone] cafile /nonexistent/keystone-ca.pem: cannot read it"),
        "{e}"
    );
}

#[test]
fn a_cafile_without_a_certificate_is_named() {
    let f = pem_file(
        b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    );
    let name = f.path().display().to_string();
    assert_eq!(
        error(&https(&name, false)),
        format!(
            "[identity.keystone] cafile {name}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)"
        )
    );
    let f = pem_file(b"-----BEGIN CERTIFICATE-----\nbm90IGRlcg==\n-----END CERTIFICATE-----\n");
    let name = f.path().display().to_string();
    let e = error(&https(&name, false));
    assert!(
        e.starts_with(&format!(
            "[identity.keystone] cafile {name}: certificate 1 is not usable"
        )),
        "{e}"
    );
}

#[test]
fn a_bad_cafile_stops_the_start_over_http_too() {
    let cfg = KeystoneConfig {
        auth_url: "http://127.0.0.1:5000/v3".into(),
        ..https("/nonexistent/ca.pem", false)
    };
    assert!(error(&cfg).contains("/nonexistent/ca.pem"));
}

#[test]
fn a_cafile_of_certificates_is_accepted() {
    let ca = include_bytes!("../../../tls/src/testdata/ca.pem");
    let f = pem_file(ca);
    Keystone::new(&https(&f.path().display().to_string(), false)).expect("a PEM CA");
}

#[test]
fn the_tls_settings_have_defaults() {
    let d = KeystoneConfig::default();
    assert_eq!((d.cafile.as_str(), d.insecure), ("", false));
    let cfg: KeystoneConfig = serde_json::from_value(
        json!({"cafile": "/etc/neutrino/keystone-ca.pem", "insecure": true}),
    )
    .unwrap();
    assert_eq!(cfg.cafile, "/etc/neutrino/keystone-ca.pem");
    assert!(cfg.insecure);
}
