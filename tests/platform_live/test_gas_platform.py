"""The live platform for gas (issues 6, 7: per meter and energy a ledger): a central-mode gas
meter enrolled, its daily volume billed per m3, its valve closed after the non-disconnect
period and re-enabled by a top-up, the customer's leak test before the gas flows again; an
electricity meter with a gas meter on channel 1 as two accounts, each topped up by its own
reference; the technician's valve verbs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from live_rig import (
    PASSWORD,
    SERIAL,
    START,
    TUESDAY_0010,
    WEDNESDAY_0010,
    WEDNESDAY_0801,
    LiveMeter,
    central_config,
    live_platform,
    outbox_listener,
    run_cli,
    serve_central,
    until_true,
    url,
)
from mqtt_rig import WAIT_S

from emulator.broker import EmbeddedBroker
from emulator.config import RunConfig, parse_config
from emulator.runtime import VirtualMeter
from firmware.gas.leak_test import LeakTestState
from firmware.rules.credit import ean_check_digit
from firmware.rules.money import Money
from hal.flow_models import ConstantFlow
from hal.valve import EmulatedValve, ValvePosition
from headend.meter_obis import GAS_CHANNEL_1_ACCOUNT
from headend.mqtt import BrokerAddress
from headend.operations import push_balance
from headend.platform.billing import Prices
from headend.platform.decisions import BalancePush, NoticeKind, Supply
from headend.platform.ledger import Energy
from headend.platform.live import Enrolment
from headend.platform_cli import mqtt_session_opener

pytestmark = pytest.mark.timeout(90)

GAS_SERIAL = "VG0000000007"
GAS_PRICE = 500_000  # 5.00 EUR/m3: 300 l/h is 7.2 m3, 36.00 EUR a day
ENROLMENT = Enrolment(prices=Prices(30_000, 30_000), gas_price=GAS_PRICE)
CHANNEL_1 = SERIAL + "-G1"
CONSENTED = replace(ENROLMENT, consent=frozenset({GAS_SERIAL}))  # R1 for the gas meter


def ean(number: int) -> str:
    first_17 = f"54144{number:012d}"
    return first_17 + ean_check_digit(first_17)


GAS_EAN = ean(7)


def moves(valve: EmulatedValve) -> list[str]:
    return [event.detail for event in valve.recorder.of_kind("move")]


@pytest.fixture
async def gas_meter(broker: BrokerAddress) -> AsyncIterator[LiveMeter]:
    """A standalone central-mode gas meter (``vmeter run --kind gas``) drawing 300 l/h."""
    config = parse_config(
        f'kind: gas\nidentity:\n  serial_number: "{GAS_SERIAL}"\n  ean: "{GAS_EAN}"\n'
        "flow:\n  l_per_h: 300\n"
    )
    served = await serve_central(broker, config)
    yield served
    await served.service.close()


@pytest.fixture
async def amqtt_broker() -> AsyncIterator[BrokerAddress]:
    embedded = EmbeddedBroker(0)
    await embedded.start()
    yield embedded.address
    await embedded.close()


@pytest.fixture
async def meter_with_gas(amqtt_broker: BrokerAddress) -> AsyncIterator[LiveMeter]:
    """An electricity meter (1 kW) with a gas meter on M-Bus channel 1 (``--with-gas``)."""
    config = central_config(1000)
    runtime = VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=True))
    served = await serve_central(amqtt_broker, config, runtime)
    yield served
    await served.service.close()


async def test_a_gas_meter_is_billed_per_m3_cut_and_reconnected_after_a_leak_test(
    gas_meter: LiveMeter, tmp_path: Path
) -> None:
    # rules P1, P4, P5, P6, P8, P9, R1 for gas, G1 (daily volume), G3 (leak test), G4 (0.50 EUR)
    db = tmp_path / "platform.sqlite"
    runtime, gas, valve = gas_meter.runtime, gas_meter.runtime.gas, gas_meter.runtime.hal.valve
    assert gas is not None and valve is not None and runtime.flow_sensor is not None
    async with (
        outbox_listener(gas_meter.address) as outbox,
        live_platform(gas_meter, db, CONSENTED) as (live, lines),
    ):
        await live.enrol(GAS_SERIAL)
        ledger = live.platform.ledger
        account = ledger.meter(GAS_SERIAL)
        assert (account.energy, account.ean) == (Energy.GAS, GAS_EAN)  # read from the meter
        assert ledger.balance(GAS_SERIAL) == 2_000_000  # P1

        await runtime.run(until=TUESDAY_0010)
        await live.step()  # Monday from the enrolment reading at 10:00, billed (M6)
        last = ledger.last_indexes(GAS_SERIAL)
        assert last is not None and last.peak_wh == 14 * 300  # dm3
        # 4.2 m3 at 5.00 EUR = 21.00 EUR and 1.00 EUR repaid (P1) from 20 EUR
        assert gas.balance is not None and gas.balance.balance == Money.eur(-2)  # E7 on gas

        await runtime.run(until=WEDNESDAY_0010)
        await live.step()  # Tuesday: 7.2 m3 at 5.00 EUR = 36.00 EUR, 1.00 EUR repaid (P1)
        assert ledger.balance(GAS_SERIAL) == 2_000_000 - 2_100_000 - 3_600_000 - 2 * 100_000
        assert gas.balance is not None and gas.balance.balance == Money.eur(-39)
        assert ledger.account_state(GAS_SERIAL).supply is Supply.DISCONNECT_PENDING
        quarters = ledger.profile(GAS_SERIAL)  # R1: 0-1:24.3.0, collected with consent
        assert len(quarters) >= 96 and {dm3 for _, dm3 in quarters} == {75}
        assert valve.position is ValvePosition.OPEN  # P5: not inside the NDP

        await runtime.run(until=WEDNESDAY_0801)
        await live.step()  # P4: the valve closes once the NDP is over
        assert moves(valve) == ["closed"]

        reference = GAS_EAN[-13:]
        code, printed = await asyncio.to_thread(
            run_cli, "headend", "topup", reference, "50.00", "--db", str(db),
            "--at", runtime.clock.now().isoformat(), "--mqtt", url(gas_meter.address),
        )  # fmt: skip
        assert code == 0, printed
        assert printed[-1] == "balance 11.00 EUR"  # P6 by the gas reference: -39 + 50
        assert gas.leak_test.state is LeakTestState.ARMED  # P8, G4: 11.00 EUR pushed first
        assert moves(valve) == ["closed"]  # G3: no gas before the leak test

        runtime.flow_sensor.set_model(ConstantFlow(0))  # the customer closes the appliances
        runtime.hal.buttons.press("arrow")  # G3: the leak-test button
        await runtime.run(until=runtime.clock.now() + timedelta(minutes=7))
        assert moves(valve) == ["closed", "test", "open"]  # no flow: the test passed
        before = gas.volume_dm3
        runtime.flow_sensor.set_model(ConstantFlow(300))
        await runtime.run(until=runtime.clock.now() + timedelta(hours=1))
        assert gas.volume_dm3 - before == 300  # the gas flows again

        await live.step()
        kinds = [message.kind for message in ledger.notices(GAS_SERIAL)]
        assert NoticeKind.DISCONNECTED.value in kinds  # P9
        assert kinds[-2:] == [
            NoticeKind.TOP_UP_RECEIVED.value,
            NoticeKind.RECONNECTION_ENABLED.value,
        ]
        await until_true(lambda: len(outbox) == len(kinds), "the outbox topic")
    assert any(f"{GAS_SERIAL}: volume index of 2026-03-03: 11400 dm3" in line for line in lines)


async def test_an_electricity_meter_with_gas_has_two_accounts_topped_up_apart(
    meter_with_gas: LiveMeter, tmp_path: Path
) -> None:
    # rule P6: per meter and energy a ledger; a reference credits its own energy only
    db = tmp_path / "platform.sqlite"
    runtime = meter_with_gas.runtime
    assert runtime.gas is not None
    gas_ean = meter_with_gas.config.gas_identity.ean  # served at 0-1:96.1.1 and read from there
    async with live_platform(meter_with_gas, db, ENROLMENT) as (live, _):
        await live.enrol(SERIAL)
        ledger = live.platform.ledger
        assert ledger.serials() == [SERIAL, CHANNEL_1]
        assert ledger.meter(SERIAL).energy is Energy.ELECTRICITY
        gas_account = ledger.meter(CHANNEL_1)
        assert (gas_account.energy, gas_account.ean) == (Energy.GAS, gas_ean)
        assert gas_account.reference != ledger.meter(SERIAL).reference

        await runtime.run(until=TUESDAY_0010)
        await live.step()  # Monday from the enrolment readings at 10:00 (M6): 14 kWh, 4.2 m3
        await runtime.run(until=WEDNESDAY_0010)
        await live.step()  # Tuesday: 24 kWh at 0.30 EUR; 7.2 m3 at 5.00 EUR; 1 EUR repaid each
        assert ledger.balance(SERIAL) == 2_000_000 - 420_000 - 720_000 - 2 * 100_000
        assert ledger.balance(CHANNEL_1) == 2_000_000 - 2_100_000 - 3_600_000 - 2 * 100_000
        assert runtime.meter.prepayment_balance is not None
        assert runtime.meter.prepayment_balance.balance == Money(660_000)
        assert runtime.gas.balance is not None
        assert runtime.gas.balance.balance == Money.eur(-39)  # pushed to 0-1:94.32.2

        await runtime.run(until=WEDNESDAY_0801)
        await live.step()  # P4 per energy: the gas valve closes, the relay stays closed
        assert runtime.gas_hal is not None and runtime.gas_hal.valve is not None
        assert runtime.gas_hal.valve.position is ValvePosition.CLOSED
        assert runtime.hal.relay.closed

        at = runtime.clock.now().isoformat()
        for account, amount in ((CHANNEL_1, "40.00"), (SERIAL, "10.00")):
            reference = ledger.meter(account).reference
            code, printed = await asyncio.to_thread(
                run_cli, "headend", "topup", reference, amount, "--db", str(db), "--at", at,
                "--mqtt", url(meter_with_gas.address),
            )  # fmt: skip
            assert code == 0, printed
            assert f"booked for {account}" in printed[0]
        assert ledger.balance(CHANNEL_1) == -3_900_000 + 4_000_000
        assert ledger.balance(SERIAL) == 660_000 + 1_000_000
        # P8 on channel 1 only: the gas balance pushed to 0-1:94.32.2, the leak test armed
        assert runtime.gas.balance.balance == Money.eur(1)
        assert runtime.gas.leak_test.state is LeakTestState.ARMED
        assert runtime.meter.prepayment_balance.balance == Money(660_000)  # daily push only


async def test_the_technician_closes_and_re_enables_the_channel_1_valve(
    meter_with_gas: LiveMeter,
) -> None:
    # G3, G4: `headend disconnect|reconnect --gas` operate the valve, never the relay
    runtime, gas = meter_with_gas.runtime, meter_with_gas.runtime.gas
    assert gas is not None and runtime.gas_hal is not None and runtime.gas_hal.valve is not None
    valve = runtime.gas_hal.valve
    target = ("headend", "--mqtt", url(meter_with_gas.address), "--meter", SERIAL)
    management = (*target, "--password", PASSWORD.decode())
    code, _ = await asyncio.to_thread(run_cli, *management, "disconnect", "--gas")
    assert code == 0
    assert valve.position is ValvePosition.CLOSED and runtime.hal.relay.closed
    code, _ = await asyncio.to_thread(run_cli, *management, "reconnect", "--gas")
    assert code == 1  # G4: no gas balance of 0.50 EUR yet, the meter refuses
    open_session = mqtt_session_opener(meter_with_gas.address, "technician", PASSWORD, WAIT_S)
    async with await open_session(SERIAL) as session:
        push = BalancePush(runtime.clock.now(), 500_000, 1_500_000)
        await push_balance(session, push, GAS_CHANNEL_1_ACCOUNT)
    code, _ = await asyncio.to_thread(run_cli, *management, "reconnect", "--gas")
    assert code == 0
    assert gas.leak_test.state is LeakTestState.ARMED and valve.position is ValvePosition.CLOSED
    assert runtime.hal.relay.closed
