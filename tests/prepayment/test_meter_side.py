"""Meter-side prepayment on a running meter (rules P1-P9, M2, M5, M6, E7, E8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from meter_side_rig import FRIDAY, MONDAY, OFF_PEAK, PEAK, SETTINGS, Rig, build_rig, local, token

from firmware.disconnect_control import ControlState
from firmware.errors import FirmwareError, StateFileError
from firmware.logs import EventCode
from firmware.nvm import LEDGER_FILE, STATE_FILE
from firmware.prepayment.account import CreditState
from firmware.prepayment.account_events import DisconnectionImminent, TopUpReceived
from firmware.prepayment.ledger import EntryKind
from firmware.rules.money import MJ_PER_KWH, Money
from firmware.rules.token import TokenStatus
from firmware.screens import EURO_ARROW, ITEM_SCREENS
from firmware.settings import MeterSettings
from hal.frontend import ConstantLoad, PowerReading

EUR = Money.parse
HEAVY_W = 20_000  # 6 EUR per hour at the peak price: -15 EUR within a working day


def relay(rig: Rig) -> ControlState:
    return rig.meter.relay.control_state


def balance(rig: Rig) -> Money:
    return rig.meter.account_for_release().balance


def cut_by_credit(rig: Rig) -> None:
    """Run a weekday (Monday 08:00 local) until the prepayment cut (P4 outside the NDP)."""
    rig.run_to(local(MONDAY, 16))
    assert relay(rig) is ControlState.DISCONNECTED


def test_a_new_meter_opens_with_20_eur_repaid_1_eur_a_day() -> None:  # rule P1
    rig = build_rig(local(MONDAY, 12))
    assert balance(rig) == EUR("20")
    rig.run_to(local(MONDAY, 12) + timedelta(days=3))
    account = rig.meter.account_for_release()
    assert account.balance == EUR("17")  # three local midnights, no consumption
    assert account.starting_credit_owed == EUR("17")
    repayments = [e.at for e in account.entries if e.kind is EntryKind.REPAYMENT]
    assert repayments == [local(MONDAY, 0) + timedelta(days=n) for n in (1, 2, 3)]


def test_energy_is_charged_per_tariff_in_quarter_hour_slices() -> None:  # rule M6
    rig = build_rig(local(MONDAY, 20), watts=1000)
    rig.run_to(local(MONDAY, 23))  # 2 h peak (to 22:00), 1 h off-peak
    account = rig.meter.account_for_release()
    expected = EUR("20") - PEAK * 2 - OFF_PEAK
    assert account.balance == expected
    charges = [e for e in account.entries if e.kind is EntryKind.CHARGE]
    assert len(charges) == 12  # one per quarter hour, not one per integration step


def test_the_relay_opens_at_minus_15_eur_outside_the_ndp() -> None:  # rules P3, P4, M2 b
    rig = build_rig(local(MONDAY, 8), watts=HEAVY_W)
    cut_by_credit(rig)
    cut_at = rig.events(EventCode.CREDIT_DISCONNECT)
    assert len(cut_at) == 1 and local(MONDAY, 13) < cut_at[0] < local(MONDAY, 16)
    assert rig.events(EventCode.EMERGENCY_CREDIT) and rig.events(EventCode.LOW_CREDIT)
    assert not rig.events(EventCode.DISCONNECTION_IMMINENT)
    account = rig.meter.account_for_release()
    assert account.balance <= EUR("-15") and account.credit_state is CreditState.DISCONNECTED
    assert rig.meter.net_power_w == 0  # nothing flows, nothing more is charged


def test_friday_evening_the_cut_waits_for_monday_0800() -> None:  # rules P4, P5, P9
    rig = build_rig(local(FRIDAY, 12), watts=HEAVY_W)
    rig.run_to(local(FRIDAY, 22))
    assert relay(rig) is ControlState.CONNECTED
    assert rig.events(EventCode.DISCONNECTION_IMMINENT)
    assert EURO_ARROW in rig.hal.lcd.state.blinking  # "your meter will be disconnected"
    imminent = [n for n in rig.meter.notices if isinstance(n, DisconnectionImminent)]
    monday_8 = local(FRIDAY, 8) + timedelta(days=3)
    assert [n.cut_at for n in imminent] == [monday_8]
    rig.run_to(monday_8 - timedelta(minutes=1))
    assert relay(rig) is ControlState.CONNECTED  # the whole weekend
    rig.run_to(monday_8 + timedelta(minutes=1))
    assert relay(rig) is ControlState.DISCONNECTED
    assert rig.events(EventCode.CREDIT_DISCONNECT) == [monday_8]
    assert EURO_ARROW not in rig.hal.lcd.state.blinking


def test_a_top_up_to_050_eur_arms_the_button_and_not_below() -> None:  # rules P8, M2 d, E8
    rig = build_rig(local(MONDAY, 8), watts=HEAVY_W)
    cut_by_credit(rig)
    assert balance(rig) < EUR("-10")
    assert rig.meter.enter_token(token(1, "5.00")).accepted  # still below 0.50 EUR
    rig.hold_button(5)
    assert relay(rig) is ControlState.DISCONNECTED
    assert rig.meter.enter_token(token(2, "50.00")).accepted
    assert balance(rig) >= EUR("0.50")
    assert relay(rig) is ControlState.READY_FOR_RECONNECTION
    rig.hold_button(4)
    assert relay(rig) is ControlState.READY_FOR_RECONNECTION
    rig.hold_button(5)
    assert relay(rig) is ControlState.CONNECTED
    assert rig.meter.net_power_w == HEAVY_W


def test_the_button_waits_when_the_repayment_took_the_balance_below_050_again() -> None:
    # rules P8, E8, P1: enabled at 0.60 EUR, then midnight's 1 EUR repayment leaves -0.40 EUR
    rig = build_rig(local(MONDAY, 8), watts=HEAVY_W)
    cut_by_credit(rig)
    rig.run_to(local(MONDAY, 23, 50))
    assert rig.meter.enter_token(token(1, (EUR("0.60") - balance(rig)).format(2))).accepted
    assert relay(rig) is ControlState.READY_FOR_RECONNECTION
    rig.run_to(local(MONDAY, 23, 50) + timedelta(minutes=20))
    assert balance(rig) == EUR("-0.40")
    rig.hold_button(5)
    assert relay(rig) is ControlState.READY_FOR_RECONNECTION
    assert rig.meter.enter_token(token(2, "5.00")).accepted  # 4.60 EUR: the button may again
    rig.hold_button(5)
    assert relay(rig) is ControlState.CONNECTED


def test_refused_tokens_leave_the_balance_alone() -> None:  # rule P6
    rig = build_rig(local(MONDAY, 12))
    assert rig.meter.enter_token(token(7, "20.00")).accepted
    before = balance(rig)
    refused = {
        "replayed": token(7, "20.00"),
        "older": token(6, "20.00"),
        "wrong meter": token(8, "20.00", serial="VM0000000002"),
        "bad key": token(8, "20.00", key=bytes(16)),
        "too small": token(8, "4.99"),
        "garbage": "1234-5678",
    }
    statuses = {name: rig.meter.enter_token(text).status for name, text in refused.items()}
    assert statuses == {
        "replayed": TokenStatus.REPLAYED,
        "older": TokenStatus.REPLAYED,
        "wrong meter": TokenStatus.WRONG_METER,
        "bad key": TokenStatus.BAD_MAC,
        "too small": TokenStatus.AMOUNT_OUT_OF_RANGE,
        "garbage": TokenStatus.MALFORMED,
    }
    assert balance(rig) == before
    assert len(rig.events(EventCode.TOKEN_REFUSED)) == len(refused)


def test_top_up_notice_is_logged_queued_and_pushed() -> None:  # rule P9
    rig = build_rig(local(MONDAY, 12))
    pushed: list[object] = []
    rig.meter.subscribe_notices(pushed.append)
    rig.meter.enter_token(token(1, "25.00"))
    (notice,) = pushed
    assert isinstance(notice, TopUpReceived) and notice.balance == EUR("45")
    assert list(rig.meter.notices) == [notice]
    assert rig.events(EventCode.TOP_UP)


def test_the_display_shows_the_meters_own_balance() -> None:  # rules E5, E7
    rig = build_rig(local(MONDAY, 12), watts=1000)
    rig.run_to(local(MONDAY, 13))
    meter = rig.meter
    assert ITEM_SCREENS["94.32.2/1"](meter) == ("94.32.2.1", "12/01/26 13:00", "")
    assert ITEM_SCREENS["94.32.2/2"](meter) == ("94.32.2.2", "19.70", "EUR")
    assert ITEM_SCREENS["94.32.2/3"](meter) == ("94.32.2.3", "15.00", "EUR")
    assert EURO_ARROW in rig.hal.lcd.state.symbols  # steady
    spender = build_rig(local(MONDAY, 12), watts=HEAVY_W)
    spender.run_to(local(MONDAY, 16))  # 24 EUR spent: on emergency credit
    assert ITEM_SCREENS["94.32.2/2"](spender.meter) == ("94.32.2.2", "-4.00", "EUR")
    assert ITEM_SCREENS["94.32.2/3"](spender.meter) == ("94.32.2.3", "11.00", "EUR")


def test_a_restart_keeps_the_balance_and_the_token_high_water_mark(tmp_path: Path) -> None:
    rig = build_rig(local(MONDAY, 12), watts=1000, state_dir=tmp_path)
    rig.meter.enter_token(token(5, "30.00"))
    rig.run_to(local(MONDAY, 18))
    before = balance(rig)
    entries = len(rig.meter.account_for_release().entries)
    rig.meter.shutdown()
    again = build_rig(local(MONDAY, 18), watts=1000, state_dir=tmp_path)
    account = again.meter.account_for_release()
    assert (account.balance, account.last_token_seq, len(account.entries)) == (before, 5, entries)
    assert again.meter.enter_token(token(5, "30.00")).status is TokenStatus.REPLAYED
    again.run_to(local(MONDAY, 19))
    assert balance(again) == before - PEAK  # charging carries on where it stopped


def test_a_crash_after_a_slice_neither_loses_nor_repeats_a_charge(tmp_path: Path) -> None:
    # rule M6: the journal holds each entry with the energy it paid for
    rig = build_rig(local(MONDAY, 12), watts=1000, state_dir=tmp_path)
    rig.run_to(local(MONDAY, 14))
    owed = balance(rig)  # a read: the registers are saved before the value leaves
    rig.meter.registers_for_release()
    again = build_rig(local(MONDAY, 14), watts=1000, state_dir=tmp_path)  # no shutdown
    assert balance(again) == owed
    again.run_to(local(MONDAY, 15))
    assert balance(again) == owed - PEAK


def test_a_corrupt_ledger_journal_is_refused(tmp_path: Path) -> None:
    rig = build_rig(local(MONDAY, 12), watts=1000, state_dir=tmp_path)
    rig.run_to(local(MONDAY, 13))
    rig.meter.shutdown()
    journal = tmp_path / LEDGER_FILE
    journal.write_bytes(journal.read_bytes().replace(b'"amount_mc":', b'"amount_mc":9', 1))
    with pytest.raises(StateFileError, match="corrupt"):
        build_rig(local(MONDAY, 13), state_dir=tmp_path)


def test_central_mode_has_no_meter_account() -> None:  # rule M5: never both
    rig = build_rig(local(MONDAY, 12), settings=MeterSettings())
    assert rig.meter.account is None
    with pytest.raises(FirmwareError, match="meter mode"):
        rig.meter.enter_token(token(1, "20.00"))


def test_settings_prices_are_the_ones_charged() -> None:  # rule M6
    rig = build_rig(local(MONDAY, 12), watts=3000)
    rig.run_to(local(MONDAY, 14))
    imported = rig.meter.registers_mj[0]
    assert imported == 6 * MJ_PER_KWH
    assert EUR("20") - balance(rig) == PEAK * 6


def test_a_snapshot_older_than_the_journal_books_no_day_twice(tmp_path: Path) -> None:
    # rules P1, M6: a crash after midnight's repayment reached the journal, before the snapshot
    rig = build_rig(local(MONDAY, 23), state_dir=tmp_path)
    rig.meter.save()
    stale = (tmp_path / STATE_FILE).read_bytes()
    rig.run_to(local(MONDAY, 23) + timedelta(hours=2))
    assert balance(rig) == EUR("19")
    (tmp_path / STATE_FILE).write_bytes(stale)
    again = build_rig(local(MONDAY, 23) + timedelta(hours=2), state_dir=tmp_path)
    account = again.meter.account_for_release()
    assert (account.balance, account.starting_credit_owed) == (EUR("19"), EUR("19"))


def test_a_relay_in_control_mode_0_refuses_the_cut_and_says_so() -> None:  # rules M1, M2, P4
    settings = replace(SETTINGS, control_mode=0)
    rig = build_rig(local(MONDAY, 8), watts=HEAVY_W, settings=settings)
    rig.run_to(local(MONDAY, 16))
    assert rig.meter.account_for_release().credit_state is CreditState.DISCONNECTED
    assert relay(rig) is ControlState.CONNECTED
    assert len(rig.events(EventCode.PREPAYMENT_ORDER_REFUSED)) == 1


def test_a_clock_set_forward_books_the_days_it_skips() -> None:  # rules P1, M7
    rig = build_rig(local(MONDAY, 12))
    rig.meter.set_time(local(MONDAY, 12) + timedelta(days=2))
    rig.run_for(timedelta(minutes=1))
    assert balance(rig) == EUR("18")


def test_with_a_power_limiter_the_supply_is_limited_not_cut() -> None:  # rules P4, P8, M2, E8
    limited = replace(SETTINGS.meter_side, power_limiter=True, power_limit_w=2300)
    rig = build_rig(local(MONDAY, 8), watts=HEAVY_W, settings=replace(SETTINGS, meter_side=limited))
    rig.run_to(local(MONDAY, 16))
    assert rig.meter.power_limited and rig.events(EventCode.POWER_LIMITED)
    assert relay(rig) is ControlState.READY_FOR_RECONNECTION  # 20 kW is above the limit
    rig.hold_button(5)
    assert relay(rig) is ControlState.READY_FOR_RECONNECTION  # still above: open again
    rig.hal.frontend.set_load(ConstantLoad(PowerReading.from_net(2000)))
    rig.meter.refresh_load()
    rig.hold_button(5)
    assert relay(rig) is ControlState.CONNECTED and rig.meter.net_power_w == 2000
    assert len(rig.events(EventCode.POWER_LIMIT_EXCEEDED)) == 2
    rig.meter.enter_token(token(1, "100.00"))  # P8: the limit is lifted
    assert not rig.meter.power_limited and rig.events(EventCode.POWER_LIMIT_LIFTED)
    rig.hal.frontend.set_load(ConstantLoad(PowerReading.from_net(HEAVY_W)))
    rig.meter.refresh_load()
    assert relay(rig) is ControlState.CONNECTED
