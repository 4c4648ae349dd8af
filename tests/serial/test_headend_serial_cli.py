"""`vmeter headend --serial ...` as a user runs it (a real process on a real pty), against the
virtual meter's optical port service."""

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from emulator.runtime import VirtualMeter

if TYPE_CHECKING:
    from conftest import RunningMeter

VMETER = [sys.executable, "-m", "emulator.cli", "headend"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def probe_path(meter: "RunningMeter") -> str:
    return meter.probe_path


async def vmeter_headend(*arguments: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *VMETER,
        *arguments,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_read_an_energy_register(probe_path: str, virtual_meter: VirtualMeter) -> None:
    """rule E1: 1.8.1 read through the probe is the meter's register."""
    code, out, err = await vmeter_headend(
        "--serial", probe_path, "--physical", "17", "--json", "--trace", "-", "read", "1.8.1"
    )
    assert code == 0, err
    assert "C16->S1 7e a0 21 02 23 21 93" in err  # SNRM to physical 17, max info 512
    assert "GetResponseNormal" in err
    result = json.loads(out)
    assert result["value"] == virtual_meter.meter.registers.import_peak
    assert result["unit"] == "Wh"


async def test_list_and_readout(probe_path: str, virtual_meter: VirtualMeter) -> None:
    code, out, err = await vmeter_headend("--serial", probe_path, "list")
    assert code == 0, err
    assert "1-0:2.8.2.255" in out
    await asyncio.sleep(0.1)  # the meter returns to 300 baud after DISC
    code, out, err = await vmeter_headend("--serial", probe_path, "readout")
    assert code == 0, err
    registers = virtual_meter.meter.registers
    assert (
        f"1.8.2 {registers.import_offpeak // 1000:06d}.{registers.import_offpeak % 1000:03d} kWh"
        in out
    )


async def test_wrong_physical_address_is_a_clear_no_answer(probe_path: str) -> None:
    code, _, err = await vmeter_headend(
        "--serial", probe_path, "--physical", "18", "--timeout", "0.5", "read", "1.8.1"
    )
    assert code == 3
    assert "no answer (UA) to SNRM within 0.5 s" in err


async def test_missing_device_is_a_usage_error() -> None:
    code, _, err = await vmeter_headend("--serial", "/dev/no-such-probe", "read", "1.8.1")
    assert code == 2
    assert "cannot open /dev/no-such-probe" in err
