"""Central-mode prepayment on the meter: the 94.32.2 items stored, shown, kept (rules E5, E6,
E7, P7, M5, M7)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meter_rig import WINTER_NOON, Rig, build_rig

from display.text import render_line
from firmware.central_balance import BalanceUpdate
from firmware.errors import FirmwareError
from firmware.logs import EventCode
from firmware.nvm import MAGIC, STATE_FILE, NonVolatileMemory
from firmware.rules.money import Money
from firmware.screens import EURO_ARROW, NO_UPDATE_AMOUNT, NO_UPDATE_TIME
from firmware.settings import DISPLAY_PROFILES, DisplaySettings, MeterSettings, PrepaymentMode
from hal.frontend import ConstantLoad, PowerReading

# Computed by the platform for 06:00 UTC = 07:00 in Brussels (winter, UTC+1).
UPDATE_AT = datetime(2026, 1, 14, 6, 0, tzinfo=UTC)
BALANCE = Money.parse("-3.45")
EMERGENCY_CREDIT = Money.parse("11.55")


def press(rig: Rig, times: int) -> list[str]:
    codes = []
    for _ in range(times):
        rig.hal.buttons.press("green")
        codes.append(rig.hal.lcd.state.code)
    return codes


def screen(rig: Rig) -> tuple[str, str, str]:
    state = rig.hal.lcd.state
    return state.code, state.value, state.unit


def test_press_7_times_until_94_32_2_appears_then_2_and_3() -> None:  # rules E6, E7 (RESA)
    rig = build_rig()
    rig.meter.receive_balance_update(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)
    codes = press(rig, 7)
    assert codes[1:6] == ["1.8.1", "1.8.2", "2.8.1", "2.8.2", "96.14.0"]
    assert screen(rig) == ("94.32.2.1", "14/01/26 07:00", "")  # local time, rule M7
    press(rig, 1)
    assert screen(rig) == ("94.32.2.2", "-3.45", "EUR")  # leading minus when negative
    press(rig, 1)
    assert screen(rig) == ("94.32.2.3", "11.55", "EUR")


def test_ores_profile_shows_the_balance_items_after_two_indexes() -> None:  # rule E6 (ORES)
    display = DisplaySettings(items=DISPLAY_PROFILES["ores"])
    rig = build_rig(settings=MeterSettings(display=display))
    assert press(rig, 6) == ["8.8.8.8.8", "1.8.1", "1.8.2", "94.32.2.1", "94.32.2.2", "94.32.2.3"]


def test_before_the_first_update_the_items_show_dashes() -> None:  # rule E7
    rig = build_rig()
    press(rig, 7)
    assert screen(rig) == ("94.32.2.1", NO_UPDATE_TIME, "")
    press(rig, 1)
    assert screen(rig) == ("94.32.2.2", NO_UPDATE_AMOUNT, "EUR")


def test_an_update_is_shown_at_once_while_its_item_is_on_screen() -> None:  # rule E7
    rig = build_rig()
    press(rig, 8)
    rig.meter.receive_balance_update(UPDATE_AT, Money.eur(12, 5), EMERGENCY_CREDIT)
    assert screen(rig) == ("94.32.2.2", "12.05", "EUR")


def test_summer_update_time_is_shown_in_summer_local_time() -> None:  # rule M7
    rig = build_rig()
    rig.meter.receive_balance_update(
        datetime(2026, 7, 1, 22, 30, tzinfo=UTC), BALANCE, EMERGENCY_CREDIT
    )
    press(rig, 7)
    assert screen(rig)[1] == "02/07/26 00:30"  # UTC+2


def test_steady_euro_arrow_while_prepayment_is_active() -> None:  # rule E5
    rig = build_rig()
    press(rig, 2)  # 1.8.1 (the test screen lights every symbol)
    assert EURO_ARROW in rig.hal.lcd.state.symbols
    assert EURO_ARROW not in rig.hal.lcd.state.blinking
    assert "^EUR" in render_line(rig.hal.lcd.state)


def test_without_prepayment_nothing_of_it_is_shown() -> None:  # rules E5, E6
    rig = build_rig(settings=MeterSettings(prepayment=PrepaymentMode.NONE))
    codes = press(rig, 8)
    assert not any(code.startswith("94.32") for code in codes)
    assert EURO_ARROW not in rig.hal.lcd.state.symbols
    with pytest.raises(FirmwareError, match="central mode"):
        rig.meter.receive_balance_update(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)


def test_meter_side_mode_refuses_a_balance_from_the_platform() -> None:  # rule M5
    rig = build_rig(settings=MeterSettings(prepayment=PrepaymentMode.METER))
    with pytest.raises(FirmwareError, match="central mode"):
        rig.meter.receive_balance_update(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)
    assert rig.meter.central_balance is None


@pytest.mark.parametrize(
    ("at", "credit", "why"),
    [
        (datetime(2026, 1, 14, 6, 0), EMERGENCY_CREDIT, "timezone"),
        (UPDATE_AT, Money.parse("-0.01"), "negative"),
    ],
)
def test_invalid_updates_are_refused_and_change_nothing(
    at: datetime, credit: Money, why: str
) -> None:
    rig = build_rig()
    rig.meter.receive_balance_update(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)
    with pytest.raises(FirmwareError, match=why):
        rig.meter.receive_balance_update(at, Money.eur(1), credit)
    assert rig.meter.central_balance == BalanceUpdate(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)


def test_an_update_is_logged() -> None:  # rule P7
    rig = build_rig()
    rig.meter.receive_balance_update(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)
    event = rig.meter.events.entries()[-1]
    assert event.code is EventCode.BALANCE_UPDATE
    assert "-3.45 EUR" in event.text and "11.55 EUR" in event.text


@settings(max_examples=20, deadline=None)
@given(
    watts=st.integers(-5000, 9000),
    hours=st.integers(1, 24 * 8),
    cents=st.integers(-1500_00, 250_00),
)
def test_consumption_never_changes_the_stored_balance(watts: int, hours: int, cents: int) -> None:
    """rule M5: in central mode only the platform computes the balance; the meter keeps what
    it received however much energy flows, across midnights and tariff switches."""
    rig = build_rig(load=ConstantLoad(PowerReading.from_net(watts)))
    update = rig.meter.receive_balance_update(UPDATE_AT, Money(cents * 1000), EMERGENCY_CREDIT)
    rig.run_to(WINTER_NOON + timedelta(hours=hours))
    assert rig.meter.central_balance == update
    assert rig.meter.registers != (0, 0, 0, 0) or watts == 0


def test_the_balance_survives_a_restart(tmp_path: Path) -> None:  # rule E7, NVM
    rig = build_rig(state_dir=tmp_path)
    rig.meter.receive_balance_update(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)
    rig.clock.advance_to(WINTER_NOON + timedelta(minutes=1))  # power cut: no clean shutdown
    again = build_rig(start=WINTER_NOON + timedelta(minutes=1), state_dir=tmp_path)
    assert again.meter.central_balance == BalanceUpdate(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)
    press(again, 8)
    assert screen(again) == ("94.32.2.2", "-3.45", "EUR")


def test_a_format_1_state_file_loads_as_no_update_yet(tmp_path: Path) -> None:
    """Files from before the central balance (format 1) stay loadable, then are upgraded."""
    rig = build_rig(state_dir=tmp_path)
    rig.meter.shutdown()
    document = rig.meter.state().to_json()
    del document["central_balance"]
    body = json.dumps(document).encode()
    header = f"1 {len(body)} {hashlib.sha256(body).hexdigest()}\n".encode()
    (tmp_path / STATE_FILE).write_bytes(MAGIC + header + body)
    again = build_rig(state_dir=tmp_path)
    assert again.meter.central_balance is None
    again.meter.receive_balance_update(UPDATE_AT, BALANCE, EMERGENCY_CREDIT)
    reloaded = NonVolatileMemory(tmp_path).load()
    assert reloaded is not None and reloaded.central_balance is not None
    assert (tmp_path / STATE_FILE).read_bytes().startswith(MAGIC + b"2 ")
