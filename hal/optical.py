"""The optical (IEC 62056-21) port: a byte pipe whose line settings change mid-session.

`OpticalPort` is what the meter and the probe client need: write, read with a timeout, and
switch between 300 baud 7E1 (sign-on) and 8N1 at the agreed rate (mode E). Three backends:

* `EmulatedOpticalPort` pairs (`emulated_pair`): in memory, for tests and the TUI.
* `SerialOpticalPort`: a device through pyserial (a real optical head, or one end of a pty
  pair). Where the port refuses 7E1 (Linux ptys: tcsetattr EINVAL) it runs 8N1 and puts the
  even-parity bit in bit 7 itself: the same 10 bits on the wire.
* `PtyOpticalPort` (`open_pty`): a fresh pty whose other end is a device path for a peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import termios
import tty
from dataclasses import dataclass
from typing import Protocol

import serial


class Framing(enum.Enum):
    SEVEN_E_ONE = "7E1"  # 7 data bits, even parity, 1 stop bit
    EIGHT_N_ONE = "8N1"


@dataclass(frozen=True, slots=True)
class LineSettings:
    baud: int
    framing: Framing

    def __str__(self) -> str:
        return f"{self.baud} {self.framing.value}"


SIGN_ON_LINE = LineSettings(300, Framing.SEVEN_E_ONE)
BITS_PER_CHARACTER = 10  # start + 7 data + parity + stop, or start + 8 data + stop


class OpticalPortError(OSError):
    """The port cannot be opened or configured."""


class OpticalPort(Protocol):
    @property
    def line(self) -> LineSettings: ...

    async def set_line(self, line: LineSettings) -> None:
        """Wait until the bytes written so far have left, then switch baud rate and framing."""
        ...

    async def read(self, timeout: float) -> bytes:
        """Bytes that arrived (at least one), or b"" if none came within `timeout` seconds."""
        ...

    async def write(self, data: bytes) -> None:
        """Hand all of `data` to the line (it may still be sending when this returns)."""
        ...

    def close(self) -> None: ...


def with_even_parity(data: bytes) -> bytes:
    """7-bit characters with their even-parity bit in bit 7, as a 7E1 line sends them."""
    return bytes(_EVEN_PARITY[b & 0x7F] for b in data)


def parity_errors(data: bytes) -> int:
    """How many received 8-bit characters have odd parity (were not sent as 7E1)."""
    return sum(1 for b in data if _EVEN_PARITY[b & 0x7F] != b)


_EVEN_PARITY = bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in range(128))


# --- in memory -------------------------------------------------------------------------------


class EmulatedOpticalPort:
    """One end of an in-memory optical link. Bytes only get through when both ends agree on
    the line settings, as on a real line where a mismatch yields garbage the peer ignores."""

    def __init__(self) -> None:
        self.peer: EmulatedOpticalPort | None = None
        self._line = SIGN_ON_LINE
        self._received = bytearray()
        self._arrived = asyncio.Event()
        self.closed = False

    @property
    def line(self) -> LineSettings:
        return self._line

    async def set_line(self, line: LineSettings) -> None:
        self._line = line

    async def read(self, timeout: float) -> bytes:
        if not self._received:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        data = bytes(self._received)
        self._received.clear()
        return data

    async def write(self, data: bytes) -> None:
        peer = self.peer
        if self.closed or peer is None or peer.closed or peer.line != self._line:
            return
        if self._line.framing is Framing.SEVEN_E_ONE:
            data = bytes(b & 0x7F for b in data)
        peer._received += data
        peer._arrived.set()

    def close(self) -> None:
        self.closed = True


def emulated_pair() -> tuple[EmulatedOpticalPort, EmulatedOpticalPort]:
    meter, probe = EmulatedOpticalPort(), EmulatedOpticalPort()
    meter.peer, probe.peer = probe, meter
    return meter, probe


# --- file descriptors (serial devices, ptys) ------------------------------------------------


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _FdPort:
    """Asynchronous reads and writes on a non-blocking descriptor, with software parity.

    `pace` spaces writes at the nominal line rate, for ptys that ignore the baud rate.
    """

    def __init__(self, fd: int, *, pace: bool = False) -> None:
        self._fd = fd
        self._line = SIGN_ON_LINE
        self.software_parity = True
        self.pace = pace
        self.parity_errors = 0
        os.set_blocking(fd, False)

    @property
    def line(self) -> LineSettings:
        return self._line

    @property
    def _parity_in_software(self) -> bool:
        return self.software_parity and self._line.framing is Framing.SEVEN_E_ONE

    async def read(self, timeout: float) -> bytes:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        loop.add_reader(self._fd, _wake, ready)
        try:
            await asyncio.wait_for(ready, timeout)
        except TimeoutError:
            return b""
        finally:
            loop.remove_reader(self._fd)
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return b""
        except OSError:  # a pty whose other end is closed reads EIO: nothing arrived
            return b""
        if self._parity_in_software:
            self.parity_errors += parity_errors(data)
            data = bytes(b & 0x7F for b in data)
        return data

    async def write(self, data: bytes) -> None:
        if self._parity_in_software:
            data = with_even_parity(data)
        if self.pace:  # the bytes reach the peer once the line would have carried them
            await asyncio.sleep(len(data) * BITS_PER_CHARACTER / self._line.baud)
        loop = asyncio.get_running_loop()
        view = memoryview(data)
        while view:
            try:
                sent = os.write(self._fd, view)
            except BlockingIOError:
                sent = 0
            view = view[sent:]
            if view and not sent:
                writable: asyncio.Future[None] = loop.create_future()
                loop.add_writer(self._fd, _wake, writable)
                try:
                    await writable
                finally:
                    loop.remove_writer(self._fd)


class SerialOpticalPort(_FdPort):
    """A serial device through pyserial; 7E1 in hardware where the port accepts it."""

    def __init__(self, device: str, *, pace: bool = False) -> None:
        try:
            self._serial = serial.Serial(device, baudrate=300, timeout=0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as error:
            raise OpticalPortError(f"cannot open {device}: {error}") from error
        self.device = device
        super().__init__(self._serial.fileno(), pace=pace)
        self._apply(SIGN_ON_LINE)

    async def set_line(self, line: LineSettings) -> None:
        # tcdrain blocks until the UART is empty: off the event loop.
        await asyncio.to_thread(termios.tcdrain, self._fd)
        self._apply(line)

    def _apply(self, line: LineSettings) -> None:
        seven_e_one = line.framing is Framing.SEVEN_E_ONE
        port = self._serial
        try:
            port.baudrate = line.baud
            if seven_e_one:
                port.bytesize, port.parity = serial.SEVENBITS, serial.PARITY_EVEN
            else:
                port.bytesize, port.parity = serial.EIGHTBITS, serial.PARITY_NONE
            self.software_parity = False
        except (serial.SerialException, termios.error, ValueError) as error:
            if not seven_e_one:
                raise OpticalPortError(f"{self.device} refuses {line}: {error}") from error
            # The port refuses 7E1 (a pty): 8N1 with the parity bit computed here.
            port.bytesize, port.parity = serial.EIGHTBITS, serial.PARITY_NONE
            self.software_parity = True
        self._line = line

    def close(self) -> None:
        self._serial.close()


class PtyOpticalPort(_FdPort):
    """The master side of a fresh pty; a peer opens `device_path`. The baud rate is only
    recorded (a pty has no line) and 7E1 parity is always computed in software."""

    def __init__(self, *, pace: bool = False) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        # Keeping the slave open lets a peer close and reopen the path without EIO here.
        self._slave = slave
        self.device_path = os.ttyname(slave)
        super().__init__(master, pace=pace)

    async def set_line(self, line: LineSettings) -> None:
        self._line = line

    def close(self) -> None:
        for fd in (self._fd, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def open_optical_port(device: str, *, pace: bool = False) -> SerialOpticalPort | PtyOpticalPort:
    """`pty` for a new pty (its path in `device_path`), anything else is a serial device."""
    return PtyOpticalPort(pace=pace) if device == "pty" else SerialOpticalPort(device, pace=pace)
