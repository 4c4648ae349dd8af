"""The 94.32.2 balance items as a technician sees them: in the probe's mode C readout and on the
LCD after pressing the green button (shared by the central and meter-mode probe tests)."""

from __future__ import annotations

import asyncio

from hal.bundle import EmulatedMeterHal
from hal.optical import SerialOpticalPort
from headend.serial import read_mode_c


async def mode_c_items(probe_path: str) -> dict[str, tuple[str, str]]:
    port = SerialOpticalPort(probe_path)
    try:
        _, data_sets = await read_mode_c(port, 9600)
    finally:
        port.close()
    await asyncio.sleep(0.1)  # the meter returns to 300 baud after the readout
    return {d.address: (d.value, d.unit) for d in data_sets if d.address.startswith("94.32")}


def lcd_items(hal: EmulatedMeterHal) -> list[tuple[str, str, str]]:
    """Press 7 times until 94.32.2 appears (RESA profile, rule E6), then /2 and /3."""
    shown = []
    for press in range(9):
        hal.buttons.press("green")
        if press >= 6:
            state = hal.lcd.state
            shown.append((state.code, state.value, state.unit))
    return shown
