"""`vmeter run --serial pty --tcp-hdlc HOST:PORT` as a user starts it: the pty path and the
TCP port are printed, and the probe reads the meter through both."""

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cosem.apdu import AttributeDescriptor
from cosem.hdlc import PUBLIC_CLIENT, ServerAddress
from cosem.obis import Obis
from headend.hdlc_transport import HdlcTransport
from headend.serial import ProbeTarget, connect_serial
from headend.session import Session

ROOT = Path(__file__).resolve().parents[2]
ENERGY = AttributeDescriptor(3, Obis.parse("1.8.1"), 2)


@pytest.fixture
def trace_file(tmp_path: Path) -> Path:
    return tmp_path / "frames.log"


@pytest.fixture
async def announced(trace_file: Path) -> AsyncIterator[str]:
    """Run the meter in its own process; yield what it printed on stderr at start-up."""
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "emulator.cli", "run", "--no-tcp", "--serial", "pty"],
        *["--tcp-hdlc", "127.0.0.1:0", "--start", "2026-11-27T08:00"],
        *["--trace", str(trace_file)],
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    lines = ""
    try:
        while "HDLC over TCP" not in lines:
            line = await asyncio.wait_for(process.stderr.readline(), 20)
            assert line, f"vmeter run ended: {lines}"
            lines += line.decode()
        yield lines
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_run_with_serial_pty_and_tcp_hdlc(announced: str, trace_file: Path) -> None:
    device = re.search(r"optical port .* on (\S+)", announced)
    endpoint = re.search(r"HDLC over TCP on ([\d.]+):(\d+)", announced)
    assert device is not None and endpoint is not None
    transport = await connect_serial(ProbeTarget(device.group(1), server=ServerAddress(1)))
    async with Session(transport) as session:
        over_serial = (await session.get(ENERGY)).value
    host, port = endpoint.group(1), int(endpoint.group(2))
    transport = await HdlcTransport.connect_tcp(host, port, ServerAddress(1), PUBLIC_CLIENT)
    async with Session(transport) as session:
        over_tcp = (await session.get(ENERGY)).value
    assert isinstance(over_serial, int) and isinstance(over_tcp, int)
    assert over_tcp >= over_serial  # the same meter, a moment later
    # --trace on the meter side: the HDLC frames of both sessions, in hex with the decoded GET
    assert trace_file.read_text().count("GetRequestNormal attribute=(3, 1-0:1.8.1.255, 2)") == 2
