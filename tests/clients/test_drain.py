"""Graceful drain on SIGTERM: the listener closes at once, a request in flight still gets its
answer and is committed, the process exits 0; one that does not finish within
shutdown_timeout_secs is abandoned and the process exits 0 all the same."""

import json
import os
import signal
import socket
import time

import pytest
import requests

from conftest import connect, start_server


def half_sent_create(srv, token, name):
    """A socket with a network create whose body is sent all but its last byte: in flight."""
    body = json.dumps({"network": {"name": name}}).encode()
    head = (f"POST /v2.0/networks HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
            f"X-Auth-Token: {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(head + body[:-1])
    return sock, body[-1:]


def read_status(sock):
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def refuses_connections(srv):
    try:
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        return False
    except OSError:
        return True


def wait_exit(srv, timeout):
    try:
        return srv.proc.wait(timeout=timeout)
    except Exception:
        srv.kill()
        pytest.fail(f"neutrino serve did not exit within {timeout}s of SIGTERM:\n{srv.log_text()}")


def test_sigterm_finishes_the_request_in_flight(tmp_path):
    srv = start_server(tmp_path, extra_toml="shutdown_timeout_secs = 20\n")
    token = connect(srv, "admin").auth_token
    sock, last = half_sent_create(srv, token, "drained")
    time.sleep(0.3)
    os.kill(srv.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while not refuses_connections(srv):
        assert time.monotonic() < deadline, "the listener is still open after SIGTERM"
        time.sleep(0.1)
    assert srv.proc.poll() is None, "exited with a request in flight"
    sock.sendall(last)
    assert read_status(sock).startswith("HTTP/1.1 201"), srv.log_text()
    sock.close()
    assert wait_exit(srv, 15) == 0, srv.log_text()
    srv.stop()
    # The answered create was committed: it is there after a restart.
    srv.start()
    try:
        conn = connect(srv, "admin")
        assert conn.network.find_network("drained") is not None
        assert requests.get(srv.url + "/readyz", timeout=10).status_code == 200
    finally:
        assert srv.stop() == 0


def test_sigterm_gives_up_on_a_request_after_the_timeout(tmp_path):
    srv = start_server(tmp_path, extra_toml="shutdown_timeout_secs = 1\n")
    token = connect(srv, "admin").auth_token
    sock, _ = half_sent_create(srv, token, "abandoned")
    time.sleep(0.3)
    started = time.monotonic()
    os.kill(srv.proc.pid, signal.SIGTERM)
    assert wait_exit(srv, 15) == 0, srv.log_text()
    assert time.monotonic() - started >= 1.0, "exited before the timeout with a request in flight"
    assert "shutdown timeout" in srv.log_text()
    sock.close()
    srv.stop()
