"""The leak-tightness test after a cut (rules G3, G4, M1, M2, M4), leaks injected by the
emulated flow sensor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gas_rig import LEAK, NO_LEAK, GasRig, build_gas_rig

from firmware.disconnect_control import ControlState
from firmware.errors import FirmwareError
from firmware.gas.display import LEAK_TEST_CODE, LEAK_WARNING, VALVE_CLOSED, VALVE_OPEN
from firmware.gas.gas_meter import GasSettings
from firmware.gas.leak_test import LeakTestSettings, LeakTestState
from firmware.rules.money import Money
from hal.flow_models import ConstantFlow, FlowSchedule
from hal.valve import ValvePosition

SIX_MINUTES = timedelta(minutes=6)


def cut_and_enable(demand: ConstantFlow = NO_LEAK, settings: GasSettings | None = None) -> GasRig:
    rig = build_gas_rig(settings)
    rig.cut()
    rig.wait(timedelta(hours=1))
    rig.set_demand(demand)
    assert rig.meter.enable_reconnection_if_credit(Money.eur(0, 50)).accepted
    return rig


def test_a_cut_closes_the_valve_and_shows_the_closed_valve_symbol() -> None:
    # rules M1, M2: the prepayment cut is remote_disconnect (transition b)
    rig = build_gas_rig()
    assert VALVE_OPEN in rig.symbols
    result = rig.meter.remote_disconnect()
    assert result.transition == "b"
    assert rig.position() is ValvePosition.CLOSED
    assert VALVE_CLOSED in rig.symbols
    assert not rig.blinking


def test_below_fifty_cents_nothing_is_armed() -> None:
    # rule G4
    rig = build_gas_rig()
    rig.cut()
    result = rig.meter.enable_reconnection_if_credit(Money.parse("0.49"))
    assert not result.accepted and "G4" in result.reason
    assert rig.test_state() is LeakTestState.IDLE
    rig.press("arrow")
    rig.wait(timedelta(minutes=20))
    assert rig.position() is ValvePosition.CLOSED
    assert not rig.blinking


def test_no_leak_passes_and_gas_flows() -> None:
    # rules G3, M2 (transition d then e)
    rig = cut_and_enable()
    assert rig.meter.valve.control_state is ControlState.READY_FOR_RECONNECTION
    assert rig.blinking == {"arrow-arrow"} and VALVE_CLOSED in rig.symbols
    rig.press("arrow")
    assert rig.position() is ValvePosition.TEST
    assert rig.lcd.state.code == LEAK_TEST_CODE
    rig.wait(timedelta(minutes=5, seconds=59))
    assert rig.position() is ValvePosition.TEST  # the default test lasts 360 s
    rig.wait(timedelta(seconds=1))
    assert rig.position() is ValvePosition.OPEN
    assert VALVE_OPEN in rig.symbols and rig.lcd.state.code != LEAK_TEST_CODE
    assert [e.outcome for e in rig.meter.leak_test.events] == ["started", "passed"]
    before = rig.meter.volume_dm3
    rig.set_demand(ConstantFlow(1000))
    rig.wait(timedelta(hours=1))
    assert rig.meter.volume_dm3 == before + 1000  # gas flows: 1000 l/h for an hour


def test_leak_fails_twice_then_locks_out_until_remote_reenable() -> None:
    # rules G3, M4
    rig = cut_and_enable(LEAK)
    rig.press("arrow")
    start = rig.clock.now()
    assert rig.position() is ValvePosition.CLOSED  # the leak shows at once
    assert LEAK_WARNING in rig.symbols and not rig.blinking
    rig.press("arrow")  # no arrow, no test
    assert rig.test_state() is LeakTestState.FAILED
    rig.run_until(start + SIX_MINUTES - timedelta(seconds=1))
    assert not rig.blinking
    rig.run_until(start + SIX_MINUTES)
    assert rig.blinking == {"arrow-arrow"}  # the one retry
    rig.press("arrow")
    assert rig.test_state() is LeakTestState.LOCKED_OUT
    assert rig.position() is ValvePosition.CLOSED
    rig.wait(timedelta(hours=2))
    rig.press("arrow")
    assert not rig.blinking and LEAK_WARNING in rig.symbols
    assert rig.meter.valve.control_state is ControlState.READY_FOR_RECONNECTION  # M4
    outcomes = [(e.attempt, e.outcome) for e in rig.meter.leak_test.events]
    assert outcomes == [
        (1, "started"),
        (1, "failed"),
        (2, "started"),
        (2, "failed"),
        (2, "locked_out"),
    ]
    assert rig.meter.leak_test.events[1].flow_l_per_h == 120
    # the installer fixes the leak; the head-end re-enables local retries
    rig.set_demand(NO_LEAK)
    assert rig.meter.remote_reenable()
    assert rig.blinking == {"arrow-arrow"}
    rig.press("arrow")
    rig.wait(timedelta(minutes=6))
    assert rig.position() is ValvePosition.OPEN
    assert not rig.meter.remote_reenable()  # nothing to re-enable any more


def test_a_leak_that_stops_between_attempts_passes_the_second_time() -> None:
    # rule G3
    rig = cut_and_enable(LEAK)
    rig.press("arrow")
    assert rig.test_state() is LeakTestState.FAILED
    rig.wait(timedelta(minutes=2))
    rig.set_demand(NO_LEAK)  # the customer turned the cooker off
    rig.wait(timedelta(minutes=4))
    rig.press("arrow")
    rig.wait(timedelta(minutes=6))
    assert rig.position() is ValvePosition.OPEN and VALVE_OPEN in rig.symbols
    assert LEAK_WARNING not in rig.symbols
    assert [e.outcome for e in rig.meter.leak_test.events][-1] == "passed"


def test_a_leak_starting_during_the_test_fails_it_at_that_instant() -> None:
    # rule G3: the flow is watched for the whole test
    rig = cut_and_enable()
    rig.press("arrow")
    rig.wait(timedelta(minutes=3))
    rig.set_demand(ConstantFlow(31))  # just above the threshold
    assert rig.position() is ValvePosition.CLOSED
    failed = rig.meter.leak_test.events[-1]
    assert failed.outcome == "failed" and failed.flow_l_per_h == 31


def test_flow_at_the_threshold_is_not_a_leak() -> None:
    # rule G3: only flow above the threshold is a leak
    rig = cut_and_enable(ConstantFlow(30))
    rig.press("arrow")
    rig.wait(timedelta(minutes=6))
    assert rig.position() is ValvePosition.OPEN


def test_the_arrow_button_is_configurable_and_only_works_when_armed() -> None:
    # rules G1, G3
    settings = GasSettings(
        leak_test=LeakTestSettings(button="m3", duration=timedelta(minutes=10), threshold_l_per_h=5)
    )
    rig = build_gas_rig(settings)
    rig.press("m3")  # not armed: the valve is open, nothing to test
    assert rig.test_state() is LeakTestState.IDLE
    rig.cut()
    rig.press("m3")  # cut but not enabled
    assert rig.position() is ValvePosition.CLOSED
    assert rig.meter.remote_reconnect().transition == "d"
    assert rig.blinking == {"arrow-m3"}
    rig.press("arrow")
    rig.press("euro")
    assert rig.test_state() is LeakTestState.ARMED
    rig.press("m3")
    rig.wait(timedelta(minutes=9, seconds=59))
    assert rig.position() is ValvePosition.TEST
    rig.wait(timedelta(seconds=1))
    assert rig.position() is ValvePosition.OPEN


def test_a_cut_during_the_test_closes_the_valve_and_disarms() -> None:
    # rules M2 (transition c), G3
    rig = cut_and_enable()
    rig.press("arrow")
    assert rig.meter.remote_disconnect().transition == "c"
    assert rig.position() is ValvePosition.CLOSED
    assert rig.test_state() is LeakTestState.IDLE
    assert rig.meter.leak_test.events[-1].outcome == "aborted"
    rig.wait(timedelta(minutes=10))
    assert rig.position() is ValvePosition.CLOSED


def test_direct_reconnection_modes_cannot_skip_the_test() -> None:
    # rules M1, G3: mode 2 would reconnect directly (transition a), mode 0 always connects
    rig = build_gas_rig(GasSettings(control_mode=2))
    rig.cut()
    result = rig.meter.remote_reconnect()
    assert not result.accepted and "G3" in result.reason
    assert rig.position() is ValvePosition.CLOSED
    with pytest.raises(FirmwareError):
        rig.meter.valve.set_control_mode(0)
    assert rig.position() is ValvePosition.CLOSED


@pytest.mark.parametrize("bad", [timedelta(minutes=11), timedelta(0)])
def test_the_test_lasts_at_most_ten_minutes(bad: timedelta) -> None:
    # rule G3
    with pytest.raises(FirmwareError):
        LeakTestSettings(duration=bad)


def test_unknown_leak_test_button_is_refused() -> None:
    with pytest.raises(FirmwareError):
        LeakTestSettings(button="green")


def test_a_new_cut_and_reenable_do_not_clear_a_lockout() -> None:
    # rule M4: only the head-end's re-enable clears it
    rig = cut_and_enable(LEAK)
    rig.press("arrow")
    rig.wait(SIX_MINUTES)
    rig.press("arrow")
    assert rig.test_state() is LeakTestState.LOCKED_OUT
    rig.set_demand(NO_LEAK)
    assert rig.meter.remote_disconnect().transition == "c"
    assert rig.meter.remote_reconnect().transition == "d"
    rig.press("arrow")
    assert rig.test_state() is LeakTestState.LOCKED_OUT
    assert rig.position() is ValvePosition.CLOSED and not rig.blinking


def test_a_late_tick_still_fails_the_test_at_the_leak_instant() -> None:
    # rule G3: the flow is watched piece by piece, whenever the meter looks
    rig = cut_and_enable()
    rig.press("arrow")
    started = rig.clock.now()
    volume = rig.meter.volume_dm3
    leak_from = started + timedelta(minutes=2)
    rig.set_demand(FlowSchedule([(leak_from, 3600)]))
    rig.clock.advance_to(started + timedelta(minutes=30))
    rig.meter.tick()  # the first look since the leak started
    failed = rig.meter.leak_test.events[-1]
    assert (failed.outcome, failed.at) == ("failed", leak_from)
    assert rig.meter.volume_dm3 == volume  # the valve closed the instant the leak began
    assert rig.blinking == {"arrow-arrow"}  # and the retry came back 6 minutes later
