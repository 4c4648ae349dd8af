"""The household of ``vmeter demo``: its two meters' configurations (central prepayment, rule
M5) and what the house draws, sized so that 20 EUR of starting credit (P1) and the 15 EUR of
emergency credit (P3) run out over a winter weekend at winter prices."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from pathlib import Path

from emulator.config import FlowConfig, LoadConfig, MeterConfig, RunConfig
from firmware.rules.credit import ean_check_digit
from firmware.settings import DisplaySettings, Identity, MeterSettings
from headend.platform.billing import Prices
from headend.platform.live import Enrolment

ELECTRIC_HEATING = (
    (time(0, 0), 1300),
    (time(6, 30), 3200),  # heaters, kettle, shower
    (time(9, 0), 1500),
    (time(12, 0), 2200),
    (time(14, 0), 1500),
    (time(17, 0), 3800),  # heaters, oven, lights
    (time(22, 30), 1300),
)
"""Watts from each local time on (an electric heating in November)."""
GAS_HEATING_L_PER_H = 420
"""The boiler's average winter demand (about 10 m3 a day)."""
ENROLMENT = Enrolment(
    prices=Prices(peak=30_000, offpeak=22_000),  # 0.30 / 0.22 EUR per kWh
    gas_price=150_000,  # 1.50 EUR per m3
)
"""The platform's winter prices, milli-cents per kWh and per m3."""


def _ean(first_17: str) -> str:
    return first_17 + ean_check_digit(first_17)


ELECTRICITY = Identity(
    serial_number="1SAG1100042311",
    ean=_ean("54144886000004231"),
    logical_device_name="SAG1100042311000",
)
GAS = Identity(
    serial_number="2FLO2100042312",
    ean=_ean("54144886000004232"),
    logical_device_name="FLO2100042312000",
)


def electricity_config(state: Path, start: datetime) -> MeterConfig:
    """No auto-scroll: the LCD changes only when something happens to the supply."""
    settings = MeterSettings(identity=ELECTRICITY, display=DisplaySettings(scroll_seconds=0))
    config = MeterConfig(meter=settings, load=LoadConfig(watts=None, schedule=ELECTRIC_HEATING))
    return replace(config, run=RunConfig(instant=True, start=start, state=state / "electricity"))


def gas_config(state: Path, start: datetime) -> MeterConfig:
    config = MeterConfig(
        kind="gas",
        meter=MeterSettings(identity=GAS),
        flow=FlowConfig(l_per_h=GAS_HEATING_L_PER_H),
    )
    return replace(config, run=RunConfig(instant=True, start=start, state=state / "gas"))
