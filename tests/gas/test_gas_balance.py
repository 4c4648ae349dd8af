"""The gas meter's central balance in firmware (rules G2, G4, E7): kept in ``gas.vms``, and the
platform's reconnect order taken only from 0.50 EUR."""

from __future__ import annotations

from pathlib import Path

import pytest
from gas_rig import WINTER_NOON, build_gas_rig

from firmware.central_balance import BalanceUpdate
from firmware.disconnect_control import ControlState
from firmware.errors import StateFileError
from firmware.gas.gas_meter import GasMeter
from firmware.nvm import NonVolatileMemory
from firmware.rules.money import Money
from hal.buttons import EmulatedButtons
from hal.clock import SimulatedClock
from hal.flow_models import ConstantFlow, ModelledFlowSensor
from hal.lcd import EmulatedLcd
from hal.valve import EmulatedValve


def gas_meter(nvm: NonVolatileMemory) -> GasMeter:
    clock = SimulatedClock(WINTER_NOON)
    valve = EmulatedValve(clock)
    sensor = ModelledFlowSensor(clock, valve, ConstantFlow(0))
    return GasMeter(clock, valve, sensor, EmulatedLcd(clock), EmulatedButtons(clock), nvm=nvm)


def test_the_last_balance_is_restored_at_power_up(tmp_path: Path) -> None:  # rules G2, E7
    update = BalanceUpdate(WINTER_NOON, Money.parse("-2.35"), Money.parse("12.65"))
    gas_meter(NonVolatileMemory(tmp_path, durable=False)).receive_balance(update)
    assert gas_meter(NonVolatileMemory(tmp_path, durable=False)).balance == update


def test_an_unusable_saved_balance_is_a_state_file_error(tmp_path: Path) -> None:
    nvm = NonVolatileMemory(tmp_path, durable=False)
    nvm.save_gas({"dm3": 0, "carried": 0, "balance": {"at": "yesterday"}})
    with pytest.raises(StateFileError, match="gas snapshot"):
        gas_meter(NonVolatileMemory(tmp_path, durable=False))


@pytest.mark.parametrize(("balance", "armed"), [("0.49", False), ("0.50", True), ("20", True)])
def test_the_platforms_reconnect_needs_50_cents(balance: str, armed: bool) -> None:  # rule G4
    rig = build_gas_rig()
    rig.cut()
    assert not rig.meter.enable_reconnection_on_last_balance().accepted  # no balance yet
    rig.meter.receive_balance(BalanceUpdate(WINTER_NOON, Money.parse(balance), Money(0)))
    assert rig.meter.enable_reconnection_on_last_balance().accepted is armed
    expected = ControlState.READY_FOR_RECONNECTION if armed else ControlState.DISCONNECTED
    assert rig.meter.valve.control_state is expected
