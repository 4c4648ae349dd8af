"""The operator's orders to the gas meter's own account (rules P1, P2, M5, M6), the firmware
side of the COSEM payment methods: each is saved at once, so a power cut right after keeps it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gas_rig import build_gas_rig, meter_side_settings

from firmware.errors import FirmwareError
from firmware.nvm import NonVolatileMemory
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff
from hal.flow_models import ConstantFlow

START = datetime(2026, 1, 14, 12, 0, tzinfo=BRUSSELS)
ONE_M3_AN_HOUR = ConstantFlow(1000)


def test_a_new_price_and_threshold_survive_a_power_cut(tmp_path: Path) -> None:
    # rules M6 (the volume before the change at the old price), P2; no shutdown: a crash
    settings = meter_side_settings("1.0000")
    rig = build_gas_rig(settings, ONE_M3_AN_HOUR, START, nvm=NonVolatileMemory(tmp_path))
    rig.wait(timedelta(hours=1))
    rig.meter.activate_prices(dict.fromkeys(Tariff, Money.parse("2.0000")))
    rig.meter.set_low_credit_threshold(Money.eur(7))
    crashed = build_gas_rig(
        settings, ONE_M3_AN_HOUR, rig.clock.now(), nvm=NonVolatileMemory(tmp_path)
    )
    crashed.wait(timedelta(hours=1))
    account = crashed.meter.account_for_release()
    assert account.prices[Tariff.PEAK] == Money.parse("2.0000")
    assert account.low_credit_threshold == Money.eur(7)
    assert account.balance == Money.eur(20) - Money.eur(1) - Money.eur(2)


def test_a_closed_account_charges_nothing_until_its_reset() -> None:
    # rules P1, M6: reset settles the closed account and lends a new starting credit
    rig = build_gas_rig(meter_side_settings(), ONE_M3_AN_HOUR, START)
    rig.meter.close_account()
    rig.wait(timedelta(hours=3))
    assert rig.meter.account_for_release().balance == Money.eur(20)
    with pytest.raises(FirmwareError):
        rig.meter.adjust_credit(Money.eur(5))  # a closed account takes no adjustment
    rig.meter.reset_account()
    assert rig.meter.account_for_release().starting_credit_owed == Money.eur(20)
    rig.meter.adjust_credit(Money.eur(5))
    assert rig.meter.account_for_release().balance == Money.eur(25)
