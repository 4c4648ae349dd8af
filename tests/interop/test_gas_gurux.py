"""gurux-dlms against the gas meter's logical device over loopback TCP (rules G1, G3, M1, M2,
M4): the volume, the valve and the leak test it arms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gurux_dlms.enums import ObjectType
from gurux_session import GuruxSession, find, in_thread

from emulator import obis_map
from emulator.config import RunConfig, default_config_text, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService
from firmware.central_balance import BalanceUpdate
from firmware.disconnect_control import ControlState
from firmware.gas.gas_meter import GasMeter
from firmware.gas.leak_test import LeakTestState
from firmware.rules.money import Money
from hal.flow_models import ConstantFlow
from hal.valve import ValvePosition

README = Path(__file__).resolve().parents[2] / "README.md"
START = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
MANAGEMENT_PASSWORD = "00000000"  # documented default of client 1 (emulator/config.py)
VOLUME = "0.1.24.2.3.255"
VALVE = "0.1.24.4.0.255"
PROFILE = "0.1.24.3.0.255"


@dataclass
class ServedGas:
    runtime: VirtualMeter
    gas: GasMeter
    service: TcpService

    def advance_to(self, moment: datetime) -> None:
        """Move the instant clock to ``moment``, stopping at each of the meter's deadlines."""
        clock = self.runtime.simulated_clock
        assert clock is not None
        while (deadline := self.gas.next_deadline()) <= moment:
            clock.advance_to(deadline)
            self.gas.tick()
        clock.advance_to(moment)
        self.gas.tick()

    def control_state(self) -> ControlState:
        """Read afresh at each call (a method, so checks are not narrowed away)."""
        return self.gas.valve.control_state

    def test_state(self) -> LeakTestState:
        return self.gas.leak_test.state

    def valve_moves(self) -> list[str]:
        valve = self.runtime.hal.valve
        assert valve is not None
        return [event.detail for event in valve.recorder.of_kind("move")]


async def serve_gas(l_per_h: int, leak_test_button: str = "euro") -> ServedGas:
    """A gas meter whose leak test starts with ``leak_test_button`` (from its configuration)."""
    text = (
        default_config_text("gas")
        .replace("l_per_h: 300", f"l_per_h: {l_per_h}")
        .replace("button: arrow", f"button: {leak_test_button}")
    )
    config = parse_config(text)
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    assert runtime.gas is not None
    device = build_logical_device(runtime, config)
    service = TcpService(device, "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    return ServedGas(runtime, runtime.gas, service)


@pytest.fixture
async def quiet_gas() -> AsyncIterator[ServedGas]:
    """A gas meter whose installation draws nothing (no leak)."""
    served = await serve_gas(0)
    yield served
    await served.service.close()


@pytest.fixture
async def flowing_gas() -> AsyncIterator[ServedGas]:
    served = await serve_gas(300)
    yield served
    await served.service.close()


async def test_the_served_objects_are_the_gas_obis_map(quiet_gas: ServedGas) -> None:
    served = {(obj.logical_name, obj.class_id) for obj in quiet_gas.service.device.objects}
    served.add((obis_map.CURRENT_ASSOCIATION, 15))  # one per association
    assert served == {(entry.obis, entry.class_id) for entry in obis_map.GAS_OBIS_MAP}


def test_the_readme_holds_the_gas_obis_table() -> None:
    assert obis_map.gas_markdown() in README.read_text()


async def test_gurux_reads_the_volume_in_m3_and_the_profile(flowing_gas: ServedGas) -> None:
    # rule G1: 300 l/h for 2 h = 600 dm3 = 0.600 m3 (scaler -3, unit 13)
    flowing_gas.advance_to(START + timedelta(hours=2))

    def read() -> tuple[Any, Any, Any, int]:
        with GuruxSession(flowing_gas.service.port) as session:
            session.associate()
            objects = session.object_list()
            volume = find(objects, ObjectType.EXTENDED_REGISTER, VOLUME)
            session.read(volume, 3)
            value = session.read(volume, 2)
            captured = session.read(volume, 5)
            profile = find(objects, ObjectType.PROFILE_GENERIC, PROFILE)
            session.read(profile, 3)
            rows = session.read(profile, 2)
            session.release()
            return value, volume.unit, captured, len(rows)

    value, unit, captured, rows = await in_thread(read)
    assert value == pytest.approx(0.6)
    assert unit == 13
    assert captured.value.astimezone(UTC) == START + timedelta(hours=2)
    assert rows == 8  # two hours of quarter hours


async def test_gurux_cuts_the_gas_and_a_passed_leak_test_reopens_it(quiet_gas: ServedGas) -> None:
    # rules M1, M2 (transitions b, d, e) and G3: management disconnects, then enables
    # reconnection; the customer's press starts the leak test, no flow passes it, gas flows.
    def order(method: str) -> int:
        with GuruxSession(quiet_gas.service.port, 1, MANAGEMENT_PASSWORD) as session:
            session.associate()
            valve = find(session.object_list(), ObjectType.DISCONNECT_CONTROL, VALVE)
            reply = session.method(getattr(valve, method)(session.client))
            session.release()
            return int(reply.error)

    assert await in_thread(lambda: order("remoteDisconnect")) == 0
    assert quiet_gas.valve_moves() == ["closed"]
    assert quiet_gas.control_state() is ControlState.DISCONNECTED
    assert await in_thread(lambda: order("remoteDisconnect")) == 2  # temporary-failure
    quiet_gas.gas.receive_balance(BalanceUpdate(START, Money.eur(20), Money(0)))  # G4: credit
    assert await in_thread(lambda: order("remoteReconnect")) == 0
    assert quiet_gas.test_state() is LeakTestState.ARMED
    assert quiet_gas.valve_moves() == ["closed"]  # enabling alone opens nothing
    quiet_gas.runtime.hal.buttons.press("arrow")  # not the configured button: nothing
    assert quiet_gas.valve_moves() == ["closed"]
    quiet_gas.runtime.hal.buttons.press("euro")
    assert quiet_gas.valve_moves() == ["closed", "test"]
    quiet_gas.advance_to(START + quiet_gas.gas.settings.leak_test.duration)
    assert quiet_gas.valve_moves() == ["closed", "test", "open"]
    hal_valve = quiet_gas.runtime.hal.valve
    assert hal_valve is not None and hal_valve.position is ValvePosition.OPEN
    assert quiet_gas.control_state() is ControlState.CONNECTED


async def test_a_public_client_may_read_but_not_operate_the_valve(quiet_gas: ServedGas) -> None:
    def try_cut() -> int:
        with GuruxSession(quiet_gas.service.port) as session:
            session.associate()
            valve = find(session.object_list(), ObjectType.DISCONNECT_CONTROL, VALVE)
            assert session.read(valve, 4) == 3  # control mode 3 (rule M1)
            return int(session.method(valve.remoteDisconnect(session.client)).error)

    assert await in_thread(try_cut) == 3  # read-write-denied
    assert quiet_gas.valve_moves() == []


async def test_remote_reconnect_re_enables_a_locked_out_leak_test() -> None:
    # rules G3, M4: a leak fails the test twice and locks it out; once the leak is fixed the
    # head-end's remote_reconnect re-enables it and a passed test opens the valve
    served = await serve_gas(120)  # a cooker left on: above the 30 l/h threshold
    try:
        gas, button = served.gas, served.gas.settings.leak_test.button
        assert gas.remote_disconnect().accepted and gas.remote_reconnect().accepted
        served.runtime.hal.buttons.press(button)
        assert served.test_state() is LeakTestState.FAILED
        served.advance_to(START + gas.settings.leak_test.retry_delay)
        served.runtime.hal.buttons.press(button)
        assert served.test_state() is LeakTestState.LOCKED_OUT
        sensor = served.runtime.flow_sensor
        assert sensor is not None
        gas.tick()  # the volume up to now before the demand changes
        sensor.set_model(ConstantFlow(0))  # the installer fixes the leak

        def re_enable() -> int:
            with GuruxSession(served.service.port, 1, MANAGEMENT_PASSWORD) as session:
                session.associate()
                valve = find(session.object_list(), ObjectType.DISCONNECT_CONTROL, VALVE)
                return int(session.method(valve.remoteReconnect(session.client)).error)

        assert await in_thread(re_enable) == 0
        assert served.test_state() is LeakTestState.ARMED
        served.runtime.hal.buttons.press(button)
        served.advance_to(served.runtime.clock.now() + gas.settings.leak_test.duration)
        assert served.valve_moves()[-1] == "open"
        assert served.control_state() is ControlState.CONNECTED
    finally:
        await served.service.close()
