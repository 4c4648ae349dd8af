"""The central balance (rule E7) through the optical probe: a management SET over TCP or over
HDLC, then the probe's mode C readout, a mode E GET and the LCD all show the same values."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from balance_items import lcd_items, mode_c_items

from cosem.access import DEFAULT_MANAGEMENT_PASSWORD
from cosem.apdu import AttributeDescriptor
from cosem.axdr import Data
from cosem.classes.clock import date_time_in_zone
from cosem.hdlc import ClientAddress, ServerAddress
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.serial_service import (
    HdlcSession,
    HdlcSettings,
    OpticalPortService,
    live_readout,
)
from emulator.tcp_service import TcpService
from firmware.rules.localtime import BRUSSELS
from firmware.settings import MeterSettings, PrepaymentMode
from hal.optical import SerialOpticalPort
from headend.serial import ProbeTarget, connect_serial
from headend.session import Session
from headend.tcp import TcpWrapperTransport

PHYSICAL_ADDRESS = 17
UPDATE_AT = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 07:00 in Brussels
TIME = AttributeDescriptor(1, obis_map.BALANCE_UPDATE_TIME, 2)
BALANCE = AttributeDescriptor(3, obis_map.BALANCE, 2)
CREDIT = AttributeDescriptor(3, obis_map.EMERGENCY_CREDIT, 2)
UPDATE = [  # the time last: it stamps the update (07:00 local, deviation -60 = UTC+1)
    (BALANCE, Data.double_long(-345)),
    (CREDIT, Data.double_long(1155)),
    (TIME, Data.octet_string(bytes.fromhex("07EA0B1B0507000000FFC400"))),
]


@dataclass
class PrepaidMeter:
    virtual: VirtualMeter
    probe_path: str
    tcp_port: int


@pytest.fixture
async def prepaid(
    socat_pair: tuple[str, str], virtual_meter: VirtualMeter
) -> AsyncIterator[PrepaidMeter]:
    """The conftest's meter (central mode) on a pty with the live readout, and over TCP."""
    meter_path, probe_path = socat_pair
    device = build_logical_device(virtual_meter, MeterConfig())
    port = SerialOpticalPort(meter_path)
    address = ServerAddress.of(1, PHYSICAL_ADDRESS)
    service = OpticalPortService(
        port,
        HdlcSession(device, HdlcSettings(address=address)),
        readout=lambda: live_readout(virtual_meter),
    )
    tcp = TcpService(device, "127.0.0.1", 0, idle_timeout_s=30)
    await tcp.start()
    task = asyncio.create_task(service.serve_forever())
    try:
        yield PrepaidMeter(virtual_meter, probe_path, tcp.port)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        port.close()
        await tcp.close()


def probe(meter: PrepaidMeter, client: int) -> ProbeTarget:
    return ProbeTarget(
        meter.probe_path,
        server=ServerAddress(1, PHYSICAL_ADDRESS, 2),
        client=ClientAddress(client),
    )


async def mode_e_items(meter: PrepaidMeter) -> list[Data]:
    async with Session(await connect_serial(probe(meter, 16))) as session:
        return [await session.get(attribute) for attribute in (TIME, BALANCE, CREDIT)]


async def check_everywhere(meter: PrepaidMeter) -> None:
    assert await mode_c_items(meter.probe_path) == {
        "94.32.2.1": ("261127070000", ""),
        "94.32.2.2": ("-3.45", "EUR"),
        "94.32.2.3": ("11.55", "EUR"),
    }
    update_time, balance, credit = await mode_e_items(meter)
    assert isinstance(update_time.value, bytes)
    assert date_time_in_zone(update_time.value, BRUSSELS) == UPDATE_AT
    assert (balance, credit) == (Data.double_long(-345), Data.double_long(1155))
    assert lcd_items(meter.virtual.hal) == [
        ("94.32.2.1", "27/11/26 07:00", ""),
        ("94.32.2.2", "-3.45", "EUR"),
        ("94.32.2.3", "11.55", "EUR"),
    ]


async def test_a_balance_set_over_tcp_is_what_the_probe_and_the_lcd_show(
    prepaid: PrepaidMeter,
) -> None:  # rules E7, P7
    transport = await TcpWrapperTransport.connect("127.0.0.1", prepaid.tcp_port, client_sap=1)
    async with Session(transport, password=DEFAULT_MANAGEMENT_PASSWORD) as session:
        for attribute, value in UPDATE:
            await session.set(attribute, value)
    await check_everywhere(prepaid)


async def test_a_balance_set_over_hdlc_is_what_the_probe_and_the_lcd_show(
    prepaid: PrepaidMeter,
) -> None:  # rules E7, P7
    transport = await connect_serial(probe(prepaid, 1))
    async with Session(transport, password=DEFAULT_MANAGEMENT_PASSWORD) as session:
        for attribute, value in UPDATE:
            await session.set(attribute, value)
    await check_everywhere(prepaid)


async def test_before_the_first_update_the_readout_has_empty_items(
    prepaid: PrepaidMeter,
) -> None:  # rule E7
    assert await mode_c_items(prepaid.probe_path) == {f"94.32.2.{n}": ("", "") for n in (1, 2, 3)}


def test_without_prepayment_the_readout_has_no_balance_items() -> None:  # rule E7
    config = MeterConfig(meter=MeterSettings(prepayment=PrepaymentMode.NONE))
    virtual = VirtualMeter(config, RunConfig(instant=True, start=UPDATE_AT))
    addresses = [data_set.address for data_set in live_readout(virtual)]
    assert addresses == ["1.8.1", "1.8.2", "2.8.1", "2.8.2", "0.9.1", "0.9.2"]
