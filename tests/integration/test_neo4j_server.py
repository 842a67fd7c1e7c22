"""The locally provisioned Neo4j server: start, status, Browser, port conflicts, stop.

One real server per module, in its own home and on free ports, so it never touches
the developer's server on 7687/7474. It reuses the default home's jars (downloaded
once by ``tellgraph neo4j start`` or by this module) instead of downloading again.
The stop test runs last: pytest keeps file order.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import neo4j
import pytest

from tellgraph.errors import ProvisioningError
from tellgraph.graph.neo4j_server import LocalNeo4j
from tests.integration.private_neo4j import private_server

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    """A real server in a throw-away home, stopped whatever happens."""
    local = private_server(tmp_path_factory.mktemp("neo4j-home"))
    try:
        first = local.start()
        assert not first.already_running
        yield local
    finally:
        local.stop()


def test_second_start_is_a_no_op(server: LocalNeo4j) -> None:
    pid = server.running_pid()

    again = server.start()

    assert again.already_running
    assert again.pid == pid
    assert "already running" in again.message


def test_status_reports_the_running_server(server: LocalNeo4j) -> None:
    status = server.status()

    assert status.running
    assert status.pid == server.running_pid()
    assert status.bolt_ready
    assert status.bolt_protocol is not None and status.bolt_protocol.startswith("5.")
    assert status.http_ready
    assert status.server_version == status.version
    assert status.bolt_url == f"bolt://127.0.0.1:{server.bolt_port}"
    assert status.data_dir == server.home / "data"
    assert (status.data_dir / "databases" / "neo4j").is_dir()
    assert status.log_file.is_file()
    assert status.to_dict()["home"] == str(server.home)


def test_bolt_accepts_the_configured_password(server: LocalNeo4j) -> None:
    password = server.settings.neo4j_password.get_secret_value()
    with neo4j.GraphDatabase.driver(server.bolt_url, auth=("neo4j", password)) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one")

    assert records[0]["one"] == 1


def test_password_never_reaches_the_command_line(server: LocalNeo4j) -> None:
    password = server.settings.neo4j_password.get_secret_value()
    cmdline = Path(f"/proc/{server.running_pid()}/cmdline")
    if not cmdline.exists():
        pytest.skip("no /proc on this platform")

    assert password.encode() not in cmdline.read_bytes()
    assert not list((server.home / "run").glob("initial-password-*"))


def test_browser_is_served(server: LocalNeo4j) -> None:
    # No proxies: an http_proxy in the environment must not intercept 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(server.browser_url, timeout=10) as response:
        body = response.read().decode("utf-8")
        content_type = response.headers.get("Content-Type", "")

    assert response.status == 200
    assert content_type.startswith("text/html")
    assert "<title>Neo4j Browser</title>" in body


@pytest.mark.parametrize("taken", ["Bolt", "HTTP"])
def test_a_taken_port_is_named_in_the_error(tmp_path: Path, taken: str) -> None:
    other = private_server(tmp_path)
    blocked = other.bolt_port if taken == "Bolt" else other.http_port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", blocked))
        squatter.listen()

        with pytest.raises(ProvisioningError) as caught:
            other.start()

    assert caught.value.step == "start"
    assert f"port {blocked} ({taken})" in str(caught.value)
    assert not other.status().running


def test_stop_stops_the_server(server: LocalNeo4j) -> None:
    assert server.stop()

    status = server.status()
    assert not status.running
    assert status.pid is None
    assert not status.bolt_ready
    assert not status.http_ready
    assert not server.pid_file.exists()
    assert (status.data_dir / "databases" / "neo4j").is_dir()  # data survives a stop
    assert not server.stop()  # stopping a stopped server is a no-op
