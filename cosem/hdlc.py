"""HDLC frames of IEC 62056-46: addresses, control field, HCS/FCS, and a resynchronising parser.

Frame on the wire (COSEM-FACTS 5.1)::

    7E | format(2) | dest addr (1/2/4) | src addr (1/2/4) | control | HCS(2) | [info | FCS(2)] | 7E

The format field holds type 0xA, the segmentation bit and the 11-bit length of everything between
the flags. HCS and FCS are CRC-16/X.25 sent low byte first. Everything here is pure: bytes in,
`Frame` objects out, and the reverse.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

import crcmod.predefined

from cosem.errors import CosemError

FLAG = 0x7E
FORMAT_TYPE = 0xA
SEGMENTED_BIT = 0x0800
MAX_FRAME_LENGTH = 0x07FF
POLL_FINAL = 0x10
LLC_REQUEST = b"\xe6\xe6\x00"
LLC_RESPONSE = b"\xe6\xe7\x00"

_crc16_x25 = crcmod.predefined.mkPredefinedCrcFun("x-25")


class HdlcError(CosemError):
    """A frame or address that breaks IEC 62056-46, or a link used out of order."""


def check_sequence(data: bytes) -> bytes:
    """HCS/FCS of `data`: CRC-16/X.25, low byte first as transmitted."""
    return int(_crc16_x25(data)).to_bytes(2, "little")


# --- addresses -------------------------------------------------------------------------------

ALL_STATION_7 = 0x7F
ALL_STATION_14 = 0x3FFF
NO_STATION = 0x00


@dataclass(frozen=True, slots=True)
class ClientAddress:
    """A client SAP (1 public... 16 public client); always one byte on the wire."""

    sap: int

    def encode(self) -> bytes:
        if not 0 <= self.sap <= 0x7F:
            raise HdlcError(f"client address {self.sap} outside 0..127")
        return bytes([(self.sap << 1) | 1])


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Upper HDLC address (logical device) and lower (physical device) in a 1-, 2- or 4-byte form.

    The 1-byte form carries the upper address only (`lower` is None).
    """

    logical: int
    physical: int | None = None
    size: int = 1

    def __post_init__(self) -> None:
        if self.size not in (1, 2, 4):
            raise HdlcError(f"server address size {self.size}: must be 1, 2 or 4 bytes")
        if (self.size == 1) != (self.physical is None):
            raise HdlcError("a 1-byte server address has no physical part, 2 and 4 need one")
        limit = 0x7F if self.size <= 2 else ALL_STATION_14
        for part in (self.logical, self.physical or 0):
            if not 0 <= part <= limit:
                raise HdlcError(f"server address part {part} outside 0..{limit}")

    @classmethod
    def of(cls, logical: int, physical: int) -> ServerAddress:
        """The shortest 2- or 4-byte form holding both parts."""
        return cls(logical, physical, 2 if max(logical, physical) <= 0x7F else 4)

    @property
    def all_station(self) -> int:
        return ALL_STATION_7 if self.size <= 2 else ALL_STATION_14

    def encode(self) -> bytes:
        if self.size == 1:
            return bytes([(self.logical << 1) | 1])
        if self.size == 2:
            return bytes([self.logical << 1, ((self.physical or 0) << 1) | 1])
        physical = self.physical or 0
        return bytes(
            [
                (self.logical >> 7) << 1,
                (self.logical & 0x7F) << 1,
                (physical >> 7) << 1,
                ((physical & 0x7F) << 1) | 1,
            ]
        )

    def accepts(self, target: ServerAddress) -> bool:
        """True if a frame sent to `target` is for this server (own address or all-station)."""
        if target.logical not in (self.logical, target.all_station):
            return False
        if target.physical is None or self.physical is None:
            return True
        return target.physical in (self.physical, target.all_station)

    def answering(self, target: ServerAddress) -> ServerAddress:
        """The source address to answer `target` with: ours, in the form the client used."""
        if target.size == 1:
            return ServerAddress(self.logical)
        return ServerAddress(self.logical, self.physical or 0, target.size)


Address = ClientAddress | ServerAddress
PUBLIC_CLIENT = ClientAddress(16)
MANAGEMENT_LOGICAL_DEVICE = ServerAddress(1)  # 1-byte form: upper address only


def decode_server_address(raw: bytes) -> ServerAddress:
    """Server address from its 1, 2 or 4 address bytes (bit 0 marks the last byte)."""
    values = [b >> 1 for b in raw]
    if len(raw) == 1:
        return ServerAddress(values[0])
    if len(raw) == 2:
        return ServerAddress(values[0], values[1], 2)
    if len(raw) == 4:
        return ServerAddress((values[0] << 7) | values[1], (values[2] << 7) | values[3], 4)
    raise HdlcError(f"a server address has 1, 2 or 4 bytes, not {len(raw)}")


def decode_client_address(raw: bytes) -> ClientAddress:
    if len(raw) != 1:
        raise HdlcError(f"a client address has 1 byte, not {len(raw)}")
    return ClientAddress(raw[0] >> 1)


def _address_length(data: bytes | bytearray, start: int) -> int | None:
    """Length of the address starting at `start`, None if more bytes are needed."""
    for index in range(start, min(start + 4, len(data))):
        if data[index] & 1:
            return index - start + 1
    return None if len(data) < start + 4 else 0


# --- control field ---------------------------------------------------------------------------


class FrameKind(enum.Enum):
    I = "I"  # noqa: E741  (the standard's name)
    RR = "RR"
    RNR = "RNR"
    SNRM = "SNRM"
    DISC = "DISC"
    UA = "UA"
    DM = "DM"
    FRMR = "FRMR"
    UI = "UI"


_UNNUMBERED = {
    0x83: FrameKind.SNRM,
    0x43: FrameKind.DISC,
    0x63: FrameKind.UA,
    0x0F: FrameKind.DM,
    0x87: FrameKind.FRMR,
    0x03: FrameKind.UI,
}
_UNNUMBERED_CODE = {kind: code for code, kind in _UNNUMBERED.items()}
_SUPERVISORY = {0x01: FrameKind.RR, 0x05: FrameKind.RNR}
_SUPERVISORY_CODE = {kind: code for code, kind in _SUPERVISORY.items()}


@dataclass(frozen=True, slots=True)
class Control:
    """A decoded control byte: kind, poll/final bit and the sequence numbers that apply."""

    kind: FrameKind
    poll_final: bool = True
    send_seq: int = 0
    receive_seq: int = 0

    def encode(self) -> bytes:
        pf = POLL_FINAL if self.poll_final else 0
        if self.kind is FrameKind.I:
            return bytes([(self.receive_seq & 7) << 5 | pf | (self.send_seq & 7) << 1])
        if self.kind in _SUPERVISORY_CODE:
            return bytes([(self.receive_seq & 7) << 5 | pf | _SUPERVISORY_CODE[self.kind]])
        return bytes([_UNNUMBERED_CODE[self.kind] | pf])

    @classmethod
    def decode(cls, byte: int) -> Control:
        pf = bool(byte & POLL_FINAL)
        if byte & 1 == 0:
            return cls(FrameKind.I, pf, (byte >> 1) & 7, byte >> 5)
        if byte & 3 == 1:
            kind = _SUPERVISORY.get(byte & 0x0F)
            if kind is None:
                raise HdlcError(f"unsupported supervisory frame (control 0x{byte:02X})")
            return cls(kind, pf, 0, byte >> 5)
        unnumbered = _UNNUMBERED.get(byte & ~POLL_FINAL & 0xFF)
        if unnumbered is None:
            raise HdlcError(f"unknown unnumbered frame (control 0x{byte:02X})")
        return cls(unnumbered, pf)


# --- frames ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """One HDLC frame. `segmented` is the format field's S bit (more segments follow)."""

    destination: bytes
    source: bytes
    control: Control
    info: bytes = b""
    segmented: bool = False

    def encode(self) -> bytes:
        header_length = 2 + len(self.destination) + len(self.source) + 1
        length = header_length + 2 + (len(self.info) + 2 if self.info else 0)
        if length > MAX_FRAME_LENGTH:
            raise HdlcError(f"frame of {length} bytes exceeds {MAX_FRAME_LENGTH}")
        frame_format = (FORMAT_TYPE << 12) | (SEGMENTED_BIT if self.segmented else 0) | length
        header = frame_format.to_bytes(2, "big") + self.destination + self.source
        header += self.control.encode()
        body = header + check_sequence(header)
        if self.info:
            body += self.info + check_sequence(body + self.info)
        return bytes([FLAG]) + body + bytes([FLAG])


@dataclass(slots=True)
class RawFrame:
    """A frame whose HCS and FCS checked out; control and addresses not yet interpreted."""

    destination: bytes
    source: bytes
    control_byte: int
    info: bytes
    segmented: bool


class FrameParser:
    """Cuts a byte stream into checked frames, dropping noise and resynchronising on the next flag.

    Garbage, broken checksums and truncated frames are skipped (counted in `discarded`); a
    frame may share its closing flag with the next one's opening flag.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.discarded = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def frames(self) -> Iterator[RawFrame]:
        """Every complete frame in the buffer; partial data stays for the next `feed`."""
        while True:
            outcome = self._next()
            if outcome is None:
                return
            if isinstance(outcome, RawFrame):
                yield outcome

    def _drop(self, count: int) -> bool:
        del self._buffer[:count]
        self.discarded += 1
        return False

    def _next(self) -> RawFrame | bool | None:
        """A frame, False after dropping bad bytes (try again), None when more data is needed."""
        buf = self._buffer
        start = buf.find(FLAG)
        if start < 0:
            if buf:
                self._drop(len(buf))
            return None
        # Consecutive flags (idle fill, shared flags): the frame opens at the last of them.
        while start + 1 < len(buf) and buf[start + 1] == FLAG:
            start += 1
        if start:
            del buf[:start]
        if len(buf) < 3:
            return None
        frame_format = (buf[1] << 8) | buf[2]
        length = frame_format & MAX_FRAME_LENGTH
        if frame_format >> 12 != FORMAT_TYPE or length < 7:
            return self._drop(1)
        dest_length = _address_length(buf, 3)
        if dest_length is None:
            return None
        if dest_length == 0:
            return self._drop(1)
        src_start = 3 + dest_length
        src_length = _address_length(buf, src_start)
        if src_length is None:
            return None
        if src_length == 0:
            return self._drop(1)
        header_end = src_start + src_length + 1  # after the control byte
        if header_end - 1 + 2 > length:
            return self._drop(1)
        if len(buf) < header_end + 2:
            return None
        if bytes(buf[header_end : header_end + 2]) != check_sequence(bytes(buf[1:header_end])):
            return self._drop(1)
        total = length + 2
        if len(buf) < total:
            return None
        if buf[total - 1] != FLAG:
            return self._drop(1)
        info = b""
        if length > header_end + 1:
            if length < header_end + 1 + 3:  # an info field needs at least 1 byte plus the FCS
                return self._drop(1)
            if bytes(buf[length - 1 : length + 1]) != check_sequence(bytes(buf[1 : length - 1])):
                return self._drop(1)
            info = bytes(buf[header_end + 2 : length - 1])
        frame = RawFrame(
            bytes(buf[3:src_start]),
            bytes(buf[src_start : header_end - 1]),
            buf[header_end - 1],
            info,
            bool(frame_format & SEGMENTED_BIT),
        )
        # Keep the closing flag: it may also open the next frame.
        del buf[: total - 1]
        return frame


# --- SNRM/UA parameters (COSEM-FACTS 5.4) ---------------------------------------------------

DEFAULT_MAX_INFO = 128
DEFAULT_WINDOW = 1
MAX_INFO_LIMIT = 2030
MIN_INFO = 8  # room for the 3-byte LLC header and some APDU in a first segment
MAX_WINDOW = 7

_PARAM_MAX_INFO_TX = 0x05
_PARAM_MAX_INFO_RX = 0x06
_PARAM_WINDOW_TX = 0x07
_PARAM_WINDOW_RX = 0x08


@dataclass(frozen=True, slots=True)
class LinkParameters:
    """One side's view: what it transmits and receives at most, per frame and per window."""

    max_info_tx: int = DEFAULT_MAX_INFO
    max_info_rx: int = DEFAULT_MAX_INFO
    window_tx: int = DEFAULT_WINDOW
    window_rx: int = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        for size in (self.max_info_tx, self.max_info_rx):
            if not MIN_INFO <= size <= MAX_INFO_LIMIT:
                raise HdlcError(f"max information field length {size} outside {MIN_INFO}..2030")
        for window in (self.window_tx, self.window_rx):
            if not 1 <= window <= MAX_WINDOW:
                raise HdlcError(f"window size {window} outside 1..7")

    @property
    def is_default(self) -> bool:
        return self == LinkParameters()

    def swapped(self) -> LinkParameters:
        """The same figures seen from the peer (its transmit is our receive)."""
        return LinkParameters(self.max_info_rx, self.max_info_tx, self.window_rx, self.window_tx)

    def clamped_to(self, limits: LinkParameters) -> LinkParameters:
        return LinkParameters(
            min(self.max_info_tx, limits.max_info_tx),
            min(self.max_info_rx, limits.max_info_rx),
            min(self.window_tx, limits.window_tx),
            min(self.window_rx, limits.window_rx),
        )

    def encode(self) -> bytes:
        """The 81 80 LL parameter block, info lengths in 1 or 2 bytes, windows in 4 (as Gurux)."""

        def length_param(ident: int, value: int) -> bytes:
            size = 1 if value < 256 else 2
            return bytes([ident, size]) + value.to_bytes(size, "big")

        body = (
            length_param(_PARAM_MAX_INFO_TX, self.max_info_tx)
            + length_param(_PARAM_MAX_INFO_RX, self.max_info_rx)
            + bytes([_PARAM_WINDOW_TX, 4])
            + self.window_tx.to_bytes(4, "big")
            + bytes([_PARAM_WINDOW_RX, 4])
            + self.window_rx.to_bytes(4, "big")
        )
        return bytes([0x81, 0x80, len(body)]) + body

    @classmethod
    def decode(cls, info: bytes) -> LinkParameters:
        """Parameters from an SNRM/UA info field; an empty field means all defaults."""
        if not info:
            return cls()
        if len(info) < 3 or info[0] != 0x81 or info[1] != 0x80 or info[2] != len(info) - 3:
            raise HdlcError(f"malformed SNRM/UA parameter block {info.hex()}")
        values = {
            _PARAM_MAX_INFO_TX: DEFAULT_MAX_INFO,
            _PARAM_MAX_INFO_RX: DEFAULT_MAX_INFO,
            _PARAM_WINDOW_TX: DEFAULT_WINDOW,
            _PARAM_WINDOW_RX: DEFAULT_WINDOW,
        }
        position = 3
        while position < len(info):
            if position + 2 > len(info):
                raise HdlcError("truncated SNRM/UA parameter")
            ident, size = info[position], info[position + 1]
            value_bytes = info[position + 2 : position + 2 + size]
            if len(value_bytes) != size or size not in (1, 2, 4):
                raise HdlcError(f"bad SNRM/UA parameter 0x{ident:02X} of {size} bytes")
            if ident in values:
                values[ident] = int.from_bytes(value_bytes, "big")
            position += 2 + size
        return cls(
            values[_PARAM_MAX_INFO_TX],
            values[_PARAM_MAX_INFO_RX],
            values[_PARAM_WINDOW_TX],
            values[_PARAM_WINDOW_RX],
        )
