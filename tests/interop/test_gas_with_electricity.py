"""``vmeter run --with-gas``: an electricity meter whose COSEM server also serves the gas
meter on M-Bus channel 1 (rule G1), both meters stepped by one run loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from served_tcp import tcp_session

from cosem.apdu import AttributeDescriptor
from cosem.axdr import Data
from cosem.obis import Obis
from emulator import obis_map
from emulator.cli import main
from emulator.config import (
    ConfigError,
    MeterConfig,
    RunConfig,
    channel_1_ean,
    default_config_text,
    parse_config,
)
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from firmware.rules.credit import ean_check_digit, top_up_reference, validate_ean
from headend.operations import read_identity

START = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
READER, READER_PASSWORD = 17, b"12345678"  # client 17's default (emulator/config.py)
CHANNEL_1 = {(obis_map.GAS_VOLUME, 4), (obis_map.GAS_VALVE, 70), (obis_map.GAS_LOAD_PROFILE, 7)}


def electricity_with_gas() -> tuple[VirtualMeter, MeterConfig]:
    config = MeterConfig()  # 500 W; the gas meter's flow is the default 300 l/h
    return VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=True)), config


async def test_the_electricity_server_serves_the_gas_volume_on_channel_1() -> None:  # rule G1
    virtual, config = electricity_with_gas()
    await virtual.run(until=START + timedelta(hours=2))  # one loop steps both meters
    assert virtual.meter.registers_for_release()[0] == 1000  # 500 W for 2 h, import T1
    async with tcp_session(virtual, config, READER, READER_PASSWORD) as session:
        volume = await session.get(AttributeDescriptor(4, obis_map.GAS_VOLUME, 2))
        unit = await session.get(AttributeDescriptor(4, obis_map.GAS_VOLUME, 3))
    assert volume == Data.double_long_unsigned(600)  # 300 l/h for 2 h = 0.600 m3
    assert unit == Data.structure(Data.integer(-3), Data.enum(13))


async def test_the_electricity_server_serves_the_gas_meters_identity_on_channel_1() -> None:
    # rule P6: the gas meter's own EAN (so its own top-up reference) from its device
    virtual, config = electricity_with_gas()
    async with tcp_session(virtual, config, READER, READER_PASSWORD) as session:
        electricity = await read_identity(session)
        gas = await read_identity(session, channel=1)
    assert electricity.serial == "VM0000000001" and gas.serial == "VM0000000001-G1"
    assert gas.serial == virtual.gas_serial
    assert gas.ean == config.gas_identity.ean == channel_1_ean(electricity.ean)
    assert top_up_reference(gas.ean) != top_up_reference(electricity.ean)


@settings(max_examples=100)
@given(st.integers(min_value=0, max_value=10**17 - 1))
def test_the_channel_1_gas_ean_is_valid_and_has_its_own_reference(body: int) -> None:
    # rule P6: the reference (last 13 digits) picks one energy's account
    first_17 = f"{body:017d}"
    electricity = first_17 + ean_check_digit(first_17)
    gas = channel_1_ean(electricity)
    assert validate_ean(gas) == gas
    assert top_up_reference(gas) != top_up_reference(electricity)
    assert gas[:5] == electricity[:5]


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
