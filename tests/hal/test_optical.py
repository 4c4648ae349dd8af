"""The optical port backends on real ptys (pyserial on a pty slave, the pty master) and in
memory: line settings checked with termios, parity bits checked on the bytes."""

import os
import termios

import pytest
import serial

from hal.optical import (
    SIGN_ON_LINE,
    Framing,
    LineSettings,
    OpticalPortError,
    PtyOpticalPort,
    SerialOpticalPort,
    emulated_pair,
    parity_errors,
    with_even_parity,
)

HDLC_LINE = LineSettings(9600, Framing.EIGHT_N_ONE)
ALL_BYTES = bytes(range(256))


async def receive(port: SerialOpticalPort | PtyOpticalPort, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = await port.read(timeout=2)
        assert chunk, f"only {len(data)} of {count} bytes arrived"
        data += chunk
    return data


def peer_read(peer: serial.Serial, count: int) -> bytes:
    peer.timeout = 2
    return peer.read(count)


def test_even_parity_bits() -> None:
    assert with_even_parity(b"/?!\r\n") == bytes([0xAF, 0x3F, 0x21, 0x8D, 0x0A])
    assert parity_errors(with_even_parity(bytes(range(128)))) == 0
    assert parity_errors(b"\x01\x03") == 1


async def test_serial_port_on_a_pty_runs_7e1_in_software_then_8n1() -> None:
    """pyserial on a pty slave (as on a real device path); the pty master plays the peer."""
    wire = PtyOpticalPort()
    await wire.set_line(HDLC_LINE)  # the test reads raw 8-bit characters, parity bits included
    port = SerialOpticalPort(wire.device_path)
    try:
        # Sign-on line: 300 baud; the pty refused 7E1, so parity is computed here.
        attrs = termios.tcgetattr(port._fd)
        assert (attrs[4], attrs[5]) == (termios.B300, termios.B300)
        assert port.line == SIGN_ON_LINE and port.software_parity
        await port.write(b"/VMT5\\2VMETER\r\n")
        sent = await receive(wire, 15)
        assert sent == with_even_parity(b"/VMT5\\2VMETER\r\n")
        assert any(b & 0x80 for b in sent) and parity_errors(sent) == 0
        await wire.write(with_even_parity(b"/?!\r\n"))
        assert await receive(port, 5) == b"/?!\r\n"
        assert port.parity_errors == 0

        # Mode E: 9600 8N1, every byte value passes unchanged.
        await port.set_line(HDLC_LINE)
        attrs = termios.tcgetattr(port._fd)
        assert (attrs[4], attrs[5]) == (termios.B9600, termios.B9600)
        assert attrs[2] & termios.CSIZE == termios.CS8 and not attrs[2] & termios.PARENB
        await port.write(ALL_BYTES)
        assert await receive(wire, 256) == ALL_BYTES
        await wire.write(ALL_BYTES)
        assert await receive(port, 256) == ALL_BYTES
    finally:
        port.close()
        wire.close()


async def test_pty_port_gives_a_device_path_for_the_peer() -> None:
    port = PtyOpticalPort()
    peer = serial.Serial(port.device_path, 300)
    try:
        await port.write(b"/?!\r\n")
        assert peer_read(peer, 5) == with_even_parity(b"/?!\r\n")
        await port.set_line(HDLC_LINE)
        await port.write(ALL_BYTES)
        assert peer_read(peer, 256) == ALL_BYTES
        peer.write(b"\x7e\xa0\x07")
        assert await receive(port, 3) == b"\x7e\xa0\x07"
        assert await port.read(timeout=0.05) == b""  # nothing more: a timeout, not an error
    finally:
        peer.close()
        port.close()


async def test_a_plain_ascii_peer_is_read_and_its_parity_counted() -> None:
    """TOOLING: a pty peer may send plain ASCII at sign-on: accept it, count the bad parity."""
    port = PtyOpticalPort()
    peer = os.open(port.device_path, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(peer, b"/?!\r\n")
        assert await receive(port, 5) == b"/?!\r\n"
        assert port.parity_errors == 2  # "/" and CR have an odd number of bits
    finally:
        os.close(peer)
        port.close()


def test_a_missing_device_is_a_clear_error() -> None:
    with pytest.raises(OpticalPortError, match="cannot open /dev/no-such-optical-head"):
        SerialOpticalPort("/dev/no-such-optical-head")


async def test_emulated_pair_needs_matching_line_settings() -> None:
    meter, probe = emulated_pair()
    await probe.write(b"/?!\r\n")
    assert await meter.read(timeout=1) == b"/?!\r\n"
    await probe.set_line(HDLC_LINE)
    await probe.write(b"\x7e\xa0")  # the meter still listens at 300 baud 7E1: lost
    assert await meter.read(timeout=0.01) == b""
    await meter.set_line(HDLC_LINE)
    await probe.write(ALL_BYTES)
    assert await meter.read(timeout=1) == ALL_BYTES
    await meter.set_line(SIGN_ON_LINE)
    await probe.set_line(SIGN_ON_LINE)
    await meter.write(b"\xff")  # 7 data bits only
    assert await probe.read(timeout=1) == b"\x7f"
