"""Meter-side prepayment through the optical probe (rules E7, M5): the mode C readout's
94.32.2.1..3, a mode E GET of the 94.32 objects and the LCD all show the meter's own account."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from balance_items import lcd_items, mode_c_items

from cosem.apdu import AttributeDescriptor
from cosem.axdr import Data
from cosem.classes.clock import date_time_in_zone
from cosem.hdlc import ClientAddress, ServerAddress
from emulator import obis_map
from emulator.config import RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.serial_service import HdlcSession, HdlcSettings, OpticalPortService, live_readout
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from firmware.rules.token import make_token
from hal.optical import SerialOpticalPort
from headend.serial import ProbeTarget, connect_serial
from headend.session import Session

PHYSICAL_ADDRESS = 17
TOKEN_KEY = bytes(range(16))
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 10:00 in Brussels, peak tariff
NOW = START + timedelta(hours=10)  # 20 kWh at 0.30 EUR: 20.00 - 6.00 = 14.00 EUR
CONFIG = f"""
security:
  token_key: "{TOKEN_KEY.hex()}"
prepayment:
  mode: meter
  prices: {{peak: "0.3000", offpeak: "0.2500"}}
load:
  watts: 2000
"""
ITEMS = [
    AttributeDescriptor(1, obis_map.BALANCE_UPDATE_TIME, 2),
    AttributeDescriptor(3, obis_map.BALANCE, 2),
    AttributeDescriptor(3, obis_map.EMERGENCY_CREDIT, 2),
]


@dataclass
class MeterModeMeter:
    virtual: VirtualMeter
    probe_path: str


@pytest.fixture
async def prepaid(socat_pair: tuple[str, str]) -> AsyncIterator[MeterModeMeter]:
    meter_path, probe_path = socat_pair
    config = parse_config(CONFIG)
    virtual = VirtualMeter(config, RunConfig(instant=True, start=START))
    assert virtual.simulated_clock is not None
    virtual.simulated_clock.advance_to(NOW)
    port = SerialOpticalPort(meter_path)
    service = OpticalPortService(
        port,
        HdlcSession(
            build_logical_device(virtual, config),
            HdlcSettings(address=ServerAddress.of(1, PHYSICAL_ADDRESS)),
        ),
        readout=lambda: live_readout(virtual),
    )
    task = asyncio.create_task(service.serve_forever())
    try:
        yield MeterModeMeter(virtual, probe_path)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        port.close()


async def mode_e_items(meter: MeterModeMeter) -> list[Data]:
    target = ProbeTarget(
        meter.probe_path, server=ServerAddress(1, PHYSICAL_ADDRESS, 2), client=ClientAddress(16)
    )
    async with Session(await connect_serial(target)) as session:
        return [await session.get(item) for item in ITEMS]


async def test_the_probe_reads_the_meters_own_account(prepaid: MeterModeMeter) -> None:
    # rules E7, M5: charged up to the read (20:00 local), as the LCD shows it
    assert await mode_c_items(prepaid.probe_path) == {
        "94.32.2.1": ("260302200000", ""),
        "94.32.2.2": ("14.00", "EUR"),
        "94.32.2.3": ("15.00", "EUR"),
    }
    update_time, balance, credit = await mode_e_items(prepaid)
    assert isinstance(update_time.value, bytes)
    assert date_time_in_zone(update_time.value, BRUSSELS) == NOW
    assert (balance, credit) == (Data.double_long(1400), Data.double_long(1500))
    assert lcd_items(prepaid.virtual.hal) == [
        ("94.32.2.1", "02/03/26 20:00", ""),
        ("94.32.2.2", "14.00", "EUR"),
        ("94.32.2.3", "15.00", "EUR"),
    ]


async def test_a_top_up_shows_at_once_in_the_readout(prepaid: MeterModeMeter) -> None:
    # rules E7, P6: the meter keeps the balance itself, so no lag behind a platform
    token = make_token(TOKEN_KEY, "VM0000000001", 1, Money.eur(25))
    assert prepaid.virtual.meter.enter_token(token).accepted
    items = await mode_c_items(prepaid.probe_path)
    assert items["94.32.2.2"] == ("39.00", "EUR")
