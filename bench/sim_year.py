"""Simulated days per second for one electricity meter fed by a year of 15-minute load data.

Generates a CSV of 35,040 quarter-hour values in a temporary directory, runs the meter in
instant mode through the year (no NVM) and prints the figures. Target: a year in under 2 s.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from emulator.config import LoadConfig, MeterConfig, RunConfig
from emulator.runtime import VirtualMeter

START = datetime(2026, 1, 1, tzinfo=UTC)
QUARTERS = 35_040


def write_year_csv(path: Path) -> None:
    rng = random.Random(42)
    with path.open("w") as handle:
        handle.write("timestamp,import_w,export_w\n")
        for quarter in range(QUARTERS):
            moment = START + timedelta(minutes=15 * quarter)
            net = rng.randint(-3000, 5000)
            handle.write(f"{moment.isoformat()},{max(net, 0)},{max(-net, 0)}\n")


def simulate_year(csv_path: Path, state: Path | None) -> tuple[VirtualMeter, float, float]:
    """Build and run the meter; returns it with the build and the simulation times (s)."""
    began = time.perf_counter()
    config = MeterConfig(load=LoadConfig(watts=None, csv=csv_path))
    run = RunConfig(instant=True, start=START, until=timedelta(days=365), state=state)
    virtual = VirtualMeter(config, run)
    loaded = time.perf_counter()
    asyncio.run(virtual.run())
    return virtual, loaded - began, time.perf_counter() - loaded


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        csv_path = Path(directory) / "year.csv"
        write_year_csv(csv_path)
        virtual, build, simulated = simulate_year(csv_path, state=None)
        _, _, with_nvm = simulate_year(csv_path, state=Path(directory) / "state")
    meter = virtual.meter
    print(f"load CSV ({QUARTERS} values) and build: {build:.3f} s")
    print(f"simulate 365 days:                   {simulated:.3f} s")
    print(f"simulated days per second:           {365 / simulated:,.0f}")
    print(f"365 days with NVM (daily snapshot saves, no fsync): {with_nvm:.3f} s")
    print(f"registers (Wh): {dict(meter.registers.by_obis())}")
    print(f"profile entries kept: {len(meter.profile)}, snapshots: {len(meter.snapshots)}")


if __name__ == "__main__":
    main()
