"""The virtual-meter runner behind `vmeter run`: instant and scaled time, sharing the event
loop, wake-ups, and saving on cancellation and Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emulator.config import LoadConfig, MeterConfig, RunConfig
from emulator.runtime import VirtualMeter
from firmware.logs import EventCode
from firmware.nvm import NonVolatileMemory

START = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
KILOWATT = MeterConfig(load=LoadConfig(watts=1000))


async def test_instant_mode_leaves_room_for_other_tasks() -> None:
    virtual = VirtualMeter(KILOWATT, RunConfig(instant=True, start=START, until=timedelta(days=30)))
    ticks = 0

    async def other_task() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_task())
    await asyncio.wait_for(virtual.run(), timeout=60)
    ticker.cancel()
    assert ticks > 10
    assert virtual.meter.registers.import_peak + virtual.meter.registers.import_offpeak == 720_000


async def test_scaled_mode_stops_exactly_at_until() -> None:
    run = RunConfig(speed=60_000, start=START, until=timedelta(minutes=10))
    virtual = VirtualMeter(KILOWATT, run)
    await asyncio.wait_for(virtual.run(), timeout=30)
    assert virtual.meter.registers_mj.import_peak == 1000 * 600_000


async def test_wake_applies_an_outside_change_at_once(tmp_path: Path) -> None:
    shown = []
    virtual = VirtualMeter(
        KILOWATT,
        RunConfig(speed=1, start=START, state=tmp_path),
        on_lcd=lambda moment, state: shown.append(state),
    )
    runner = asyncio.create_task(virtual.run())
    await asyncio.sleep(0.05)
    virtual.meter.relay.remote_disconnect()
    virtual.wake()

    async def switch_open_shown() -> None:
        while not shown or "switch-open" not in shown[-1].symbols:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(switch_open_shown(), timeout=10)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    saved = NonVolatileMemory(tmp_path).load()  # cancellation saved the state
    assert saved is not None
    assert saved.events[-1].code is EventCode.POWER_DOWN
    assert not saved.control_state.value  # disconnected


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_saves_state_and_exits_cleanly(
    tmp_path: Path, stop: signal.Signals
) -> None:
    command = [sys.executable, "-m", "emulator.cli", "run", "--state", str(tmp_path), "--no-tcp"]
    process = subprocess.Popen(
        [*command, "--speed", "100", "--load-watts", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start us with SIGINT ignored; give the child the default so Ctrl-C works.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the LCD at power-up
        assert "kWh" in process.stdout.readline()  # the first scroll step: the loop runs
        process.send_signal(stop)
        _, error = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0, error
    assert "state saved" in error
    saved = NonVolatileMemory(tmp_path).load()
    assert saved is not None and saved.events[-1].code is EventCode.POWER_DOWN
