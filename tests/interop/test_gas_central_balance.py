"""Central prepayment on the standalone gas meter, over loopback TCP with our head-end
``Session`` (rules G2, G4, E7, M5): the platform writes 94.32.1/2/3, the euro button's menu
shows them, ``gas.vms`` keeps them, and the valve's remote_reconnect needs 0.50 EUR."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cosem.apdu import ActionResult, AttributeDescriptor, DataAccessResult, MethodDescriptor
from cosem.axdr import Data
from cosem.client import AccessRefused
from cosem.datetime_codec import CosemDateTime
from emulator import obis_map
from emulator.config import RunConfig, default_config_text, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService
from firmware.central_balance import BalanceUpdate
from firmware.disconnect_control import ControlState
from firmware.gas.gas_meter import GasMeter
from firmware.gas.leak_test import LeakTestState
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from headend.session import Session
from headend.tcp import TcpWrapperTransport

START = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
UPDATE_AT = datetime(2026, 1, 14, 5, 0, tzinfo=UTC)  # 06:00 in Brussels
TIMEOUT_S = 10.0
MANAGEMENT, READER = 1, 17
PASSWORDS = {MANAGEMENT: b"00000000", READER: b"12345678"}  # defaults (emulator/config.py)
REMOTE_DISCONNECT = MethodDescriptor(70, obis_map.GAS_VALVE, 1)
REMOTE_RECONNECT = MethodDescriptor(70, obis_map.GAS_VALVE, 2)


@dataclass
class ServedGas:
    runtime: VirtualMeter
    gas: GasMeter
    service: TcpService

    async def session(self, client: int = MANAGEMENT) -> Session:
        transport = await TcpWrapperTransport.connect(
            "127.0.0.1", self.service.port, client_sap=client, server_sap=1, timeout_s=TIMEOUT_S
        )
        return Session(transport, password=PASSWORDS[client], timeout_s=TIMEOUT_S)

    def control_state(self) -> ControlState:
        """Read afresh at each call (a method, so checks are not narrowed away)."""
        return self.gas.valve.control_state

    def test_state(self) -> LeakTestState:
        return self.gas.leak_test.state

    def lcd(self) -> tuple[str, str, str]:
        state = self.runtime.hal.lcd.state
        return (state.code, state.value, state.unit)


async def serve(mode: str = "central", state: Path | None = None) -> ServedGas:
    text = (
        default_config_text("gas")
        .replace("l_per_h: 300", "l_per_h: 0")
        .replace("mode: central", f"mode: {mode}")
        .replace("button: arrow", "button: m3")  # the euro and arrow buttons stay the menu's
    )
    config = parse_config(text)
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START, state=state))
    assert runtime.gas is not None
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    return ServedGas(runtime, runtime.gas, service)


@pytest.fixture
async def central_gas() -> AsyncIterator[ServedGas]:
    served = await serve()
    yield served
    await served.service.close()


BALANCE_ATTR = AttributeDescriptor(3, obis_map.BALANCE, 2)
CREDIT_ATTR = AttributeDescriptor(3, obis_map.EMERGENCY_CREDIT, 2)
TIME_ATTR = AttributeDescriptor(1, obis_map.BALANCE_UPDATE_TIME, 2)


def stamp(moment: datetime) -> Data:
    return Data.octet_string(CosemDateTime.from_datetime(moment.astimezone(BRUSSELS)).to_bytes())


async def send_balance(served: ServedGas, cents: int, credit_cents: int = 1500) -> None:
    """The platform's daily update: balance, emergency credit, then the time it stamps."""
    async with await served.session() as session:
        await session.set(BALANCE_ATTR, Data.double_long(cents))
        await session.set(CREDIT_ATTR, Data.double_long(credit_cents))
        await session.set(TIME_ATTR, stamp(UPDATE_AT))


async def reconnect_result(served: ServedGas) -> ActionResult:
    async with await served.session() as session:
        try:
            await session.action(REMOTE_RECONNECT, Data.integer(0))
        except AccessRefused as refused:
            assert isinstance(refused.result, ActionResult)
            return refused.result
        return ActionResult.SUCCESS


async def test_each_management_set_is_one_update_shown_in_the_euro_menu(
    central_gas: ServedGas,
) -> None:  # rules G2, E7
    await send_balance(central_gas, -345)
    assert central_gas.gas.balance == BalanceUpdate(UPDATE_AT, Money.parse("-3.45"), Money.eur(15))
    async with await central_gas.session(READER) as session:
        assert await session.get(BALANCE_ATTR) == Data.double_long(-345)
        assert await session.get(CREDIT_ATTR) == Data.double_long(1500)
        assert await session.get(TIME_ATTR) == stamp(UPDATE_AT)
    buttons = central_gas.runtime.hal.buttons
    buttons.press("m3")  # wake the backlight
    buttons.press("euro")
    shown = [central_gas.lcd()]
    for _ in range(2):
        buttons.press("arrow")
        shown.append(central_gas.lcd())
    assert shown == [
        ("94.32.2.1", "14/01/26 06:00", ""),
        ("94.32.2.2", "-3.45", "EUR"),
        ("94.32.2.3", "15.00", "EUR"),
    ]


async def test_a_reader_may_not_write_the_balance(central_gas: ServedGas) -> None:  # rule E7
    async with await central_gas.session(READER) as session:
        with pytest.raises(AccessRefused) as refused:
            await session.set(BALANCE_ATTR, Data.double_long(100_000))
    assert refused.value.result is DataAccessResult.READ_WRITE_DENIED
    assert central_gas.gas.balance is None


async def test_outside_central_mode_nobody_writes_the_balance() -> None:  # rule M5
    served = await serve("none")
    try:
        async with await served.session() as session:
            with pytest.raises(AccessRefused) as refused:
                await session.set(BALANCE_ATTR, Data.double_long(100))
        assert refused.value.result is DataAccessResult.READ_WRITE_DENIED
    finally:
        await served.service.close()


async def test_reconnect_needs_a_last_balance_of_50_cents(central_gas: ServedGas) -> None:
    # rule G4: below 0.50 EUR (or before any update) the platform's remote_reconnect is
    # refused and nothing is armed; at 0.50 EUR it arms the leak test
    assert central_gas.gas.remote_disconnect().accepted
    assert await reconnect_result(central_gas) is ActionResult.TEMPORARY_FAILURE  # no update
    await send_balance(central_gas, 49)
    assert await reconnect_result(central_gas) is ActionResult.TEMPORARY_FAILURE
    assert central_gas.control_state() is ControlState.DISCONNECTED
    assert central_gas.test_state() is not LeakTestState.ARMED
    await send_balance(central_gas, 50)
    assert await reconnect_result(central_gas) is ActionResult.SUCCESS
    assert central_gas.control_state() is ControlState.READY_FOR_RECONNECTION
    assert central_gas.test_state() is LeakTestState.ARMED


async def test_the_last_balance_survives_a_restart(tmp_path: Path) -> None:  # rules G2, E7
    served = await serve(state=tmp_path)
    try:
        await send_balance(served, 1205)
    finally:
        await served.service.close()
    # no shutdown: the power is lost here
    config = parse_config(default_config_text("gas"))
    again = VirtualMeter(config, RunConfig(instant=True, start=START, state=tmp_path))
    assert again.gas is not None
    assert again.gas.balance == BalanceUpdate(UPDATE_AT, Money.eur(12, 5), Money.eur(15))
