"""The COSEM server over the TCP wrapper (IEC 62056-47): a thin asyncio loop around
``cosem.server``.

One ``asyncio.Protocol`` per connection (TCP_NODELAY): bytes go through a sans-IO
``WrapperDecoder``; each frame addressed to the logical device's server SAP goes to that
connection's ``ServerAssociation`` for the frame's source wPort (client SAP), and the answer
goes back with the wPorts swapped. Frames for another server SAP are ignored. A broken
stream (bad wrapper version or length) closes that connection only; a connection silent for
``idle_timeout_s`` is closed. Everything runs on the caller's event loop, next to the meter.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Callable

from cosem.errors import DecodeError
from cosem.server import LogicalDevice
from cosem.trace import Tracer
from cosem.wrapper import HEADER, WRAPPER_VERSION, WrapperDecoder
from cosem.wrapper_server import WrapperAssociations
from emulator.config import ConfigError, MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4059
DEFAULT_IDLE_TIMEOUT_S = 120.0
MAX_ASSOCIATIONS_PER_CONNECTION = 16  # client SAPs one connection may use (16, 17, 1...)


def parse_endpoint(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:4059`` for IPv6) -> (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT (like 127.0.0.1:4059), got {text!r}")
    return host.strip("[]"), int(port)


class TcpService:
    """Serves one logical device on a TCP port; ``start()`` then ``close()``."""

    def __init__(
        self,
        device: LogicalDevice,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        trace: Tracer | None = None,
    ) -> None:
        self.device = device
        self.host = host
        self.port = port
        self.idle_timeout_s = idle_timeout_s
        self.trace = trace
        self.connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Listen; ``port`` 0 picks a free port, read back from ``self.port``."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = loop.call_later(self.idle_timeout_s / 4, self._sweep)
        log.info("COSEM TCP wrapper server on %s:%d", self.host, self.port)

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.close()
        if self._server is not None:
            await self._server.wait_closed()

    def _sweep(self) -> None:
        """Close the connections idle for longer than the timeout, then re-arm."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() - self.idle_timeout_s
        for connection in list(self.connections):
            if connection.last_activity < deadline:
                log.info("closing idle COSEM connection %s", connection.peer)
                connection.close()
        self._sweeper = loop.call_later(self.idle_timeout_s / 4, self._sweep)


class _Connection(asyncio.Protocol):
    def __init__(self, service: TcpService) -> None:
        self.service = service
        self.decoder = WrapperDecoder()
        self.wrapper = WrapperAssociations(service.device, service.trace)
        self.transport: asyncio.Transport | None = None
        self.peer: object = None
        self.last_activity = 0.0
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.last_activity = self._loop.time()
        self.service.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.service.connections.discard(self)
        self.wrapper.associations.clear()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.last_activity = self._loop.time()
        # Hot path: exactly one whole frame and nothing pending (one request per segment).
        if not self.decoder.pending and len(data) >= HEADER.size:
            version, source, dest, length = HEADER.unpack_from(data)
            if version == WRAPPER_VERSION and length == len(data) - HEADER.size:
                self._serve(source, dest, data)
                return
        try:
            frames = self.decoder.feed(data)
        except DecodeError as error:
            log.info("dropping COSEM connection %s: %s", self.peer, error)
            self.close()
            return
        for frame in frames:
            self._serve(frame.source_wport, frame.dest_wport, frame.to_bytes())

    def _serve(self, client_sap: int, server_sap: int, raw: bytes) -> None:
        wrapper = self.wrapper
        if (
            client_sap not in wrapper.associations
            and wrapper.addressed_to_us(server_sap)
            and len(wrapper.associations) >= MAX_ASSOCIATIONS_PER_CONNECTION
        ):
            log.info("dropping COSEM connection %s: too many client SAPs", self.peer)
            self.close()
            return
        answer = wrapper.answer(client_sap, server_sap, raw, raw[HEADER.size :])
        if answer is not None and self.transport is not None:
            self.transport.write(answer)


async def run_with_tcp(
    runtime: VirtualMeter,
    config: MeterConfig,
    endpoint: str,
    trace: Tracer | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Run the meter with the COSEM TCP service beside it on the same loop until the meter's
    run ends (or is cancelled); ``announce`` receives "COSEM TCP server on HOST:PORT".
    ConfigError when the endpoint cannot be listened on (port in use...)."""
    host, port = parse_endpoint(endpoint)
    service = TcpService(build_logical_device(runtime, config), host, port, trace=trace)
    try:
        await service.start()
    except OSError as error:
        raise ConfigError(f"cannot listen on {endpoint}: {error.strerror or error}") from error
    if announce is not None:
        announce(f"COSEM TCP server on {service.host}:{service.port}")
    try:
        await runtime.run()
    finally:
        await service.close()


async def run_cli(
    runtime: VirtualMeter, config: MeterConfig, endpoint: str, trace: Tracer | None
) -> None:
    """``vmeter run`` with the TCP service. Raises ConfigError for a bad endpoint."""
    try:
        parse_endpoint(endpoint)
    except ValueError as error:
        raise ConfigError(f"--tcp: {error}") from error
    await run_with_tcp(runtime, config, endpoint, trace, on_stderr)


def on_stderr(text: str) -> None:
    """Announcements (where the services listen) go to stderr, beside the trace."""
    print(text, file=sys.stderr, flush=True)
