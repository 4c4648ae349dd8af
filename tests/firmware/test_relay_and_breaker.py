"""Disconnect control (rules M1, M2), the button reconnect (E8), breaker and grid (E9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from meter_rig import WINTER_NOON, Rig, build_rig

from firmware.disconnect_control import ALLOWED_MODES, ControlState, DisconnectControl
from firmware.errors import FirmwareError
from firmware.logs import EventCode
from hal.frontend import PowerReading, StepLoad


def ready_rig() -> Rig:
    rig = build_rig()
    assert rig.meter.relay.remote_disconnect().transition == "b"
    assert rig.meter.relay.remote_reconnect().transition == "d"  # mode 3 (rule M1)
    return rig


def test_holding_the_button_5_s_when_ready_closes_the_relay_with_a_click() -> None:  # rule E8
    rig = ready_rig()
    rig.run_to(WINTER_NOON + timedelta(minutes=1))
    rig.hal.buttons.press("green", timedelta(seconds=5))
    assert rig.meter.relay.control_state is ControlState.CONNECTED
    click = rig.hal.relay.recorder.of_kind("click")[-1]
    assert (click.detail, click.at) == ("closed", WINTER_NOON + timedelta(minutes=1))
    assert rig.meter.events.entries()[-1].code is EventCode.RELAY_CONNECTED


def test_holding_the_button_4_s_does_not_reconnect() -> None:  # rule E8
    rig = ready_rig()
    clicks = len(rig.hal.relay.recorder.of_kind("click"))
    rig.hal.buttons.press("green", timedelta(seconds=4))
    assert rig.meter.relay.control_state is ControlState.READY_FOR_RECONNECTION
    assert len(rig.hal.relay.recorder.of_kind("click")) == clicks


def test_the_button_never_reconnects_a_disconnected_meter() -> None:  # rules E8, M2
    rig = build_rig()
    rig.meter.relay.remote_disconnect()
    rig.hal.buttons.press("green", timedelta(seconds=10))
    assert rig.meter.relay.control_state is ControlState.DISCONNECTED


def test_no_energy_counted_while_disconnected() -> None:  # rules E1, M2
    rig = build_rig()
    rig.run_to(WINTER_NOON + timedelta(hours=1))
    rig.meter.relay.remote_disconnect()
    rig.run_to(WINTER_NOON + timedelta(hours=3))
    assert rig.meter.registers.import_peak == 1000
    assert rig.hal.lcd.state.symbols >= {"switch-open"}


def test_ready_for_reconnection_blinks_the_arrow() -> None:  # rule E5
    rig = ready_rig()
    assert "reconnect-arrow" in rig.hal.lcd.state.blinking


@pytest.mark.parametrize("mode", range(7))
def test_each_control_mode_allows_exactly_its_transitions(mode: int) -> None:  # rule M1
    def allowed(start: ControlState, trigger: str) -> bool:
        relay = DisconnectControl(mode, start)
        return bool(getattr(relay, trigger)().accepted)

    d, c, r = ControlState
    if mode == 0:  # always connected: nothing moves it
        triggers = ("remote_disconnect", "manual_disconnect", "local_disconnect")
        assert not any(allowed(c, trigger) for trigger in triggers)
        return
    assert allowed(c, "remote_disconnect") == (mode in ALLOWED_MODES["b"])
    assert allowed(r, "remote_disconnect") == (mode in ALLOWED_MODES["c"])
    assert allowed(d, "remote_reconnect") == (mode in ALLOWED_MODES["a"] | ALLOWED_MODES["d"])
    assert allowed(c, "manual_disconnect") == (mode in ALLOWED_MODES["f"])
    assert allowed(c, "local_disconnect") == (mode in ALLOWED_MODES["g"])
    assert allowed(r, "local_reconnect") == (mode in ALLOWED_MODES["h"])
    assert allowed(r, "manual_reconnect")
    target = DisconnectControl(mode, d).remote_reconnect().state
    assert target is (c if mode in (2, 4) else r)  # transition a or d


def test_a_refused_transition_says_why_and_changes_nothing() -> None:  # rule M1
    relay = DisconnectControl(3)
    result = relay.manual_disconnect()
    assert not result.accepted and "control mode 3" in result.reason
    assert relay.control_state is ControlState.CONNECTED
    with pytest.raises(FirmwareError):
        relay.set_control_mode(7)


def test_overload_trips_the_breaker_and_rearm_reconnects() -> None:  # rules E9, M2
    overload = PowerReading(import_w=(10_000, 0, 0))  # 43 A on L1 > 40 A
    load = StepLoad(
        [(WINTER_NOON, overload), (WINTER_NOON + timedelta(hours=1), PowerReading.from_net(900))]
    )
    rig = build_rig(load=load)
    rig.run_to(WINTER_NOON + timedelta(minutes=30))
    assert rig.meter.breaker_tripped
    assert rig.meter.relay.control_state is ControlState.READY_FOR_RECONNECTION
    assert rig.meter.registers.import_peak == 0
    assert rig.meter.rearm_breaker() is False  # still overloaded: trips again
    rig.run_to(WINTER_NOON + timedelta(hours=1))
    assert rig.meter.rearm_breaker() is True
    assert rig.meter.relay.output_state  # connected again (transition e)
    rig.run_to(WINTER_NOON + timedelta(hours=2))
    assert rig.meter.registers.import_peak == 900
    codes = [event.code for event in rig.meter.events]
    assert codes.count(EventCode.BREAKER_TRIP) == 2 and EventCode.BREAKER_REARM in codes


def test_grid_outage_counts_nothing_and_resumes_by_itself() -> None:  # rule E9
    rig = build_rig()
    rig.run_to(WINTER_NOON + timedelta(hours=1))
    rig.meter.grid_outage()
    rig.run_to(WINTER_NOON + timedelta(hours=2))
    rig.meter.grid_return()
    rig.run_to(WINTER_NOON + timedelta(hours=3))
    assert rig.meter.registers.import_peak == 2000
    assert rig.meter.relay.control_state is ControlState.CONNECTED
    codes = [event.code for event in rig.meter.events]
    assert EventCode.GRID_OUTAGE in codes and EventCode.GRID_RETURN in codes
