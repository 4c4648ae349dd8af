"""The gas meter over every link (rules G1, G2, G4, M4): its own MQTT topics on an embedded
amqtt broker, its optical port on a pty (mode C readout, HDLC under our probe), and the
electricity meter serving its balance on channel 1 with ``--with-gas``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from served_tcp import tcp_session

from cosem.apdu import AttributeDescriptor, MethodDescriptor
from cosem.apdu.enums import ActionResult
from cosem.axdr import Data
from cosem.client import AccessRefused
from cosem.hdlc import ServerAddress
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig, default_config_text, parse_config
from emulator.mqtt_service import run_with_mqtt
from emulator.runtime import VirtualMeter
from emulator.serial_service import start_serial_services
from firmware.disconnect_control import ControlState
from firmware.gas.leak_test import LeakTestState
from firmware.rules.money import Money
from firmware.rules.token import make_token
from firmware.settings import PrepaymentMode
from hal.optical import SerialOpticalPort
from hal.valve import ValvePosition
from headend.mqtt import MqttTransport, parse_broker_url
from headend.serial import ProbeTarget, connect_serial, read_mode_c
from headend.session import Session

pytestmark = pytest.mark.timeout(60)

START = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
WAIT_S = 10.0
GAS_SERIAL = "GAS0000000007"
VOLUME = AttributeDescriptor(4, obis_map.GAS_VOLUME, 2)
REMOTE_DISCONNECT = MethodDescriptor(70, obis_map.GAS_VALVE, 1)
REMOTE_RECONNECT = MethodDescriptor(70, obis_map.GAS_VALVE, 2)
CONTROL_STATE = AttributeDescriptor(70, obis_map.GAS_VALVE, 3)
MANAGEMENT, MANAGEMENT_PASSWORD = 1, b"00000000"
METER = PrepaymentMode.METER


def gas_config(serial: str | None = None, mqtt: str | None = None) -> MeterConfig:
    """The default gas meter under its own serial number, no TCP server."""
    config = parse_config(default_config_text("gas"))
    identity = replace(config.meter.identity, serial_number=GAS_SERIAL)
    return replace(
        config,
        meter=replace(config.meter, identity=identity),
        communication=replace(config.communication, tcp=None, serial=serial, mqtt=mqtt),
    )


@contextlib.asynccontextmanager
async def running(
    virtual: VirtualMeter, service: asyncio.Task[None] | None = None
) -> AsyncIterator[None]:
    """The meter's run loop (in time, so the services share it) until the block ends."""
    task = service or asyncio.create_task(virtual.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def announced(lines: list[str], starting: str) -> str:
    for _ in range(500):
        found = [line for line in lines if line.startswith(starting)]
        if found:
            return found[0]
        await asyncio.sleep(0.01)
    raise AssertionError(f"never announced: {starting}")


async def test_the_gas_meter_answers_over_mqtt_under_its_own_serial() -> None:
    # rule G1 over the communication module; M1 the valve ordered over MQTT
    config = gas_config(mqtt="embedded:0")
    virtual = VirtualMeter(config, RunConfig(start=START))
    lines: list[str] = []
    task = asyncio.create_task(run_with_mqtt(virtual, config, "embedded:0", announce=lines.append))
    async with running(virtual, task):
        await announced(lines, "MQTT: meter")
        broker = (await announced(lines, "embedded MQTT broker on ")).rsplit(" ", 1)[1]
        address = parse_broker_url(broker)
        public = await MqttTransport.connect(address, GAS_SERIAL)
        async with Session(public, timeout_s=WAIT_S) as session:
            volume = await session.get(VOLUME)
        management = await MqttTransport.connect(address, GAS_SERIAL, client_sap=1)
        async with Session(management, password=MANAGEMENT_PASSWORD, timeout_s=WAIT_S) as session:
            await session.action(REMOTE_DISCONNECT, Data.integer(0))
            state = await session.get(CONTROL_STATE)
    assert volume.type.name == "DOUBLE_LONG_UNSIGNED"
    assert state == Data.enum(int(ControlState.DISCONNECTED))
    assert virtual.gas_hal is not None and virtual.gas_hal.valve is not None
    assert virtual.gas_hal.valve.position is ValvePosition.CLOSED


async def test_the_gas_meter_answers_on_its_optical_port() -> None:
    # rules G1, G2: the mode C readout shows the LCD's volume and the euro menu's items; HDLC
    # under our probe reads the same volume register
    config = gas_config(serial="pty")
    virtual = VirtualMeter(config, RunConfig(start=START))
    lines: list[str] = []
    start_serial_services(virtual, config, None, announce=lines.append)
    async with running(virtual):
        path = (await announced(lines, "optical port")).rsplit(" ", 1)[1]
        port = SerialOpticalPort(path)
        try:
            identification, data_sets = await read_mode_c(port, 9600, timeout_s=WAIT_S)
        finally:
            port.close()
        target = ProbeTarget(path, server=ServerAddress(1, 17, 2), timeout_s=WAIT_S)
        async with Session(await connect_serial(target), timeout_s=WAIT_S) as session:
            volume = await session.get(VOLUME)
    assert identification.identifier.endswith(GAS_SERIAL)
    codes = {data_set.address: data_set.value for data_set in data_sets}
    assert codes["24.2.1"].startswith("00000.")
    assert {"0.9.1", "0.9.2", "94.32.2.1", "94.32.2.2", "94.32.2.3"} <= codes.keys()
    assert volume.type.name == "DOUBLE_LONG_UNSIGNED"


async def test_with_gas_a_channel_1_balance_update_lets_the_valve_reconnect() -> None:
    # rules G4, M2: the platform writes the gas balance on channel 1, then remote_reconnect
    # (method 2) arms the leak test; before it, temporary-failure
    config = MeterConfig()
    virtual = VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=True))
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        await session.action(REMOTE_DISCONNECT, Data.integer(0))
        with pytest.raises(AccessRefused) as refused:
            await session.action(REMOTE_RECONNECT, Data.integer(0))
        gas_balance = AttributeDescriptor(3, obis_map.GAS_BALANCE, 2)
        await session.set(gas_balance, Data.double_long(1250))  # 12.50 EUR
        await session.action(REMOTE_RECONNECT, Data.integer(0))
        state = await session.get(CONTROL_STATE)
        electricity = await session.get(AttributeDescriptor(3, obis_map.BALANCE, 2))
    assert refused.value.result is ActionResult.TEMPORARY_FAILURE
    assert state == Data.enum(int(ControlState.READY_FOR_RECONNECTION))
    assert virtual.gas is not None and virtual.gas.leak_test.state is LeakTestState.ARMED
    assert electricity == Data.double_long(0)  # each energy has its own balance (P6)
    assert virtual.gas.balance is not None and virtual.gas.balance.at == START


def test_with_gas_the_cli_prints_the_gas_lcd_prefixed(capsys: pytest.CaptureFixture[str]) -> None:
    from emulator.cli import main

    argv = ["run", "--with-gas", "--instant", "--no-tcp", "--start", "2026-01-14T12:00"]
    assert main([*argv, "--until", "+1h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(" gas 24.2.1 " in line for line in lines)
    assert any("1.8.1" in line and " gas " not in line for line in lines)


def test_config_init_for_gas_has_no_electricity_only_sections() -> None:
    # vmeter config init --kind gas; run.with_gas settable in an electricity file
    text = default_config_text("gas")
    for section in ("tariff:", "display:", "load:", "max_current_a", "power_limiter", "prices:"):
        assert section not in text
    assert parse_config(text).kind == "gas"
    with_gas = parse_config(default_config_text().replace("with_gas: false", "with_gas: true"))
    assert with_gas.run.with_gas


async def test_a_token_through_the_gas_token_gateway_arms_the_leak_test() -> None:
    # rules P6, P8, G4, M5: meter mode; the head-end's cut, a token, the balance in 94.32.2
    config = replace(gas_config(), meter=replace(gas_config().meter, prepayment=METER))
    virtual = VirtualMeter(config, RunConfig(instant=True, start=START))
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        await session.action(REMOTE_DISCONNECT, Data.integer(0))
        text = make_token(bytes(16), GAS_SERIAL, 1, Money.parse("10.00"))
        gateway = MethodDescriptor(115, obis_map.TOKEN_GATEWAY, 1)
        await session.action(gateway, Data.octet_string(text.encode()))
        balance = await session.get(AttributeDescriptor(3, obis_map.BALANCE, 2))
        with pytest.raises(AccessRefused):  # the account's balance: nobody writes it (M5)
            await session.set(AttributeDescriptor(3, obis_map.BALANCE, 2), Data.double_long(1))
        await session.action(REMOTE_RECONNECT, Data.integer(0))
        state = await session.get(CONTROL_STATE)
    assert balance == Data.double_long(3000)  # 20 EUR starting credit (P1) + 10 EUR
    assert state == Data.enum(int(ControlState.READY_FOR_RECONNECTION))
    assert virtual.gas is not None and virtual.gas.leak_test.state is LeakTestState.ARMED


async def test_with_gas_in_meter_mode_each_meter_takes_only_its_own_tokens() -> None:
    # rules P6, M5: each energy has its own balance; the gas token gateway is on channel 1
    config = MeterConfig()
    config = replace(config, meter=replace(config.meter, prepayment=METER))
    virtual = VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=True))
    gas_gateway = MethodDescriptor(115, obis_map.GAS_TOKEN_GATEWAY, 1)
    electricity_token = make_token(bytes(16), virtual.serial, 1, Money.parse("10.00"))
    gas_token = make_token(bytes(16), virtual.gas_serial, 1, Money.parse("7.00"))
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        with pytest.raises(AccessRefused):  # made for the electricity meter
            await session.action(gas_gateway, Data.octet_string(electricity_token.encode()))
        await session.action(gas_gateway, Data.octet_string(gas_token.encode()))
        gas_balance = await session.get(AttributeDescriptor(3, obis_map.GAS_BALANCE, 2))
        balance = await session.get(AttributeDescriptor(3, obis_map.BALANCE, 2))
    assert gas_balance == Data.double_long(2700)  # 20 EUR starting credit (P1) + 7 EUR
    assert isinstance(balance.value, int) and balance.value <= 2000  # electricity's: no top-up
