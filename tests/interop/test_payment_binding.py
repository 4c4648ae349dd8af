"""The payment-metering objects of meter-side prepayment (Account 111, Credit 112, Charge 113,
Token gateway 115) bound to the firmware's account (rules P1-P8, M5)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from in_process import act, associate, read, write
from payment_meter import (
    START,
    device,
    meter_mode_config,
    meter_mode_runtime,
    token,
)

from cosem.access import DEFAULT_MANAGEMENT_PASSWORD, DEFAULT_READER_PASSWORD
from cosem.apdu import ActionResult, DataAccessResult
from cosem.axdr import BitString, Data
from cosem.classes.clock import local_date_time
from cosem.server import ServerAssociation
from emulator import obis_map
from emulator.runtime import VirtualMeter
from firmware.disconnect_control import ControlState
from firmware.rules.localtime import BRUSSELS, local_to_utc
from firmware.rules.money import Money

TOKEN_GATEWAY = (115, obis_map.TOKEN_GATEWAY)
ACCOUNT = (111, obis_map.ACCOUNT)


@pytest.fixture
def runtime() -> VirtualMeter:
    return meter_mode_runtime(meter_mode_config())


def enter(association: ServerAssociation, text: str | bytes) -> ActionResult:
    raw = text.encode() if isinstance(text, str) else text
    return act(association, TOKEN_GATEWAY, 1, Data.octet_string(raw))


def relay(runtime: VirtualMeter) -> ControlState:
    return runtime.meter.relay.control_state


def balance(runtime: VirtualMeter) -> Money:
    return runtime.meter.account_for_release().balance


def test_meter_mode_serves_the_payment_objects_of_the_obis_map(runtime: VirtualMeter) -> None:
    served = {(obj.logical_name, obj.class_id) for obj in device(runtime).objects}
    served.add((obis_map.CURRENT_ASSOCIATION, 15))
    expected = {
        (entry.obis, entry.class_id) for entry in (*obis_map.OBIS_MAP, *obis_map.PAYMENT_MAP)
    }
    assert served == expected


def test_a_token_entered_by_management_is_credited(runtime: VirtualMeter) -> None:  # rule P6
    association = associate(device(runtime), 1, DEFAULT_MANAGEMENT_PASSWORD)
    text = token(1, "20.00")
    assert enter(association, text) is ActionResult.SUCCESS
    assert balance(runtime) == Money.eur(40)
    assert read(association, TOKEN_GATEWAY, 2) == Data.octet_string(text.encode())
    assert read(association, TOKEN_GATEWAY, 6) == Data.structure(
        Data.enum(3), Data.bit_string(BitString.from_bits(""))
    )
    description = read(association, TOKEN_GATEWAY, 4)
    assert isinstance(description, Data)
    assert Data.octet_string(b"top-up 20.00 EUR") in description.items
    # the same token as its 14 raw bytes is the same token: a replay
    assert enter(association, bytes.fromhex(token(2, "5.00").replace("-", ""))) is (
        ActionResult.SUCCESS
    )
    assert balance(runtime) == Money.eur(45)


@pytest.mark.parametrize(
    ("name", "text", "status"),
    [
        ("wrong meter", token(2, "20.00", serial="VM0000000002"), 5),
        ("bad MAC", token(2, "20.00", key="FF" * 16), 5),
        ("replayed", token(1, "20.00"), 6),
        ("malformed", "not a token", 4),
    ],
)
def test_a_refused_token_changes_nothing_and_says_why(
    runtime: VirtualMeter, name: str, text: str, status: int
) -> None:  # rule P6
    association = associate(device(runtime), 1, DEFAULT_MANAGEMENT_PASSWORD)
    assert enter(association, token(1, "20.00")) is ActionResult.SUCCESS
    before = balance(runtime)
    assert enter(association, text) is ActionResult.OTHER_REASON, name
    assert balance(runtime) == before
    status_value = read(association, TOKEN_GATEWAY, 6)
    assert isinstance(status_value, Data) and status_value.items[0] == Data.enum(status)


def test_readers_may_read_but_not_enter_tokens_or_set_thresholds(runtime: VirtualMeter) -> None:
    reader = associate(device(runtime), 17, DEFAULT_READER_PASSWORD)
    assert enter(reader, token(1, "20.00")) is ActionResult.READ_WRITE_DENIED
    assert write(reader, ACCOUNT, 16, Data.double_long(800)) is DataAccessResult.READ_WRITE_DENIED
    assert read(reader, ACCOUNT, 16) == Data.double_long(500)
    assert balance(runtime) == Money.eur(20)


def test_management_sets_the_low_credit_threshold(runtime: VirtualMeter) -> None:  # rule P2
    association = associate(device(runtime), 1, DEFAULT_MANAGEMENT_PASSWORD)
    assert write(association, ACCOUNT, 16, Data.double_long(2500)) is DataAccessResult.SUCCESS
    assert runtime.meter.account_for_release().low_credit_threshold == Money.eur(25)
    status = read(association, ACCOUNT, 4)  # 20 EUR <= 25 EUR: in credit and low credit
    assert status == Data.bit_string(BitString(bytes([0xC0]), 8))
    assert write(association, ACCOUNT, 16, Data.double_long(-1)) is DataAccessResult.OTHER_REASON


def test_account_credits_and_charges_follow_the_ledger(runtime: VirtualMeter) -> None:
    # rules P1, P3, M6: 1 kW for 26 h from Monday 10:00, one local midnight passed
    clock = runtime.simulated_clock
    assert clock is not None
    clock.advance_to(START + timedelta(hours=26))
    public = associate(device(runtime), 16, None)
    account = runtime.meter.account_for_release()
    cents = account.balance.milli_cents // 1000
    assert read(public, ACCOUNT, 5) == Data.double_long(cents + 1500)  # + emergency credit
    assert read(public, ACCOUNT, 8) == Data.double_long(1900)  # starting credit still owed
    assert read(public, ACCOUNT, 7) == Data.double_long(50)  # P8 clearance threshold
    assert read(public, (112, obis_map.TOKEN_CREDIT), 2) == Data.double_long(cents)
    assert read(public, (112, obis_map.EMERGENCY_CREDIT_CREDIT), 2) == Data.double_long(1500)
    assert read(public, (113, obis_map.STARTING_CREDIT_CHARGE), 2) == Data.double_long(100)
    assert read(public, (113, obis_map.STARTING_CREDIT_CHARGE), 12) == Data.double_long(1900)
    energy_paid = read(public, (113, obis_map.ENERGY_CHARGE), 2)
    assert energy_paid == Data.double_long(2000 - 100 - cents)  # all the rest went on energy


def test_a_cut_meter_is_re_armed_by_a_token_over_cosem() -> None:
    # rules P4, P8, M2 d, E8: the relay waits for the customer's button after the top-up
    runtime = meter_mode_runtime(meter_mode_config(watts=25_000))
    clock = runtime.simulated_clock
    assert clock is not None
    clock.advance_to(START + timedelta(hours=5))  # 7.50 EUR/h: -15 EUR by 14:40
    runtime.meter.advance_to(clock.now())
    assert relay(runtime) is ControlState.DISCONNECTED
    association = associate(device(runtime), 1, DEFAULT_MANAGEMENT_PASSWORD)
    assert read(association, ACCOUNT, 4) == Data.bit_string(BitString(bytes([0x42]), 8))
    assert enter(association, token(1, "30.00")) is ActionResult.SUCCESS
    assert relay(runtime) is ControlState.READY_FOR_RECONNECTION
    runtime.hal.buttons.press("green", timedelta(seconds=5))
    assert relay(runtime) is ControlState.CONNECTED


def test_weekly_fixed_charge_and_starting_credit_objects() -> None:
    # rules B10, M7, P1, M6: 3.50 EUR taken at Monday 00:00, the advance repaid 1 EUR a day
    runtime = meter_mode_runtime(meter_mode_config(watts=0, weekly_fixed_charge="3.50"))
    clock = runtime.simulated_clock
    assert clock is not None
    clock.advance_to(START + timedelta(days=7))  # Monday 9 March 10:00: 7 midnights, 1 Monday
    public = associate(device(runtime), 16, None)
    weekly, starting = (113, obis_map.WEEKLY_CHARGE), (112, obis_map.STARTING_CREDIT_CREDIT)
    assert read(public, weekly, 2) == Data.double_long(350)
    assert read(public, weekly, 11) == Data.double_long(350)
    monday = local_to_utc(date(2026, 3, 9), time(0, 0))
    taken_at = local_date_time(monday, BRUSSELS).to_bytes()
    assert read(public, weekly, 10) == Data.octet_string(taken_at)
    assert read(public, starting, 2) == Data.double_long(2000 - 700)
    assert read(public, ACCOUNT, 8) == Data.double_long(2000 - 700)  # aggregated debt
    assert balance(runtime) == Money.eur(20) - Money.eur(7) - Money.parse("3.50")
    totals = runtime.meter.account_for_release().totals
    assert totals.top_ups + totals.advances - totals.charges - totals.repayments == balance(runtime)
