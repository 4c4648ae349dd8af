"""``ApduTransport`` over the TCP wrapper (IEC 62056-47), TCP_NODELAY set."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Callable

from cosem.errors import DecodeError
from cosem.trace import format_frame
from cosem.wrapper import WrapperDecoder, WrapperFrame, encode_wrapper
from headend.session import DEFAULT_TIMEOUT_S, ApduTransport, NoAnswer

PUBLIC_CLIENT = 16
MANAGEMENT_LOGICAL_DEVICE = 1
Tracer = Callable[[str], None]


class TcpWrapperTransport(ApduTransport):
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client_sap: int = PUBLIC_CLIENT,
        server_sap: int = MANAGEMENT_LOGICAL_DEVICE,
        trace: Tracer | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.client_sap = client_sap
        self.server_sap = server_sap
        self._trace = trace
        self._decoder = WrapperDecoder()
        self._frames: deque[WrapperFrame] = deque()

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
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
        except TimeoutError:
            raise NoAnswer(f"no TCP connection to {host}:{port} within {timeout_s:g} s") from None
        except OSError as exc:
            raise NoAnswer(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer, client_sap, server_sap, trace)

    async def send(self, apdu: bytes) -> None:
        frame = encode_wrapper(self.client_sap, self.server_sap, apdu)
        if self._trace is not None:
            self._trace(format_frame(f"C{self.client_sap}->S{self.server_sap}", frame, apdu))
        try:
            self._writer.write(frame)
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            raise NoAnswer(f"connection lost while sending: {exc}") from exc

    async def receive(self, timeout_s: float) -> bytes:
        if (apdu := self._next_apdu()) is not None:
            return apdu
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout_s) as silence:
                await self._read_more()
                while (apdu := self._next_apdu()) is None:  # a long answer: wait for the rest
                    silence.reschedule(loop.time() + timeout_s)
                    await self._read_more()
                return apdu
        except TimeoutError:
            raise NoAnswer(f"no answer from the meter within {timeout_s:g} s") from None

    def _next_apdu(self) -> bytes | None:
        while self._frames:
            frame = self._frames.popleft()
            # Only frames from our logical device to us belong to this session.
            if frame.source_wport == self.server_sap and frame.dest_wport == self.client_sap:
                if self._trace is not None:
                    direction = f"S{frame.source_wport}->C{frame.dest_wport}"
                    self._trace(format_frame(direction, frame.to_bytes(), frame.apdu))
                return frame.apdu
        return None

    async def _read_more(self) -> None:
        try:
            data = await self._reader.read(65536)
        except (ConnectionError, OSError) as exc:
            raise NoAnswer(f"connection lost: {exc}") from exc
        if not data:
            raise NoAnswer("the meter closed the connection")
        try:
            self._frames.extend(self._decoder.feed(data))
        except DecodeError as exc:
            raise NoAnswer(f"broken wrapper stream from the meter: {exc}") from exc

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):  # already gone
            await self._writer.wait_closed()


def parse_endpoint(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:4059`` for IPv6) -> (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"--tcp: expected HOST:PORT (like 127.0.0.1:4059), got {text!r}")
    return host.strip("[]"), int(port)
