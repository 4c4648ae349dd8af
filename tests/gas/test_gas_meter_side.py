"""Meter-side gas prepayment (rules P1-P5, P8, P9, G3, G4, M2, M5): the firmware's own account
drives the valve; its notices and each leak-test result reach ``GasMeter.notices``."""

from __future__ import annotations

from datetime import datetime, timedelta

from gas_rig import GasRig, build_gas_rig, meter_side_settings, token

from firmware.disconnect_control import ControlState
from firmware.gas.display import LEAK_TEST_CODE, VALVE_CLOSED, VALVE_OPEN
from firmware.gas.leak_test import LeakTestState
from firmware.gas.notices import GasNotice, LeakTestResult
from firmware.prepayment.account import CreditState
from firmware.prepayment.account_events import (
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    TopUpReceived,
)
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from hal.flow_models import ConstantFlow
from hal.valve import ValvePosition

WEDNESDAY_9H = datetime(2026, 1, 14, 9, 0, tzinfo=BRUSSELS)
COOKING = ConstantFlow(2500)  # 2.5 m3/h at 1 EUR/m3: 2.50 EUR an hour
HEATING = ConstantFlow(10_000)  # 10 EUR an hour
NOTHING = ConstantFlow(0)


def prepaid_rig(demand: ConstantFlow, start: datetime = WEDNESDAY_9H) -> GasRig:
    return build_gas_rig(meter_side_settings(), demand=demand, start=start)


def kinds(notices: list[GasNotice]) -> list[type]:
    return [type(notice) for notice in notices]


def test_the_euro_menu_shows_the_firmwares_balance() -> None:
    # rules G2, M5, P1: 20 EUR starting credit, 2.50 EUR charged after an hour of cooking
    rig = prepaid_rig(COOKING)
    rig.wait(timedelta(hours=1))
    rig.press("euro")  # wakes the screen
    rig.press("euro")  # opens the menu
    rig.press("arrow")
    assert rig.lcd.state.code == "94.32.2.2"
    assert rig.lcd.state.value.replace(" ", "") == "17.50"


def test_emergency_credit_of_15_eur_starts_below_zero_and_the_gas_still_flows() -> None:
    # rule P3: 20 EUR last 8 hours of cooking; then the emergency credit takes over
    rig = prepaid_rig(COOKING)
    rig.wait(timedelta(hours=8, minutes=15))
    account = rig.meter.account_for_release()
    assert account.credit_state is CreditState.EMERGENCY_CREDIT
    [started] = [n for n in rig.meter.notices if isinstance(n, EmergencyCreditStarted)]
    assert started.emergency_credit == Money.eur(15)
    assert rig.position() is ValvePosition.OPEN


def test_used_up_credit_cuts_at_once_outside_the_non_disconnect_period() -> None:
    # rules P4, M2: 35 EUR (20 + 15 emergency) at 10 EUR/h: used up at 12:30, a Wednesday
    rig = prepaid_rig(HEATING)
    rig.run_until(datetime(2026, 1, 14, 12, 29, tzinfo=BRUSSELS))
    assert rig.position() is ValvePosition.OPEN
    rig.run_until(datetime(2026, 1, 14, 12, 31, tzinfo=BRUSSELS))
    assert rig.position() is ValvePosition.CLOSED
    assert rig.meter.valve.control_state is ControlState.DISCONNECTED
    assert VALVE_CLOSED in rig.symbols and not rig.blinking  # no credit: nothing armed (G4)
    assert Disconnected in kinds(list(rig.meter.notices))


def test_no_cut_inside_the_non_disconnect_period_then_the_cut_at_its_end() -> None:
    # rules P4, P5: used up at 23:00 (14 h of cooking), cut at 08:00 the next morning
    rig = prepaid_rig(COOKING)
    rig.run_until(datetime(2026, 1, 15, 7, 59, tzinfo=BRUSSELS))
    assert rig.meter.account_for_release().credit_state is CreditState.DISCONNECTION_IMMINENT
    assert rig.position() is ValvePosition.OPEN
    [imminent] = [n for n in rig.meter.notices if isinstance(n, DisconnectionImminent)]
    assert imminent.cut_at == datetime(2026, 1, 15, 8, 0, tzinfo=BRUSSELS)
    rig.run_until(datetime(2026, 1, 15, 8, 1, tzinfo=BRUSSELS))
    assert rig.position() is ValvePosition.CLOSED
    [cut] = [e.at for e in rig.valve.recorder.events if e.detail == "closed"]
    assert cut == datetime(2026, 1, 15, 8, 0, tzinfo=BRUSSELS)


def cut_off() -> GasRig:
    rig = prepaid_rig(HEATING)
    rig.run_until(datetime(2026, 1, 14, 13, 0, tzinfo=BRUSSELS))
    assert rig.position() is ValvePosition.CLOSED
    return rig


def test_a_top_up_to_fifty_cents_arms_the_leak_test_then_gas_flows() -> None:
    # rules P8, G4, G3, M2 (d then e)
    rig = cut_off()
    check = rig.meter.enter_token(token(1, "20.00"))
    assert check.accepted
    assert rig.meter.valve.control_state is ControlState.READY_FOR_RECONNECTION
    assert rig.blinking == {"arrow-arrow"} and VALVE_CLOSED in rig.symbols
    assert rig.position() is ValvePosition.CLOSED  # nothing flows before the test
    rig.set_demand(NOTHING)  # the customer turns the appliances off
    rig.press("arrow")
    assert rig.lcd.state.code == LEAK_TEST_CODE
    rig.wait(timedelta(minutes=6))
    assert rig.position() is ValvePosition.OPEN and VALVE_OPEN in rig.symbols
    assert rig.test_state() is LeakTestState.PASSED
    rig.set_demand(HEATING)
    before = rig.meter.volume_dm3
    rig.wait(timedelta(minutes=30))
    assert rig.meter.volume_dm3 - before == 5000  # gas flows again
    notices = list(rig.meter.notices)
    assert TopUpReceived in kinds(notices)
    assert notices[-1] == LeakTestResult(rig.meter.leak_test.events[-1].at, 1, passed=True)


def test_a_top_up_short_of_fifty_cents_arms_nothing() -> None:
    # rules P8, G4: -15 EUR + 15.40 EUR = 0.40 EUR
    rig = cut_off()
    assert rig.meter.enter_token(token(1, "15.40")).accepted
    assert rig.meter.valve.control_state is ControlState.DISCONNECTED
    rig.press("arrow")
    rig.wait(timedelta(minutes=20))
    assert rig.position() is ValvePosition.CLOSED and not rig.blinking


def test_leak_test_results_are_notices_with_attempt_and_lockout() -> None:
    # rules G3, M4, P9: two failures lock local retries out; listeners hear each result
    rig = cut_off()
    heard: list[GasNotice] = []
    rig.meter.subscribe_notices(heard.append)
    rig.meter.enter_token(token(1, "20.00"))
    rig.press("arrow")  # the heating still on: a leak for the test
    rig.wait(timedelta(minutes=6))
    rig.press("arrow")
    results = [n for n in heard if isinstance(n, LeakTestResult)]
    assert [(r.attempt, r.passed, r.locked_out) for r in results] == [
        (1, False, False),
        (2, False, True),
    ]
    assert "installer" in results[-1].text
    assert rig.meter.leak_test.state is LeakTestState.LOCKED_OUT
    assert list(rig.meter.notices)[-2:] == results
