"""The gas meter's three-button strip and screens (rules G1, G2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gas_rig import WINTER_NOON, build_gas_rig

from firmware.central_balance import BalanceUpdate
from firmware.errors import FirmwareError
from firmware.rules.money import Money
from hal.flow_models import ConstantFlow


def test_home_shows_the_volume_in_m3_with_three_decimals() -> None:
    # rule G1
    rig = build_gas_rig(demand=ConstantFlow(1234))
    rig.wait(timedelta(hours=10))
    state = rig.lcd.state
    assert (state.code, state.value, state.unit) == ("24.2.1", "00012.340", "m3")


def test_any_button_wakes_the_screen_and_it_goes_dark_again() -> None:
    # rule G1
    for button in ("euro", "arrow", "m3"):
        rig = build_gas_rig()
        assert not rig.lcd.state.backlight
        rig.press(button)
        assert rig.lcd.state.backlight
        assert rig.lcd.state.code == "24.2.1"  # the waking press does nothing else
        rig.wait(timedelta(seconds=30))
        assert not rig.lcd.state.backlight


def test_euro_opens_the_prepayment_menu_arrow_steps_m3_goes_home() -> None:
    # rules G1, G2
    rig = build_gas_rig()
    update = BalanceUpdate(WINTER_NOON, Money.parse("-3.456"), Money.parse("11.55"))
    rig.meter.receive_balance(update)
    rig.press("m3")  # wake
    rig.press("euro")
    shown = [(rig.lcd.state.code, rig.lcd.state.value, rig.lcd.state.unit)]
    for _ in range(3):
        rig.press("arrow")
        shown.append((rig.lcd.state.code, rig.lcd.state.value, rig.lcd.state.unit))
    assert shown == [
        ("94.32.2.1", "14/01/26 12:00", ""),  # local time (Brussels, UTC+1 in winter)
        ("94.32.2.2", "-3.46", "EUR"),  # rounded down: never more credit than there is
        ("94.32.2.3", "11.55", "EUR"),
        ("94.32.2.1", "14/01/26 12:00", ""),
    ]
    rig.press("m3")
    assert rig.lcd.state.code == "24.2.1"


def test_menu_before_any_balance_shows_dashes() -> None:
    # rule G2
    rig = build_gas_rig()
    rig.press("euro")
    rig.press("euro")
    rig.press("arrow")
    assert (rig.lcd.state.code, rig.lcd.state.value) == ("94.32.2.2", "----.--")


def test_arrow_on_home_stays_home() -> None:
    # rule G1: the arrow steps the menu only
    rig = build_gas_rig()
    rig.press("arrow")
    rig.press("arrow")
    assert rig.lcd.state.code == "24.2.1"


def test_the_screen_returns_home_when_it_goes_dark() -> None:
    # rule G1
    rig = build_gas_rig()
    rig.press("euro")
    rig.press("euro")
    rig.wait(timedelta(minutes=1))
    rig.press("arrow")
    assert rig.lcd.state.code == "24.2.1"


def test_an_unknown_button_is_refused() -> None:
    rig = build_gas_rig()
    with pytest.raises(FirmwareError):
        rig.meter.display.press("green", rig.clock.now())
