"""No test reaches the network: pytest-socket, enabled for every test by pyproject.toml's
`addopts` (`--allow-hosts=127.0.0.1,::1,localhost`), refuses any connection that would leave
this machine before it is made (https://github.com/miketheman/pytest-socket, "allow_hosts").
Spark's py4j gateway and local session, DuckDB and moto stay on the loopback or in-process."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError

# TEST-NET-1 (RFC 5737): reserved for documentation, never a real host. An IP literal, so the
# refusal is the connection's, not a name lookup's.
DOCUMENTATION_HOST = "192.0.2.1"


def test_a_connection_off_this_machine_is_refused_before_it_leaves():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as outbound:
        outbound.settimeout(2)  # without the guard: an OSError or a timeout, not this error
        # The plugin also warns, so that a test that swallows the error still shows it.
        with (
            pytest.warns(UserWarning, match=DOCUMENTATION_HOST),
            pytest.raises(SocketConnectBlockedError, match=DOCUMENTATION_HOST),
        ):
            outbound.connect((DOCUMENTATION_HOST, 443))


def test_the_loopback_stays_open_for_local_services():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2) as client:
            accepted, _ = server.accept()
            with accepted:
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"
