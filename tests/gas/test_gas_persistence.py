"""The gas NVM (rules G1, G3, M4, E3): valve, leak test, daily snapshots and the meter-side
account survive a restart; a restart mid-lockout stays locked out."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from gas_rig import LEAK, NO_LEAK, GasRig, build_gas_rig, meter_side_settings, token

from firmware.disconnect_control import ControlState
from firmware.gas.display import LEAK_WARNING
from firmware.gas.gas_meter import GasSettings
from firmware.gas.leak_test import LeakTestState
from firmware.nvm import NonVolatileMemory
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from hal.flow_models import ConstantFlow, FlowModel
from hal.valve import ValvePosition

START = datetime(2026, 1, 14, 9, 0, tzinfo=BRUSSELS)


def restart(
    rig: GasRig, state: Path, settings: GasSettings | None = None, demand: FlowModel = NO_LEAK
) -> GasRig:
    """Power down, then a new meter on new devices from the same NVM (the valve found open)."""
    rig.meter.shutdown()
    return build_gas_rig(settings, demand, rig.clock.now(), nvm=NonVolatileMemory(state, False))


def locked_out(state: Path) -> GasRig:
    rig = build_gas_rig(start=START, nvm=NonVolatileMemory(state, False))
    rig.cut()
    rig.set_demand(LEAK)
    assert rig.meter.enable_reconnection_if_credit(Money.eur(1)).accepted
    rig.press("arrow")
    rig.wait(timedelta(minutes=6))
    rig.press("arrow")
    assert rig.test_state() is LeakTestState.LOCKED_OUT
    return rig


def test_a_restart_mid_lockout_stays_locked_out(tmp_path: Path) -> None:
    # rule M4: only a remote re-enable clears the lockout, a power cycle does not
    rig = restart(locked_out(tmp_path), tmp_path, demand=LEAK)
    assert rig.test_state() is LeakTestState.LOCKED_OUT
    assert rig.position() is ValvePosition.CLOSED  # though the new valve was found open
    assert LEAK_WARNING in rig.symbols and not rig.blinking
    rig.press("arrow")
    rig.wait(timedelta(minutes=20))
    assert rig.position() is ValvePosition.CLOSED
    assert rig.meter.head_end_reconnect()  # the remote re-enable (M4)
    assert rig.test_state() is LeakTestState.ARMED and rig.meter.leak_test.attempt == 1


def test_a_restart_during_a_test_closes_the_valve_and_rearms_the_same_attempt(
    tmp_path: Path,
) -> None:
    # rule G3: the valve never opens without a passed test, even across a power cut
    rig = build_gas_rig(start=START, nvm=NonVolatileMemory(tmp_path, False))
    rig.cut()
    assert rig.meter.enable_reconnection_if_credit(Money.eur(1)).accepted
    rig.press("arrow")
    assert rig.position() is ValvePosition.TEST
    rig = restart(rig, tmp_path)
    assert rig.position() is ValvePosition.CLOSED
    assert rig.meter.valve.control_state is ControlState.READY_FOR_RECONNECTION
    assert rig.test_state() is LeakTestState.ARMED and rig.meter.leak_test.attempt == 1


def test_a_failed_attempt_survives_a_restart_with_its_retry_delay(tmp_path: Path) -> None:
    # rule G3: the arrow returns 6 minutes after the failure, restart or not
    rig = build_gas_rig(start=START, nvm=NonVolatileMemory(tmp_path, False))
    rig.cut()
    rig.set_demand(LEAK)
    rig.meter.enable_reconnection_if_credit(Money.eur(1))
    rig.press("arrow")
    failed_at = rig.clock.now()
    rig.wait(timedelta(minutes=2))
    rig = restart(rig, tmp_path)
    assert rig.test_state() is LeakTestState.FAILED
    rig.run_until(failed_at + timedelta(minutes=6))
    assert rig.test_state() is LeakTestState.ARMED and rig.meter.leak_test.attempt == 2


def test_daily_snapshots_are_kept(tmp_path: Path) -> None:
    # rule E3 as for electricity: the midnight volume, kept over a restart
    rig = build_gas_rig(demand=ConstantFlow(1000), start=START, nvm=NonVolatileMemory(tmp_path))
    rig.run_until(datetime(2026, 1, 16, 12, 0, tzinfo=BRUSSELS))
    rig = restart(rig, tmp_path)
    snapshots = rig.meter.snapshots_for_release()
    assert [(s.at.astimezone(BRUSSELS).day, s.dm3) for s in snapshots] == [
        (15, 15_000),
        (16, 39_000),
    ]


def test_the_meter_side_account_survives_a_restart(tmp_path: Path) -> None:
    # rules M5, M6: the balance and the used tokens are the same after a restart
    settings = meter_side_settings()
    rig = build_gas_rig(settings, ConstantFlow(2000), START, nvm=NonVolatileMemory(tmp_path))
    rig.wait(timedelta(hours=2))
    assert rig.meter.enter_token(token(1, "10.00")).accepted
    balance = rig.meter.account_for_release().balance
    assert balance == Money.eur(26)  # 20 + 10 - 2 m3/h x 2 h at 1 EUR
    rig = restart(rig, tmp_path, settings)
    assert rig.meter.account_for_release().balance == balance
    assert not rig.meter.enter_token(token(1, "10.00")).accepted  # used already
