"""headend.operations and headend.platform.orders against a real virtual meter's COSEM server,
in-process (loopback.py): what each operation reads is what the firmware holds, what each one
does is what the meter then shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from live_rig import METER_MODE, TOKEN_KEY
from loopback import management_session, public_session

from cosem.client import AccessRefused
from cosem.server import LogicalDevice
from emulator.config import MeterConfig, RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from firmware.central_balance import BalanceUpdate
from firmware.gas.leak_test import LeakTestState
from firmware.rules.money import Money
from firmware.rules.token import make_token
from headend import meter_obis
from headend.operations import (
    ControlState,
    NoSnapshot,
    PaymentMode,
    RelayState,
    TokenRefused,
    push_balance,
    read_clock,
    read_daily_indexes,
    read_daily_volume,
    read_identity,
    read_payment_mode,
    read_profile,
    read_registers,
    read_relay,
    read_supplies,
    read_volume_profile,
    reconnect_enable,
    remote_disconnect,
    send_token,
    set_power_limit,
)
from headend.platform.billing import DailyIndexes
from headend.platform.decisions import AccountState, BalancePush, Decision, Order, OrderKind
from headend.platform.ledger import Energy
from headend.platform.orders import carry_out

pytestmark = pytest.mark.timeout(30)

# Monday 2 March 2026, 10:00 in Brussels; the default 500 W load: 125 Wh a quarter-hour.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def central_meter() -> tuple[VirtualMeter, MeterConfig]:
    config = MeterConfig()
    return VirtualMeter(config, RunConfig(instant=True, start=START)), config


async def test_clock_identity_and_registers_as_the_meter_holds_them() -> None:  # rule E4
    runtime, config = central_meter()
    await runtime.run(until=START + timedelta(hours=2))
    async with public_session(build_logical_device(runtime, config)) as session:
        assert await read_clock(session) == runtime.clock.now()
        identity = await read_identity(session)
        registers = await read_registers(session)
    assert identity.serial == config.meter.identity.serial_number
    assert identity.ean == config.meter.identity.ean
    assert [r.obis for r in registers] == list(meter_obis.ENERGY_REGISTERS)
    assert [r.value for r in registers] == [Decimal(v) for v in runtime.meter.registers]
    assert {r.unit for r in registers} == {"Wh"}
    assert registers[0].value == 1000  # two peak hours at 500 W


async def test_daily_indexes_are_the_snapshot_of_local_midnight() -> None:  # rules E3, R1
    runtime, config = central_meter()
    await runtime.run(until=datetime(2026, 3, 3, 23, 30, tzinfo=UTC))  # Wed 00:30 local
    snapshots = {s.timestamp: s.values for s in runtime.meter.snapshots.entries()}
    async with public_session(build_logical_device(runtime, config)) as session:
        yesterday = await read_daily_indexes(session)
        monday = await read_daily_indexes(session, date(2026, 3, 2))
    tuesday_closed = snapshots[datetime(2026, 3, 3, 23, 0, tzinfo=UTC)]
    assert (yesterday.day, yesterday.peak_wh, yesterday.offpeak_wh) == (
        date(2026, 3, 3),
        tuesday_closed[0],
        tuesday_closed[1],
    )
    assert monday.day == date(2026, 3, 2)
    assert monday.peak_wh + monday.offpeak_wh == 7_000  # 10:00 to midnight at 500 W
    assert yesterday.peak_wh + yesterday.offpeak_wh - monday.peak_wh - monday.offpeak_wh == 12_000


async def test_no_snapshot_before_the_first_midnight() -> None:  # rule E3
    runtime, config = central_meter()
    async with public_session(build_logical_device(runtime, config)) as session:
        with pytest.raises(NoSnapshot, match="2026-03-01"):
            await read_daily_indexes(session)


async def test_profile_gives_each_quarter_hour_energy() -> None:  # rules E3, R1
    runtime, config = central_meter()
    await runtime.run(until=START + timedelta(hours=3))
    since, until = START + timedelta(minutes=30), START + timedelta(hours=2)
    async with public_session(build_logical_device(runtime, config)) as session:
        quarters = await read_profile(session, since, until)
    assert [at for at, _ in quarters] == [since + timedelta(minutes=15 * n) for n in range(1, 7)]
    assert [wh for _, wh in quarters] == [125] * 6


async def test_balance_push_is_what_the_meter_then_shows() -> None:  # rules E7, P7
    runtime, config = central_meter()
    at = START - timedelta(hours=9)  # the platform's midnight computation
    push = BalancePush(at, -345_000, 1_155_000)
    async with management_session(build_logical_device(runtime, config)) as session:
        await push_balance(session, push)
    assert runtime.meter.prepayment_balance == BalanceUpdate(at, Money(-345_000), Money(1_155_000))


async def test_balance_push_rounds_down_to_the_cent() -> None:  # rules E7, M6
    runtime, config = central_meter()
    async with management_session(build_logical_device(runtime, config)) as session:
        await push_balance(session, BalancePush(START, -1, 1_999))
    update = runtime.meter.prepayment_balance
    assert update is not None
    assert (update.balance, update.emergency_credit) == (Money(-1_000), Money(1_000))


async def test_the_public_client_cannot_push_a_balance() -> None:  # rule M5
    runtime, config = central_meter()
    async with public_session(build_logical_device(runtime, config)) as session:
        with pytest.raises(AccessRefused):
            await push_balance(session, BalancePush(START, 0, 0))


async def test_payment_mode_from_the_object_list() -> None:  # rule M5
    runtime, config = central_meter()
    async with management_session(build_logical_device(runtime, config)) as session:
        assert await read_payment_mode(session) is PaymentMode.CENTRAL
    meter_config = parse_config(METER_MODE)
    meter_mode = VirtualMeter(meter_config, RunConfig(instant=True, start=START))
    async with management_session(build_logical_device(meter_mode, meter_config)) as session:
        assert await read_payment_mode(session) is PaymentMode.METER
    none_config = parse_config("prepayment:\n  mode: none\n")
    plain = VirtualMeter(none_config, RunConfig(instant=True, start=START))
    async with management_session(build_logical_device(plain, none_config)) as session:
        assert await read_payment_mode(session) is PaymentMode.NONE


async def test_energies_and_modes_from_the_object_list() -> None:  # rules M5, P6
    def device(text: str, with_gas: bool = False) -> LogicalDevice:
        config = parse_config(text)
        run = RunConfig(instant=True, start=START, with_gas=with_gas)
        return build_logical_device(VirtualMeter(config, run), config)

    gas_meter_mode = (
        f'kind: gas\nsecurity:\n  token_key: "{TOKEN_KEY}"\nprepayment:\n  mode: meter\n'
    )
    expected = {
        ("kind: electricity\n", False): [(Energy.ELECTRICITY, 0, PaymentMode.CENTRAL)],
        ("kind: electricity\n", True): [
            (Energy.ELECTRICITY, 0, PaymentMode.CENTRAL),
            (Energy.GAS, 1, PaymentMode.CENTRAL),
        ],
        ("kind: gas\n", False): [(Energy.GAS, 0, PaymentMode.CENTRAL)],
        (gas_meter_mode, False): [(Energy.GAS, 0, PaymentMode.METER)],
    }
    for (text, with_gas), supplies in expected.items():
        async with management_session(device(text, with_gas)) as session:
            found = await read_supplies(session)
        assert [(s.energy, s.channel, s.mode) for s in found] == supplies, text


async def test_the_daily_volume_and_the_valve_of_a_gas_meter() -> None:  # rules G1, G3, G4
    config = parse_config("kind: gas\nflow:\n  l_per_h: 400\n")
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    assert runtime.gas is not None
    await runtime.run(until=START + timedelta(days=1))
    async with management_session(build_logical_device(runtime, config)) as session:
        assert await read_daily_volume(session) == DailyIndexes(date(2026, 3, 2), 14 * 400, 0)
        with pytest.raises(NoSnapshot):
            await read_daily_volume(session, date(2026, 3, 1))
        hour = START + timedelta(hours=1)
        quarters = await read_volume_profile(session, hour, hour + timedelta(hours=1))
        assert [dm3 for _, dm3 in quarters] == [100] * 4
        await remote_disconnect(session, meter_obis.GAS_VALVE)
        assert await read_relay(session, meter_obis.GAS_VALVE) == RelayState(
            False, ControlState.DISCONNECTED
        )
        with pytest.raises(AccessRefused):  # G4: no balance of 0.50 EUR yet
            await reconnect_enable(session, meter_obis.GAS_VALVE)
        decision = Decision(
            AccountState(balance=100_000), orders=(Order(OrderKind.RECONNECT_ENABLE),)
        )
        push = BalancePush(runtime.clock.now(), 100_000, 1_500_000)
        await carry_out(decision, push, session, meter_obis.GAS_ACCOUNT)
    assert runtime.gas.balance is not None and runtime.gas.balance.balance == Money.eur(1)
    assert runtime.gas.leak_test.state is LeakTestState.ARMED


async def test_disconnect_then_reconnect_enable_then_the_button() -> None:  # rules P4, P8, E8
    runtime, config = central_meter()
    device = build_logical_device(runtime, config)
    async with management_session(device) as session:
        await remote_disconnect(session)
        assert await read_relay(session) == RelayState(False, ControlState.DISCONNECTED)
        await reconnect_enable(session)
        assert (await read_relay(session)).control is ControlState.READY_FOR_RECONNECTION
    runtime.hal.buttons.press("green", timedelta(seconds=5))
    await runtime.run(until=START + timedelta(seconds=10))
    assert runtime.hal.relay.closed


async def test_carry_out_pushes_then_orders() -> None:  # rules P4, E7
    runtime, config = central_meter()
    decision = Decision(AccountState(balance=-1_500_000), orders=(Order(OrderKind.DISCONNECT),))
    push = BalancePush(START, -1_500_000, 0)
    async with management_session(build_logical_device(runtime, config)) as session:
        done = await carry_out(decision, push, session)
    assert done == ["balance pushed: -15,00 EUR, emergency credit 0,00 EUR", "disconnect"]
    assert not runtime.hal.relay.closed
    assert runtime.meter.prepayment_balance == BalanceUpdate(START, Money(-1_500_000), Money(0))


async def test_power_limit_and_tokens_in_meter_mode() -> None:  # rules E4, P4, P6
    config = parse_config(METER_MODE)
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START))
    serial = config.meter.identity.serial_number
    token = make_token(bytes.fromhex(TOKEN_KEY), serial, 7, Money.parse("20.00"))
    async with management_session(build_logical_device(runtime, config)) as session:
        await set_power_limit(session, 3000)
        said = await send_token(session, token)
        with pytest.raises(TokenRefused, match="replayed"):
            await send_token(session, token)
    assert runtime.meter.power_limit_w == 3000
    assert said[0] == "top-up 20.00 EUR"
