"""A virtual meter on one end of a socat pty pair, its optical port service running
(`meter`: the probe connects to `meter.probe_path`)."""

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from programs import require_program

from cosem.hdlc import ServerAddress
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.serial_service import HdlcSession, HdlcSettings, OpticalPortService, meter_readout
from firmware.rules.localtime import to_local
from hal.optical import SerialOpticalPort

START = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
PHYSICAL_ADDRESS = 17


@pytest.fixture
def socat_pair(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two linked ptys (TOOLING: socat from Debian), each with its own termios."""
    require_program("socat")
    meter, probe = tmp_path / "meter", tmp_path / "probe"
    process = subprocess.Popen(
        ["socat", f"pty,raw,echo=0,link={meter}", f"pty,raw,echo=0,link={probe}"],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):
            if meter.exists() and probe.exists():
                break
            time.sleep(0.01)
        yield str(meter), str(probe)
    finally:
        process.terminate()
        process.wait(timeout=5)


@pytest.fixture
def virtual_meter() -> VirtualMeter:
    """A meter 20 hours into a 500 W load: registers 1.8.1 and 1.8.2 are not zero."""
    config = MeterConfig()
    virtual = VirtualMeter(config, RunConfig(start=START, instant=True))
    assert virtual.simulated_clock is not None
    virtual.simulated_clock.advance_to(START + timedelta(hours=20))
    virtual.meter.advance_to(virtual.clock.now())
    return virtual


@dataclass
class RunningMeter:
    virtual: VirtualMeter
    service: OpticalPortService
    probe_path: str
    address: ServerAddress

    @property
    def physical(self) -> int:
        assert self.address.physical is not None
        return self.address.physical


@pytest.fixture
async def meter(
    socat_pair: tuple[str, str], virtual_meter: VirtualMeter
) -> AsyncIterator[RunningMeter]:
    meter_path, probe_path = socat_pair
    device = build_logical_device(virtual_meter, MeterConfig())
    address = ServerAddress.of(1, PHYSICAL_ADDRESS)
    port = SerialOpticalPort(meter_path)
    service = OpticalPortService(
        port,
        HdlcSession(device, HdlcSettings(address=address)),
        readout=lambda: meter_readout(
            virtual_meter.meter.registers, to_local(virtual_meter.clock.now())
        ),
    )
    task = asyncio.create_task(service.serve_forever())
    try:
        yield RunningMeter(virtual_meter, service, probe_path, address)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        port.close()
