"""The workers' listening socket: accepted connections get TCP_NODELAY (no Nagle delay on responses)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from tellgraph.api.server import listening_socket


async def _nodelay_of_accepted(sock: socket.socket) -> int:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            conn = transport.get_extra_info("socket")
            accepted.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
    try:
        host, port = sock.getsockname()[:2]
        _reader, writer = await asyncio.open_connection(host, port)
        try:
            return await asyncio.wait_for(accepted, timeout=5)
        finally:
            writer.close()
    finally:
        server.close()
        await server.wait_closed()


def _config() -> uvicorn.Config:
    return uvicorn.Config("tellgraph.api.server:app_factory", factory=True, host="127.0.0.1", port=0)


def test_connections_accepted_on_the_workers_socket_send_without_delay() -> None:
    assert asyncio.run(_nodelay_of_accepted(listening_socket(_config()))) != 0


def test_declaring_tcp_keeps_what_uvicorn_already_sets() -> None:
    # uvicorn before 0.55 opened its socket with protocol 0, so accepted connections kept Nagle on
    # (Nagle + delayed ACK = ~40 ms per response); newer uvicorn declares TCP itself. Either way the
    # workers' socket must end up with TCP_NODELAY, and re-declaring it must not break a fixed uvicorn.
    own = asyncio.run(_nodelay_of_accepted(_config().bind_socket()))
    ours = asyncio.run(_nodelay_of_accepted(listening_socket(_config())))
    assert ours != 0
    assert ours >= own
