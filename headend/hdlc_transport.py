"""`ApduTransport` over an HDLC link (client role) on any byte pipe: an optical port after the
mode E handshake, or a TCP connection to `vmeter run --tcp-hdlc`."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from cosem.hdlc import ClientAddress, LinkParameters, ServerAddress
from cosem.hdlc_link import (
    ApduReceived,
    Connected,
    Disconnected,
    Event,
    FrameRejected,
    HdlcLink,
    LinkState,
    Role,
)
from cosem.trace import Tracer, format_frame
from headend.session import DEFAULT_TIMEOUT_S, ApduTransport, NoAnswer

CLIENT_LIMITS = LinkParameters(max_info_tx=512, max_info_rx=512, window_tx=1, window_rx=1)
POLLS = 3  # silences answered with an RR poll (the meter repeats a lost frame) before giving up


class BytePipe(Protocol):
    """What the link needs from a line: an `OpticalPort` is one, `StreamPipe` another."""

    async def read(self, timeout: float) -> bytes: ...

    async def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class StreamPipe:
    """An asyncio TCP stream as a `BytePipe` (HDLC over TCP, both roles)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @property
    def at_eof(self) -> bool:
        return self._reader.at_eof()

    async def read(self, timeout: float) -> bytes:
        """Bytes, b"" on a timeout; ConnectionResetError once the peer has closed."""
        if self._reader.at_eof():
            raise ConnectionResetError("the peer closed the connection")
        try:
            return await asyncio.wait_for(self._reader.read(65536), timeout)
        except TimeoutError:
            return b""

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    def close(self) -> None:
        self._writer.close()


class HdlcTransport(ApduTransport):
    """One HDLC link to one meter: `open` (SNRM/UA), then APDUs, then `close` (DISC/UA)."""

    def __init__(
        self,
        pipe: BytePipe,
        server: ServerAddress,
        client: ClientAddress,
        *,
        limits: LinkParameters = CLIENT_LIMITS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        trace: Tracer | None = None,
    ) -> None:
        self.pipe = pipe
        self.link = HdlcLink(Role.CLIENT, server, client, limits=limits)
        self.timeout_s = timeout_s  # for SNRM and DISC; answers get the session's
        self._trace = trace
        self._outbound = f"C{client.sap}->S{server.logical}"
        self._inbound = f"S{server.logical}->C{client.sap}"
        self._received = bytearray()  # frames of the answer being traced

    @classmethod
    async def connect_tcp(
        cls,
        host: str,
        port: int,
        server: ServerAddress,
        client: ClientAddress,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> HdlcTransport:
        """HDLC frames straight over TCP (`vmeter run --tcp-hdlc`), link opened."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
        except (TimeoutError, OSError) as error:
            raise NoAnswer(f"cannot connect to {host}:{port}: {error}") from error
        transport = cls(StreamPipe(reader, writer), server, client, timeout_s=timeout_s)
        await transport.open()
        return transport

    @property
    def parameters(self) -> LinkParameters:
        return self.link.parameters

    async def open(self) -> LinkParameters:
        """SNRM/UA: the negotiated parameters, seen from this side."""
        self.link.connect()
        await self._flush()
        event = await self._next_event("answer (UA) to SNRM", 0, self.timeout_s)
        if isinstance(event, Connected):
            return event.parameters
        raise NoAnswer(f"the meter refused the HDLC link: {_describe(event)}")

    async def send(self, apdu: bytes) -> None:
        """Send one APDU, segmented to the negotiated size (segments go as the meter acks)."""
        self.link.send_apdu(apdu)
        await self._flush(apdu)

    async def receive(self, timeout_s: float) -> bytes:
        event = await self._next_event("answer to the request", POLLS, timeout_s)
        if isinstance(event, ApduReceived):
            if self._trace is not None:
                self._trace(format_frame(self._inbound, bytes(self._received), event.apdu))
            return event.apdu
        raise NoAnswer(f"HDLC link lost: {_describe(event)}")

    async def close(self) -> None:
        """DISC, then close the line. Idempotent."""
        try:
            if self.link.state is LinkState.CONNECTED:
                self.link.disconnect()
                await self._flush()
                with contextlib.suppress(NoAnswer, ConnectionError):
                    await self._next_event("answer (UA) to DISC", 0, self.timeout_s)
        finally:
            self.pipe.close()

    async def _flush(self, apdu: bytes | None = None) -> None:
        data = self.link.data_to_send()
        if not data:
            return
        if self._trace is not None:
            if apdu is None:
                self._trace(f"{self._outbound} {data.hex(' ')}")
            else:
                self._trace(format_frame(self._outbound, data, apdu))
        await self.pipe.write(data)

    async def _next_event(self, waiting_for: str, polls: int, timeout_s: float) -> Event:
        """The link's next event. `timeout_s` bounds the meter's silence, not the exchange (a
        long segmented answer takes its time on a slow line); within it, each silence of
        timeout/(polls+1) is met with an RR poll, which makes the meter repeat a lost frame."""
        loop = asyncio.get_running_loop()
        interval = timeout_s / (polls + 1)
        deadline = loop.time() + interval
        polls_left = polls
        self._received.clear()
        while (event := self.link.next_event()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                if polls_left == 0 or self.link.state is not LinkState.CONNECTED:
                    raise NoAnswer(f"no {waiting_for} within {timeout_s:g} s")
                polls_left -= 1
                self.link.receive_ready()
                await self._flush()
                deadline = loop.time() + interval
                continue
            try:
                data = await self.pipe.read(timeout=remaining)
            except ConnectionError as error:
                raise NoAnswer(f"the line closed: {error}") from error
            if data:
                if self._trace is not None:
                    self._received += data
                self.link.receive_data(data, loop.time())
                await self._flush()  # RR for the next segment, or our next segment
                deadline, polls_left = loop.time() + interval, polls
        if self._trace is not None and not isinstance(event, ApduReceived):
            self._trace(f"{self._inbound} {self._received.hex(' ')}")
        return event


def _describe(event: Event) -> str:
    if isinstance(event, Disconnected | FrameRejected):
        return event.reason
    return type(event).__name__
