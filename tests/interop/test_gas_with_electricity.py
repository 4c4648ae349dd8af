"""``vmeter run --with-gas``: an electricity meter whose COSEM server also serves the gas
meter on M-Bus channel 1 (rule G1), both meters stepped by one run loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cosem.apdu import AttributeDescriptor
from cosem.axdr import Data
from cosem.obis import Obis
from emulator import obis_map
from emulator.cli import main
from emulator.config import ConfigError, MeterConfig, RunConfig, default_config_text, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService
from headend.session import Session
from headend.tcp import TcpWrapperTransport

START = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
TIMEOUT_S = 10.0
READER_PASSWORD = b"12345678"  # client 17's default (emulator/config.py)
CHANNEL_1 = {(obis_map.GAS_VOLUME, 4), (obis_map.GAS_VALVE, 70), (obis_map.GAS_LOAD_PROFILE, 7)}


def electricity_with_gas() -> tuple[VirtualMeter, MeterConfig]:
    config = MeterConfig()  # 500 W; the gas meter's flow is the default 300 l/h
    return VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=True)), config


async def test_the_electricity_server_serves_the_gas_volume_on_channel_1() -> None:  # rule G1
    virtual, config = electricity_with_gas()
    await virtual.run(until=START + timedelta(hours=2))  # one loop steps both meters
    assert virtual.meter.registers_for_release()[0] == 1000  # 500 W for 2 h, import T1
    service = TcpService(build_logical_device(virtual, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    try:
        transport = await TcpWrapperTransport.connect(
            "127.0.0.1", service.port, client_sap=17, server_sap=1, timeout_s=TIMEOUT_S
        )
        async with Session(transport, password=READER_PASSWORD, timeout_s=TIMEOUT_S) as session:
            volume = await session.get(AttributeDescriptor(4, obis_map.GAS_VOLUME, 2))
            unit = await session.get(AttributeDescriptor(4, obis_map.GAS_VOLUME, 3))
    finally:
        await service.close()
    assert volume == Data.double_long_unsigned(600)  # 300 l/h for 2 h = 0.600 m3
    assert unit == Data.structure(Data.integer(-3), Data.enum(13))


def served(virtual: VirtualMeter, config: MeterConfig) -> set[tuple[Obis, int]]:
    device = build_logical_device(virtual, config)
    return {(obj.logical_name, obj.class_id) for obj in device.objects}


def test_without_with_gas_the_electricity_server_has_no_channel_1() -> None:
    config = MeterConfig()
    assert (
        not served(VirtualMeter(config, RunConfig(instant=True, start=START)), config) & CHANNEL_1
    )
    assert served(*electricity_with_gas()) >= CHANNEL_1


def test_with_gas_needs_an_electricity_meter() -> None:
    config = parse_config(default_config_text("gas"))
    with pytest.raises(ConfigError, match="--with-gas"):
        VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=True))


def test_cli_with_gas_instant_run_exits_0(tmp_path: Path) -> None:
    argv = ["run", "--with-gas", "--instant", "--no-tcp", "--state", str(tmp_path)]
    assert main([*argv, "--start", "2026-01-14T12:00", "--until", "+1h"]) == 0
    assert (tmp_path / "gas.vms").exists() and (tmp_path / "state.vms").exists()
