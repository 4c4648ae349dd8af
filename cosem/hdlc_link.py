"""`HdlcLink`: the sans-IO HDLC data link of IEC 62056-46, for the meter (server) and client roles.

Like h11's Connection: feed received bytes with `receive_data`, pull events with `next_event`,
take the bytes to transmit with `data_to_send`. Link-level answers (UA, RR, DM, FRMR, the next
segment of a long APDU) are queued by the link itself; the caller only moves APDUs::

    link = HdlcLink(Role.SERVER, ServerAddress(1, 17, 2))
    link.receive_data(serial_bytes, now)
    while (event := link.next_event()) is not None:
        if isinstance(event, ApduReceived):
            link.send_apdu(association.handle(event.apdu))
    port.write(link.data_to_send())

Time is injected (`now`, seconds on any monotonic scale) for the inactivity timeout.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from cosem.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    PUBLIC_CLIENT,
    ClientAddress,
    Control,
    Frame,
    FrameKind,
    FrameParser,
    HdlcError,
    LinkParameters,
    RawFrame,
    ServerAddress,
    decode_client_address,
    decode_server_address,
)

DEFAULT_INACTIVITY_TIMEOUT = 120.0  # seconds, IEC HDLC setup default (COSEM-FACTS 5.4)
DEFAULT_PARAMETERS = LinkParameters()


class Role(enum.Enum):
    CLIENT = "client"
    SERVER = "server"


class LinkState(enum.Enum):
    DISCONNECTED = "disconnected"  # normal disconnected mode: only SNRM opens the link
    CONNECTING = "connecting"  # client: SNRM sent, waiting for UA
    CONNECTED = "connected"  # normal response mode: I-frames flow
    DISCONNECTING = "disconnecting"  # client: DISC sent, waiting for UA or DM
    REJECTED = "rejected"  # server: frame reject condition, only SNRM or DISC clear it


@dataclass(frozen=True, slots=True)
class Connected:
    """The link is up with these parameters, seen from this side."""

    parameters: LinkParameters


@dataclass(frozen=True, slots=True)
class ApduReceived:
    """A complete APDU (segments joined, LLC header removed)."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class Disconnected:
    reason: str


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """A protocol violation: the server answered FRMR, or the client got FRMR / a bad frame."""

    reason: str


Event = Connected | ApduReceived | Disconnected | FrameRejected


class HdlcLink:
    """One end of a point-to-point HDLC link (window size 1 on transmit)."""

    def __init__(
        self,
        role: Role,
        server: ServerAddress,
        client: ClientAddress = PUBLIC_CLIENT,
        *,
        limits: LinkParameters = DEFAULT_PARAMETERS,
        inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT,
        now: float = 0.0,
    ) -> None:
        self.role = role
        self.server = server
        self.client = client
        self.limits = limits
        self.inactivity_timeout = inactivity_timeout if role is Role.SERVER else None
        self.state = LinkState.DISCONNECTED
        self.parameters = LinkParameters()
        self._parser = FrameParser()
        self._events: deque[Event] = deque()
        self._outgoing = bytearray()
        self._send_seq = 0
        self._receive_seq = 0
        self._received = bytearray()
        self._pending: deque[bytes] = deque()
        self._last_i_frame = b""
        self._awaiting_reply = False
        self._last_activity = now
        self.peer_client: ClientAddress | None = client if role is Role.CLIENT else None
        """Server: the client SAP of the last frame addressed to this meter."""
        # Addresses used on the wire (the server answers in the form the client used).
        own, peer = (server, client) if role is Role.SERVER else (client, server)
        self._own_address = own.encode()
        self._peer_address = peer.encode()

    # --- caller API ----------------------------------------------------------------------

    @property
    def frames_discarded(self) -> int:
        """Noise, broken checksums and truncated frames skipped so far."""
        return self._parser.discarded

    @property
    def expects_reply(self) -> bool:
        """Server: an APDU was received and not yet answered (`send_apdu` or `receive_ready`).

        False again if a later frame of the same `receive_data` closed or reset the link."""
        return self._awaiting_reply

    @property
    def sending_segments(self) -> bool:
        """True while a segmented APDU still has segments to send."""
        return bool(self._pending)

    def receive_data(self, data: bytes, now: float) -> None:
        self._parser.feed(data)
        for raw in self._parser.frames():
            if self.role is Role.SERVER:
                self._server_frame(raw, now)
            else:
                self._client_frame(raw)

    def next_event(self) -> Event | None:
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def connect(self) -> None:
        """Client: open the link with SNRM (parameters only when they differ from defaults)."""
        self._require(Role.CLIENT, LinkState.DISCONNECTED, "connect")
        info = b"" if self.limits.is_default else self.limits.encode()
        self._emit(FrameKind.SNRM, info=info)
        self.state = LinkState.CONNECTING

    def disconnect(self) -> None:
        """Client: close the link with DISC."""
        self._require(Role.CLIENT, LinkState.CONNECTED, "disconnect")
        self._emit(FrameKind.DISC)
        self.state = LinkState.DISCONNECTING

    def send_apdu(self, apdu: bytes) -> None:
        """Queue an APDU, split into I-frame segments of the negotiated size.

        A server may only answer a received APDU; a client sends when the previous exchange is
        over. Later segments leave as the peer acknowledges with RR.
        """
        role = self.role
        self._require(role, LinkState.CONNECTED, "send an APDU")
        if self._pending:
            raise HdlcError("the previous APDU is still being sent")
        if role is Role.SERVER:
            if not self._awaiting_reply:
                raise HdlcError("a server link sends only in answer to a received APDU")
            self._awaiting_reply = False
        data = (LLC_RESPONSE if role is Role.SERVER else LLC_REQUEST) + apdu
        size = self.parameters.max_info_tx
        self._pending.extend(data[i : i + size] for i in range(0, len(data), size))
        self._send_next_segment()

    def receive_ready(self) -> None:
        """Send RR: a server with nothing to answer, or a client polling again after a loss."""
        if self.state is not LinkState.CONNECTED:
            raise HdlcError(f"RR needs a connected link, the link is {self.state.value}")
        self._awaiting_reply = False
        self._emit(FrameKind.RR, receive_seq=self._receive_seq)

    def check_timeout(self, now: float) -> None:
        """Server: drop a link silent for longer than the inactivity timeout."""
        if self.inactivity_timeout is None or self.state is LinkState.DISCONNECTED:
            return
        if now - self._last_activity >= self.inactivity_timeout:
            self._reset(LinkState.DISCONNECTED)
            self._events.append(Disconnected("inactivity timeout"))

    # --- server role ---------------------------------------------------------------------

    def _server_frame(self, raw: RawFrame, now: float) -> None:
        try:
            target = decode_server_address(raw.destination)
            peer = decode_client_address(raw.source)
        except HdlcError:
            self._parser.discarded += 1
            return
        if not self.server.accepts(target):
            return
        self._last_activity = now
        self.peer_client = peer
        self._peer_address = raw.source
        self._own_address = self.server.answering(target).encode()
        try:
            control = Control.decode(raw.control_byte)
        except HdlcError as error:
            self._reject(str(error))
            return
        kind = control.kind
        if kind is FrameKind.SNRM:
            self._server_snrm(raw.info)
        elif kind is FrameKind.DISC:
            if self.state is LinkState.DISCONNECTED:
                self._emit(FrameKind.DM)
            else:
                self._reset(LinkState.DISCONNECTED)
                self._emit(FrameKind.UA)
                self._events.append(Disconnected("DISC from the client"))
        elif kind is FrameKind.UI:
            return  # unnumbered information from a client: nothing this meter acts on
        elif self.state is LinkState.DISCONNECTED:
            if control.poll_final:
                self._emit(FrameKind.DM)
        elif self.state is LinkState.REJECTED:
            self._emit(FrameKind.FRMR)
        elif kind is FrameKind.I:
            self._server_i_frame(raw, control)
        elif kind in (FrameKind.RR, FrameKind.RNR):
            self._server_supervisory(control)
        else:
            self._reject(f"{kind.value} is not a command a client may send")

    def _server_snrm(self, info: bytes) -> None:
        try:
            requested = LinkParameters.decode(info)
        except HdlcError as error:
            self._reject(str(error))
            return
        self._reset(LinkState.CONNECTED)
        self.parameters = requested.swapped().clamped_to(self.limits)
        self._emit(FrameKind.UA, info=self.parameters.encode())
        self._events.append(Connected(self.parameters))

    def _server_i_frame(self, raw: RawFrame, control: Control) -> None:
        previous = (self._receive_seq - 1) % 8
        repeated = control.send_seq == previous and not raw.segmented
        if repeated and self._awaiting_reply:
            return  # the answer to it is on its way
        if repeated and self._last_i_frame:
            # Our answer was lost: the client repeats its request; repeat the answer.
            self._outgoing += self._last_i_frame
            return
        if self._awaiting_reply:
            self._reject("a new I-frame before the answer to the previous one")
            return
        if control.send_seq != self._receive_seq:
            self._reject(f"N(S)={control.send_seq}, expected {self._receive_seq}")
            return
        if control.receive_seq != self._send_seq or self._pending:
            self._reject(f"N(R)={control.receive_seq} acknowledges nothing sent")
            return
        if not raw.info:
            self._reject("I-frame without an information field")
            return
        if len(raw.info) > self.parameters.max_info_rx:
            self._reject(f"information field of {len(raw.info)} bytes exceeds the agreed size")
            return
        self._receive_seq = (self._receive_seq + 1) % 8
        self._received += raw.info
        if raw.segmented:
            if control.poll_final:
                self._emit(FrameKind.RR, receive_seq=self._receive_seq)
            return
        data = bytes(self._received)
        self._received.clear()
        if not data.startswith(LLC_REQUEST):
            self._reject("APDU without the E6 E6 00 LLC header")
            return
        self._awaiting_reply = True
        self._events.append(ApduReceived(data[len(LLC_REQUEST) :]))

    def _server_supervisory(self, control: Control) -> None:
        is_rr = control.kind is FrameKind.RR
        if is_rr and control.receive_seq != self._send_seq and self._last_i_frame:
            self._outgoing += self._last_i_frame  # the client missed our last I-frame
        elif is_rr and self._pending:
            self._send_next_segment()
        elif control.poll_final and not self._awaiting_reply:
            # Nothing to send, or RNR (the client is busy): say where we are.
            self._emit(FrameKind.RR, receive_seq=self._receive_seq)

    def _reject(self, reason: str) -> None:
        self._reset(LinkState.REJECTED)
        self._emit(FrameKind.FRMR)
        self._events.append(FrameRejected(reason))

    # --- client role ---------------------------------------------------------------------

    def _client_frame(self, raw: RawFrame) -> None:
        if raw.destination != self._own_address:
            return
        try:
            control = Control.decode(raw.control_byte)
        except HdlcError as error:
            self._client_failure(str(error))
            return
        kind = control.kind
        state = self.state
        if kind is FrameKind.DM:
            self._reset(LinkState.DISCONNECTED)
            self._events.append(Disconnected("DM: the meter has no link open"))
        elif kind is FrameKind.FRMR:
            self._reset(LinkState.DISCONNECTED)
            self._events.append(FrameRejected("FRMR: the meter rejected a frame"))
        elif kind is FrameKind.UA and state is LinkState.CONNECTING:
            try:
                server_view = LinkParameters.decode(raw.info)
            except HdlcError as error:
                self._client_failure(str(error))
                return
            self._reset(LinkState.CONNECTED)
            self.parameters = server_view.swapped()
            self._events.append(Connected(self.parameters))
        elif kind is FrameKind.UA and state is LinkState.DISCONNECTING:
            self._reset(LinkState.DISCONNECTED)
            self._events.append(Disconnected("closed"))
        elif state is not LinkState.CONNECTED:
            return  # late or stray frames around connection changes
        elif kind is FrameKind.I:
            self._client_i_frame(raw, control)
        elif kind is FrameKind.RR and self._pending and control.receive_seq == self._send_seq:
            self._send_next_segment()

    def _client_i_frame(self, raw: RawFrame, control: Control) -> None:
        if control.send_seq != self._receive_seq:
            return  # a repeat of a segment already taken: the poll that follows recovers
        self._receive_seq = (self._receive_seq + 1) % 8
        self._received += raw.info
        if raw.segmented:
            self._emit(FrameKind.RR, receive_seq=self._receive_seq)
            return
        data = bytes(self._received)
        self._received.clear()
        if not data.startswith(LLC_RESPONSE):
            self._client_failure("APDU without the E6 E7 00 LLC header")
            return
        self._events.append(ApduReceived(data[len(LLC_RESPONSE) :]))

    def _client_failure(self, reason: str) -> None:
        self._reset(LinkState.DISCONNECTED)
        self._events.append(FrameRejected(reason))

    # --- shared --------------------------------------------------------------------------

    def _require(self, role: Role, state: LinkState, action: str) -> None:
        if self.role is not role:
            raise HdlcError(f"only a {role.value} link can {action}")
        if self.state is not state:
            raise HdlcError(f"cannot {action}: the link is {self.state.value}")

    def _reset(self, state: LinkState) -> None:
        self.state = state
        self._send_seq = self._receive_seq = 0
        self._received.clear()
        self._pending.clear()
        self._last_i_frame = b""
        self._awaiting_reply = False

    def _send_next_segment(self) -> None:
        info = self._pending.popleft()
        control = Control(FrameKind.I, True, self._send_seq, self._receive_seq)
        frame = self._frame(control, info, segmented=bool(self._pending))
        self._send_seq = (self._send_seq + 1) % 8
        self._last_i_frame = frame
        self._outgoing += frame

    def _emit(self, kind: FrameKind, *, info: bytes = b"", receive_seq: int = 0) -> None:
        self._outgoing += self._frame(Control(kind, True, 0, receive_seq), info)

    def _frame(self, control: Control, info: bytes, segmented: bool = False) -> bytes:
        return Frame(self._peer_address, self._own_address, control, info, segmented).encode()
