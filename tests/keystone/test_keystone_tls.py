"""Keystone mode with Keystone over https (the same Keystone, served by gunicorn with a
certificate of a throwaway CA): `cafile` naming the CA validates tokens; without it the CA is
unknown (it is not in the host's bundle) and requests get the 503 of an unreachable Keystone, whose
text and the server's log name the certificate problem; `insecure = true` works without the CA and
is warned about; a `cafile` that is not a CA file stops the start with the file named."""

import subprocess

import requests

from conftest import keystone_section
from neutrino_server import neutrino_bin, start_server


def networks(server, token):
    return requests.get(server.url + "/v2.0/networks", headers={"X-Auth-Token": token}, timeout=30)


def serve(keystone_tls, base, **extra):
    return start_server(base, users={}, extra_toml=keystone_section(keystone_tls.url, **extra))


def stopped(server):
    code = server.stop()
    assert code == 0, f"neutrino serve exited with {code}:\n{server.log_text()}"


def test_tokens_validate_with_the_ca_of_keystone(keystone_tls, neutrino, demo, tmp_path):
    server = serve(keystone_tls, tmp_path, cafile=f'"{keystone_tls.certs.ca}"')
    try:
        resp = networks(server, demo.auth_token)
        assert resp.status_code == 200, resp.text
        assert networks(server, "not-a-token").status_code == 401, "Keystone was asked, and said no"
    finally:
        stopped(server)


def test_an_unknown_ca_is_keystone_unreachable_and_named(keystone_tls, neutrino, demo, tmp_path):
    server = serve(keystone_tls, tmp_path)
    try:
        resp = networks(server, demo.auth_token)
        assert resp.status_code == 503, resp.text
        error = resp.json()["NeutronError"]
        assert error["type"] == "ServiceUnavailable"
        assert "cannot reach Keystone" in error["message"], error
        assert "invalid peer certificate: UnknownIssuer" in error["message"], error
    finally:
        stopped(server)
    assert "invalid peer certificate: UnknownIssuer" in server.log.read_text(errors="replace")


def test_insecure_skips_verification_with_a_warning(keystone_tls, neutrino, demo, tmp_path):
    server = serve(keystone_tls, tmp_path, insecure="true")
    try:
        resp = networks(server, demo.auth_token)
        assert resp.status_code == 200, resp.text
    finally:
        stopped(server)
    warned = [line for line in server.log.read_text(errors="replace").splitlines()
              if "WARN" in line and "insecure = true" in line]
    assert warned, server.log_text()


def test_a_bad_cafile_stops_the_start(keystone_tls, tmp_path):
    not_a_ca = tmp_path / "keystone-ca.pem"
    not_a_ca.write_text("this is not a certificate\n")
    for cafile, why in ((not_a_ca, "no PEM certificate in it"),
                        (tmp_path / "missing.pem", "cannot read it")):
        config = tmp_path / "neutrino.toml"
        config.write_text(keystone_section(keystone_tls.url, cafile=f'"{cafile}"'))
        done = subprocess.run(
            [neutrino_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir",
             str(tmp_path / "data"), "--config", str(config)],
            capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
        assert done.returncode != 0
        assert f"[identity.keystone] cafile {cafile}: {why}" in done.stdout + done.stderr, done
