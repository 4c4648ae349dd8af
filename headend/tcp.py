"""``ApduTransport`` over the TCP wrapper (IEC 62056-47), TCP_NODELAY set.

An ``asyncio.Protocol`` rather than streams: a GET costs one event-loop turn for its answer,
and the silence timeout is one long-lived timer re-armed lazily (a deadline moved per answer),
not a timer per request, because the head-end's own overhead bounds GETs per second."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque

from cosem.errors import DecodeError
from cosem.trace import Tracer, format_frame
from cosem.wrapper import WrapperDecoder, WrapperFrame, encode_wrapper
from headend.session import DEFAULT_TIMEOUT_S, ApduTransport, NoAnswer

PUBLIC_CLIENT = 16
MANAGEMENT_LOGICAL_DEVICE = 1


class _WrapperStream(asyncio.Protocol):
    """Bytes in, whole wrapper frames out; wakes the one receive waiting for them."""

    def __init__(self) -> None:
        self.decoder = WrapperDecoder()
        self.frames: deque[WrapperFrame] = deque()
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.lost: NoAnswer | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        try:
            self.frames.extend(self.decoder.feed(data))
        except DecodeError as exc:
            self.fail(NoAnswer(f"broken wrapper stream from the meter: {exc}"))
            assert self.transport is not None
            self.transport.close()
            return
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def eof_received(self) -> bool:
        self.fail(NoAnswer("the meter closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(NoAnswer(f"connection lost: {exc}" if exc else "the connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    def fail(self, error: NoAnswer) -> None:
        """The connection is over: the waiting receive (and every later one) raises ``error``."""
        if self.lost is None:
            self.lost = error
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(self.lost)


class TcpWrapperTransport(ApduTransport):
    def __init__(
        self,
        stream: _WrapperStream,
        client_sap: int = PUBLIC_CLIENT,
        server_sap: int = MANAGEMENT_LOGICAL_DEVICE,
        trace: Tracer | None = None,
    ) -> None:
        self._stream = stream
        self.client_sap = client_sap
        self.server_sap = server_sap
        self._trace = trace
        self._loop = asyncio.get_running_loop()
        self._silence_deadline = 0.0
        self._silence_timer: asyncio.TimerHandle | None = None
        self._silence_s = 0.0

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        client_sap: int = PUBLIC_CLIENT,
        server_sap: int = MANAGEMENT_LOGICAL_DEVICE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        trace: Tracer | None = None,
    ) -> TcpWrapperTransport:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout_s):
                _, stream = await loop.create_connection(_WrapperStream, host, port)
        except TimeoutError:
            raise NoAnswer(f"no TCP connection to {host}:{port} within {timeout_s:g} s") from None
        except OSError as exc:
            raise NoAnswer(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
        return cls(stream, client_sap, server_sap, trace)

    async def send(self, apdu: bytes) -> None:
        stream = self._stream
        if stream.lost is not None:
            raise NoAnswer(f"cannot send: {stream.lost}")
        frame = encode_wrapper(self.client_sap, self.server_sap, apdu)
        if self._trace is not None:
            self._trace(format_frame(f"C{self.client_sap}->S{self.server_sap}", frame, apdu))
        assert stream.transport is not None
        stream.transport.write(frame)  # one request at a time: the buffer never grows

    async def receive(self, timeout_s: float) -> bytes:
        stream = self._stream
        while (apdu := self._next_apdu()) is None:
            if stream.lost is not None:
                raise stream.lost
            stream.waiter = self._loop.create_future()
            self._watch_silence(timeout_s)
            await stream.waiter  # NoAnswer when the meter stays silent or the link ends
        return apdu

    async def close(self) -> None:
        if self._silence_timer is not None:
            self._silence_timer.cancel()
        stream = self._stream
        if stream.transport is not None:
            stream.transport.close()
        with contextlib.suppress(ConnectionError, OSError):  # already gone
            await stream.closed

    def _next_apdu(self) -> bytes | None:
        frames = self._stream.frames
        while frames:
            frame = frames.popleft()
            # Only frames from our logical device to us belong to this session.
            if frame.source_wport == self.server_sap and frame.dest_wport == self.client_sap:
                if self._trace is not None:
                    direction = f"S{frame.source_wport}->C{frame.dest_wport}"
                    self._trace(format_frame(direction, frame.to_bytes(), frame.apdu))
                return frame.apdu
        return None

    def _watch_silence(self, timeout_s: float) -> None:
        """Move the deadline; the one timer catches up with it when it fires."""
        self._silence_s = timeout_s
        self._silence_deadline = self._loop.time() + timeout_s
        timer = self._silence_timer
        if timer is None or timer.when() > self._silence_deadline:  # none, or a longer timeout
            if timer is not None:
                timer.cancel()
            self._silence_timer = self._loop.call_at(self._silence_deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._silence_timer = None
        waiter = self._stream.waiter
        if waiter is None or waiter.done():
            return  # nobody waits: the next receive arms a new timer
        if self._loop.time() < self._silence_deadline:
            self._silence_timer = self._loop.call_at(self._silence_deadline, self._on_timer)
            return
        waiter.set_exception(NoAnswer(f"no answer from the meter within {self._silence_s:g} s"))


def parse_endpoint(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:4059`` for IPv6) -> (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"--tcp: expected HOST:PORT (like 127.0.0.1:4059), got {text!r}")
    return host.strip("[]"), int(port)
