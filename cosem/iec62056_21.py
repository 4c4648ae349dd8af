"""IEC 62056-21 on the optical port, sans-IO: sign-on, identification, option select, mode C
data readout and the mode E handover to HDLC (COSEM-FACTS 6), for the meter and client roles.

Messages (7-bit ASCII, 300 baud 7E1 until the option select says otherwise)::

    client  /?!<CR><LF>                           sign-on (optionally /?address!)
    meter   /XXXZ\\2ident<CR><LF>                  identification, \\2 = HDLC available
    client  <ACK>V Z Y<CR><LF>                     V=2,Y=2 mode E (HDLC); V=0,Y=0 data readout
    meter   <STX>1.8.1(000021.701*kWh)<CR><LF>...!<CR><LF><ETX><BCC>   mode C readout

The sessions only move bytes and report events; switching the line (baud, 7E1 -> 8N1) is the
caller's job when an event says so.
"""

from __future__ import annotations

import enum
import re
from collections import deque
from dataclasses import dataclass

from cosem.errors import CosemError

SOH = 0x01
STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15
CRLF = b"\r\n"

SIGN_ON_BAUD = 300
# Baud-rate characters of modes C and E (Z in the identification and the option select).
BAUD_RATES = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
_BAUD_CHARS = {baud: char for char, baud in BAUD_RATES.items()}
HDLC_CAPABLE_ESCAPE = "\\2"  # enhanced identification character 2: binary mode (HDLC)


class Iec21Error(CosemError):
    """A malformed or unexpected IEC 62056-21 message (identification, option, checksum)."""


def baud_char(baud: int) -> str:
    try:
        return _BAUD_CHARS[baud]
    except KeyError:
        raise Iec21Error(f"{baud} baud is not a mode C/E rate {sorted(_BAUD_CHARS)}") from None


def block_check(data: bytes) -> int:
    """BCC: XOR of the bytes after STX up to and including ETX, on 7 bits."""
    check = 0
    for byte in data:
        check ^= byte
    return check & 0x7F


def sign_on_request(device_address: str = "") -> bytes:
    return f"/?{device_address}!".encode("ascii") + CRLF


@dataclass(frozen=True, slots=True)
class Identification:
    """`/XXXZ\\2ident`: manufacturer flag, highest baud rate, HDLC capability, identifier."""

    manufacturer: str
    max_baud: int
    identifier: str
    hdlc: bool = True

    def encode(self) -> bytes:
        escape = HDLC_CAPABLE_ESCAPE if self.hdlc else ""
        text = f"/{self.manufacturer}{baud_char(self.max_baud)}{escape}{self.identifier}"
        return text.encode("ascii") + CRLF

    @classmethod
    def decode(cls, line: bytes) -> Identification:
        """From the identification line (with or without its CR LF)."""
        text = line.rstrip(b"\r\n").decode("ascii", "replace")
        match = re.fullmatch(r"/([A-Za-z]{3})(\d)((?:\\\d)?)(.{0,16})", text)
        if match is None:
            raise Iec21Error(f"not an identification message: {text!r}")
        manufacturer, baud, escape, identifier = match.groups()
        if baud not in BAUD_RATES:
            raise Iec21Error(f"identification {text!r} has no mode C/E baud character")
        return cls(manufacturer, BAUD_RATES[baud], identifier, escape == HDLC_CAPABLE_ESCAPE)


class ProtocolControl(enum.Enum):
    NORMAL = "0"
    SECONDARY = "1"
    HDLC = "2"


class ModeControl(enum.Enum):
    DATA_READOUT = "0"
    PROGRAMMING = "1"
    BINARY = "2"


@dataclass(frozen=True, slots=True)
class OptionSelect:
    """`<ACK>V Z Y<CR><LF>`: what the client asks for, at which baud rate."""

    protocol: ProtocolControl
    baud: int
    mode: ModeControl

    @classmethod
    def mode_e(cls, baud: int) -> OptionSelect:
        return cls(ProtocolControl.HDLC, baud, ModeControl.BINARY)

    @classmethod
    def readout(cls, baud: int) -> OptionSelect:
        return cls(ProtocolControl.NORMAL, baud, ModeControl.DATA_READOUT)

    @property
    def wants_hdlc(self) -> bool:
        return self.protocol is ProtocolControl.HDLC and self.mode is ModeControl.BINARY

    def encode(self) -> bytes:
        text = self.protocol.value + baud_char(self.baud) + self.mode.value
        return bytes([ACK]) + text.encode("ascii") + CRLF

    @classmethod
    def decode(cls, message: bytes) -> OptionSelect:
        body = message.rstrip(b"\r\n")
        if len(body) != 4 or body[0] != ACK:
            raise Iec21Error(f"not an option select message: {message!r}")
        text = body[1:].decode("ascii", "replace")
        v, z, y = text[0], text[1], text[2]
        try:
            return cls(ProtocolControl(v), BAUD_RATES[z], ModeControl(y))
        except (ValueError, KeyError):
            raise Iec21Error(f"option select with unknown characters: {message!r}") from None


@dataclass(frozen=True, slots=True)
class DataSet:
    """`address(value*unit)` of a data readout, e.g. 1.8.1(000021.701*kWh)."""

    address: str
    value: str
    unit: str = ""

    def encode(self) -> str:
        unit = f"*{self.unit}" if self.unit else ""
        return f"{self.address}({self.value}{unit})"


_DATA_SET = re.compile(r"([^()/!\r\n]+)\(([^()*]*)(?:\*([^()]*))?\)")


def encode_readout(data_sets: list[DataSet]) -> bytes:
    """A full data message: STX, one data set per line, `!` CR LF, ETX, BCC."""
    block = "".join(f"{data_set.encode()}\r\n" for data_set in data_sets)
    body = (block + "!\r\n").encode("ascii") + bytes([ETX])
    return bytes([STX]) + body + bytes([block_check(body)])


def decode_readout(message: bytes) -> list[DataSet]:
    """Data sets of a data message, after checking its frame and BCC."""
    if len(message) < 3 or message[0] != STX or message[-2] != ETX:
        raise Iec21Error("a data message runs from STX to ETX and its BCC")
    body = message[1:-1]
    if block_check(body) != message[-1] & 0x7F:
        raise Iec21Error(
            f"readout checksum failure: BCC 0x{message[-1]:02X}, computed 0x{block_check(body):02X}"
        )
    text = body[:-1].decode("ascii", "replace")
    if not text.rstrip("\r\n").endswith("!"):
        raise Iec21Error("data message without its end character '!'")
    return [DataSet(a, v, u or "") for a, v, u in _DATA_SET.findall(text)]


def _line_end(buffer: bytearray) -> int:
    """Index of the first CR LF read on 7 bits (the parity bit may still be set), or -1."""
    for index in range(len(buffer) - 1):
        if buffer[index] & 0x7F == 0x0D and buffer[index + 1] & 0x7F == 0x0A:
            return index
    return -1


# --- meter role ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignOn:
    """A client signed on (identification already queued)."""

    device_address: str


@dataclass(frozen=True, slots=True)
class ReadoutRequested:
    """Switch to `baud` (7E1) and answer with `send_readout`."""

    baud: int


@dataclass(frozen=True, slots=True)
class HdlcRequested:
    """Mode E: switch to `baud` 8N1 and hand `leftover` (bytes already past the ACK) to HDLC."""

    baud: int
    leftover: bytes


@dataclass(frozen=True, slots=True)
class OptionRefused:
    reason: str


MeterEvent = SignOn | ReadoutRequested | HdlcRequested | OptionRefused


class MeterState(enum.Enum):
    AWAIT_SIGN_ON = "await sign-on"
    AWAIT_OPTION = "await option select"
    READOUT = "data readout"  # waiting for the caller's data sets
    HDLC = "handed over to HDLC"


class MeterSession:
    """The meter's side of the optical port protocol, until a readout or the HDLC handover.

    Bytes are read on 7 bits (a software-parity port may leave the parity bit in place).
    """

    def __init__(self, identification: Identification, device_address: str = "") -> None:
        self.identification = identification
        self.device_address = device_address
        self.state = MeterState.AWAIT_SIGN_ON
        self._buffer = bytearray()
        self._events: deque[MeterEvent] = deque()
        self._outgoing = bytearray()

    def receive_data(self, data: bytes) -> None:
        self._buffer += data
        while self.state in (MeterState.AWAIT_SIGN_ON, MeterState.AWAIT_OPTION):
            end = _line_end(self._buffer)
            if end < 0:
                if len(self._buffer) > 256:  # noise without a line end: keep the tail only
                    del self._buffer[:-2]
                return
            line = bytes(b & 0x7F for b in self._buffer[:end])
            del self._buffer[: end + 2]
            self._line(line)

    def next_event(self) -> MeterEvent | None:
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def send_readout(self, data_sets: list[DataSet]) -> None:
        if self.state is not MeterState.READOUT:
            raise Iec21Error(f"no data readout was requested (state: {self.state.value})")
        self._outgoing += encode_readout(data_sets)
        self.restart()

    def restart(self) -> None:
        """Back to waiting for a sign-on at 300 baud (after a readout, a timeout, a link end)."""
        self.state = MeterState.AWAIT_SIGN_ON
        self._buffer.clear()

    def _line(self, line: bytes) -> None:
        sign_on = re.search(rb"/\?([0-9A-Za-z ]{0,32})!$", line)
        if sign_on is not None:
            address = sign_on.group(1).decode("ascii").lstrip("0")
            if address and address != self.device_address.lstrip("0"):
                return  # addressed to another meter on the bus
            self._outgoing += self.identification.encode()
            self.state = MeterState.AWAIT_OPTION
            self._events.append(SignOn(address))
            return
        if self.state is not MeterState.AWAIT_OPTION:
            return
        start = line.rfind(bytes([ACK]))
        try:
            option = OptionSelect.decode(line[start:] if start >= 0 else line)
        except Iec21Error as error:
            self._refuse(str(error))
            return
        if option.baud > self.identification.max_baud:
            self._refuse(
                f"{option.baud} baud is above the advertised {self.identification.max_baud}"
            )
        elif option.wants_hdlc and self.identification.hdlc:
            self.state = MeterState.HDLC
            leftover = bytes(self._buffer)
            self._buffer.clear()
            self._events.append(HdlcRequested(option.baud, leftover))
        elif option.mode is ModeControl.DATA_READOUT:
            self.state = MeterState.READOUT
            self._events.append(ReadoutRequested(option.baud))
        else:
            self._refuse(f"mode {option.protocol.value}/{option.mode.value} is not supported")

    def _refuse(self, reason: str) -> None:
        self._outgoing.append(NAK)
        self.restart()
        self._events.append(OptionRefused(reason))


# --- client role -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identified:
    identification: Identification


@dataclass(frozen=True, slots=True)
class ReadoutReceived:
    data_sets: list[DataSet]


ClientEvent = Identified | ReadoutReceived


class ClientState(enum.Enum):
    IDLE = "idle"
    AWAIT_IDENTIFICATION = "await identification"
    IDENTIFIED = "identified"
    AWAIT_READOUT = "await readout"
    HDLC = "handed over to HDLC"


class ClientSession:
    """The reader's side: sign on, read the identification, select an option, take a readout.

    Malformed answers raise `Iec21Error` from `receive_data`.
    """

    def __init__(self) -> None:
        self.state = ClientState.IDLE
        self.identification: Identification | None = None
        self._buffer = bytearray()
        self._events: deque[ClientEvent] = deque()
        self._outgoing = bytearray()

    def sign_on(self, device_address: str = "") -> None:
        self._outgoing += sign_on_request(device_address)
        self._buffer.clear()
        self.state = ClientState.AWAIT_IDENTIFICATION

    def select(self, option: OptionSelect) -> None:
        if self.state is not ClientState.IDENTIFIED:
            raise Iec21Error(f"option select before an identification (state: {self.state.value})")
        self._outgoing += option.encode()
        self.state = ClientState.HDLC if option.wants_hdlc else ClientState.AWAIT_READOUT

    def receive_data(self, data: bytes) -> None:
        self._buffer += bytes(b & 0x7F for b in data)
        if self.state is ClientState.AWAIT_IDENTIFICATION:
            start = self._buffer.find(b"/")
            end = self._buffer.find(CRLF, max(start, 0))
            if start < 0 or end < 0:
                return
            self.identification = Identification.decode(bytes(self._buffer[start:end]))
            del self._buffer[: end + 2]
            self.state = ClientState.IDENTIFIED
            self._events.append(Identified(self.identification))
        elif self.state is ClientState.AWAIT_READOUT:
            if NAK in self._buffer:
                raise Iec21Error("the meter refused the option select (NAK)")
            start = self._buffer.find(bytes([STX]))
            end = self._buffer.find(bytes([ETX]), max(start, 0))
            if start < 0 or end < 0 or len(self._buffer) < end + 2:
                return
            message = bytes(self._buffer[start : end + 2])
            del self._buffer[: end + 2]
            self.state = ClientState.IDLE
            self._events.append(ReadoutReceived(decode_readout(message)))

    def next_event(self) -> ClientEvent | None:
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data
