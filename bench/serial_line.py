"""HDLC throughput on the optical port (a benchmark that prints figures; not a test).

The virtual meter serves its optical port on one end of a socat pty pair; the probe, on the
other end, does the IEC 62056-21 mode E handshake, opens HDLC with a given max information
field length and reads the load profile buffer (1-0:99.1.0.255 attribute 2) once. Both ends
run in this process on one event loop.

A pty has no baud rate, so writes are paced: each write reaches the peer after the time the
line would need for it (10 bits a character). Efficiency is the payload rate (APDU bytes a
second) over the theoretical payload rate of the line for that frame size:

* frame-only: line rate x info / (info + frame overhead), the overhead being flags, format,
  addresses, control, HCS and FCS;
* half-duplex: the same with the RR that fetches each next segment also on the line.

The unpaced figure (ptys at full speed) shows the stack's own ceiling.

    .venv/bin/python bench/serial_line.py [--days 5] [--baud 9600] [--sizes 128 512]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cosem.apdu import AttributeDescriptor  # noqa: E402
from cosem.hdlc import LinkParameters, ServerAddress  # noqa: E402
from cosem.obis import Obis  # noqa: E402
from emulator.config import MeterConfig, RunConfig  # noqa: E402
from emulator.cosem_binding import build_logical_device  # noqa: E402
from emulator.runtime import VirtualMeter  # noqa: E402
from emulator.serial_service import (  # noqa: E402
    HdlcSession,
    HdlcSettings,
    OpticalPortService,
    meter_readout,
)
from firmware.rules.localtime import to_local  # noqa: E402
from hal.optical import BITS_PER_CHARACTER, SerialOpticalPort  # noqa: E402
from headend.serial import ProbeTarget, open_hdlc  # noqa: E402
from headend.session import ApduTransport, Session  # noqa: E402

LOAD_PROFILE = AttributeDescriptor(7, Obis.parse("1-0:99.1.0.255"), 2)
SERVER = ServerAddress(1)
FRAME_OVERHEAD = 2 + 2 + 1 + 1 + 1 + 2 + 2  # flags, format, 1-byte addresses, control, HCS, FCS
RR_FRAME = 2 + 2 + 1 + 1 + 1 + 2


def meter_with_profile(days: int) -> VirtualMeter:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    virtual = VirtualMeter(MeterConfig(), RunConfig(start=start, instant=True))
    assert virtual.simulated_clock is not None
    virtual.simulated_clock.advance_to(start + timedelta(days=days))
    virtual.meter.advance_to(virtual.clock.now())
    return virtual


@contextlib.contextmanager
def socat_pair() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        meter, probe = Path(folder) / "meter", Path(folder) / "probe"
        process = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={meter}", f"pty,raw,echo=0,link={probe}"],
            stderr=subprocess.DEVNULL,
        )
        try:
            while not (meter.exists() and probe.exists()):
                time.sleep(0.01)
            yield str(meter), str(probe)
        finally:
            process.terminate()
            process.wait(timeout=5)


async def one_read(
    virtual: VirtualMeter, max_info: int, baud: int, pace: bool
) -> tuple[int, float]:
    """Bytes of the profile-buffer APDU and the seconds its read took (after association)."""
    with socat_pair() as (meter_path, probe_path):
        meter_port = SerialOpticalPort(meter_path, pace=pace)
        service = OpticalPortService(
            meter_port,
            HdlcSession(build_logical_device(virtual, MeterConfig()), HdlcSettings(SERVER)),
            readout=lambda: meter_readout(virtual.meter.registers, to_local(virtual.clock.now())),
        )
        serving = asyncio.create_task(service.serve_forever())
        probe_port = SerialOpticalPort(probe_path, pace=pace)
        try:
            limits = LinkParameters(max_info, max_info, 1, 1)
            target = ProbeTarget(probe_path, baud=baud, server=SERVER, limits=limits, timeout_s=30)
            transport = CountingTransport(await open_hdlc(probe_port, target))
            async with Session(transport, timeout_s=600) as session:
                started = time.perf_counter()
                value = await session.get(LOAD_PROFILE)
                elapsed = time.perf_counter() - started
                size = transport.last_size
            print(f"    ({len(value.items)} profile rows, {size} APDU bytes)", flush=True)
            return size, elapsed
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
            probe_port.close()
            meter_port.close()


class CountingTransport(ApduTransport):
    """Passes APDUs through, remembering the size of the last one received."""

    def __init__(self, inner: ApduTransport) -> None:
        self.inner = inner
        self.last_size = 0

    async def send(self, apdu: bytes) -> None:
        await self.inner.send(apdu)

    async def receive(self, timeout_s: float) -> bytes:
        apdu = await self.inner.receive(timeout_s)
        self.last_size = len(apdu)
        return apdu

    async def close(self) -> None:
        await self.inner.close()


def theoretical(baud: int, max_info: int, half_duplex: bool) -> float:
    line = baud / BITS_PER_CHARACTER
    per_frame = max_info + FRAME_OVERHEAD + (RR_FRAME if half_duplex else 0)
    return line * max_info / per_frame


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5, help="days of 15-minute profile to read")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 512])
    args = parser.parse_args()
    if shutil.which("socat") is None:
        sys.exit("socat is needed (apt-get install socat)")
    virtual = meter_with_profile(args.days)
    print(f"load profile read over a pty pair, mode E at {args.baud} baud")
    for max_info in args.sizes:
        size, paced = await one_read(virtual, max_info, args.baud, pace=True)
        rate = size / paced
        frame_only = theoretical(args.baud, max_info, half_duplex=False)
        half = theoretical(args.baud, max_info, half_duplex=True)
        print(
            f"  max info {max_info:4}: paced {rate:7.1f} B/s in {paced:6.2f} s = "
            f"{rate / frame_only:6.1%} of frame-only {frame_only:6.1f} B/s, "
            f"{rate / half:6.1%} of half-duplex {half:6.1f} B/s"
        )
        size, unpaced = await one_read(virtual, max_info, args.baud, pace=False)
        print(
            f"  max info {max_info:4}: unpaced {size / unpaced / 1000:8.1f} kB/s ({unpaced:.3f} s)"
        )


if __name__ == "__main__":
    asyncio.run(main())
