"""A running budget meter (``kind: budget``): the electricity metering core with the card
account, the card slot, the blue and red buttons and the relay wired in (rules B1-B11, M3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from emulator import obis_map
from emulator.cli import main
from emulator.config import ConfigError, RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from firmware.budget.account import BudgetState
from firmware.budget.blue_cycle import TRIANGLE
from firmware.budget.meter import BudgetMeter
from firmware.disconnect_control import ControlState
from firmware.logs import EventCode
from firmware.prepayment.card_image import CardImage
from firmware.rules.localtime import local_to_utc, to_local
from firmware.rules.money import Money
from hal.card_slot import EmulatedCardSlot

EUR = Money.parse
SERIAL = "VM0000000001"
TUESDAY = datetime(2026, 11, 24).date()
# 1 EUR per kWh and 5 kW from 09:00: 5 EUR per hour. The 30 kWh reserve (30 EUR) reaches the 5 EUR
# low-credit threshold at 14:00 and runs out at 15:00, before the 16:00 non-disconnect period.
CONFIG = """
kind: budget
tariff: {single_rate: true}
budget: {day_price: "1.0000", night_price: null, weekly_fixed_charge: "0.00", reserve_kwh: 30}
load: {watts: 5000}
"""


def local(hour: int, minute: int = 0) -> datetime:
    return local_to_utc(TUESDAY, datetime.min.time().replace(hour=hour, minute=minute))


def start(state: Path | None = None, at: datetime | None = None) -> VirtualMeter:
    run = RunConfig(instant=True, start=at or local(9), state=state)
    virtual = VirtualMeter(parse_config(CONFIG), run)
    virtual.hal.lcd.keep_history = True  # the test reads the sequence of screens
    return virtual


def budget(virtual: VirtualMeter) -> BudgetMeter:
    assert virtual.budget is not None
    return virtual.budget


def run_to(virtual: VirtualMeter, end: datetime) -> None:
    """What the run loop does in instant mode: from deadline to deadline."""
    clock = virtual.simulated_clock
    assert clock is not None
    while clock.now() < end:
        clock.advance_to(min(virtual.firmware.next_deadline(include_scroll=False), end))
        virtual.firmware.advance_to(clock.now())


def insert(virtual: VirtualMeter, card: CardImage) -> None:
    """A card goes into the slot (the meter notices it at once) and stays for 10 s."""
    slot = virtual.hal.card_slot
    assert isinstance(slot, EmulatedCardSlot)
    slot.insert(card.build())
    virtual.firmware.advance_to(virtual.clock.now())
    run_to(virtual, virtual.clock.now() + timedelta(seconds=10))


def remove(virtual: VirtualMeter) -> None:
    slot = virtual.hal.card_slot
    assert isinstance(slot, EmulatedCardSlot)
    slot.remove()
    virtual.firmware.advance_to(virtual.clock.now())


def beeps(virtual: VirtualMeter) -> list[str]:
    return [event.detail for event in virtual.hal.buzzer.recorder.of_kind("beep")]


def relay(virtual: VirtualMeter) -> ControlState:
    return virtual.meter.relay.control_state


def codes_and_values(virtual: VirtualMeter, since: datetime) -> list[tuple[str, str]]:
    return [(state.code, state.value) for at, state in virtual.hal.lcd.history if at >= since]


def cut_at_three(virtual: VirtualMeter) -> None:
    run_to(virtual, local(15, 1))
    assert relay(virtual) is ControlState.DISCONNECTED


def test_installation_programs_the_150_kwh_reserve_shown_in_eur() -> None:  # rules B1, B2
    virtual = VirtualMeter(
        parse_config("kind: budget\nload: {watts: 0}"), RunConfig(instant=True, start=local(10))
    )
    assert budget(virtual).balance == EUR("23.625")  # 150 kWh at 0.1575 EUR
    shown = virtual.hal.lcd.state
    assert (shown.value, shown.unit) == ("23.62", "EUR")
    assert relay(virtual) is ControlState.CONNECTED


def test_low_credit_beeps_and_blinks_the_triangle_then_the_supply_is_cut() -> None:  # B5, M3
    virtual = start()
    run_to(virtual, local(13, 59))
    assert beeps(virtual) == [] and TRIANGLE not in virtual.hal.lcd.state.blinking
    run_to(virtual, local(14, 1))
    assert beeps(virtual) == ["1"] and TRIANGLE in virtual.hal.lcd.state.blinking
    assert virtual.meter.events and virtual.meter.notices  # logged and queued for pushes
    run_to(virtual, local(14, 59))
    assert relay(virtual) is ControlState.CONNECTED
    cut_at_three(virtual)
    cut = [e for e in virtual.meter.events if e.code is EventCode.RELAY_DISCONNECTED]
    assert f"{to_local(cut[0].timestamp):%H:%M}" == "15:00"
    assert virtual.meter.net_power_w == 0


def test_red_then_rearm_reconnects_on_emergency_credit() -> None:  # rules B5, B6, M3
    virtual = start()
    cut_at_three(virtual)
    budget(virtual).rearm_breaker()  # without the red button: still cut (M3)
    assert relay(virtual) is ControlState.DISCONNECTED
    virtual.hal.buttons.press("red")
    assert relay(virtual) is ControlState.READY_FOR_RECONNECTION
    assert budget(virtual).account.state is BudgetState.EMERGENCY_CREDIT
    assert budget(virtual).rearm_breaker()
    assert relay(virtual) is ControlState.CONNECTED and virtual.meter.net_power_w == 5000
    shown = virtual.hal.lcd.state
    assert TRIANGLE in shown.symbols and TRIANGLE not in shown.blinking  # steady
    assert shown.code == "1" and shown.value == "12.00"  # B6: emergency credit left


def test_an_indebted_budget_meter_is_cut_inside_the_non_disconnect_period() -> None:  # B7
    virtual = start()
    cut_at_three(virtual)
    virtual.hal.buttons.press("red")
    budget(virtual).rearm_breaker()
    run_to(virtual, local(17, 20))  # 12 EUR at 5 EUR/h: used up at 17:24, after 16:00
    assert relay(virtual) is ControlState.CONNECTED
    run_to(virtual, local(17, 30))
    assert relay(virtual) is ControlState.DISCONNECTED


def test_a_card_load_shows_9_the_amount_the_balance_and_beeps_twice() -> None:  # B3, B6, M3
    virtual = start()
    cut_at_three(virtual)
    since = virtual.clock.now()
    insert(virtual, CardImage(7, SERIAL, 1, EUR("20.00")))
    shown = codes_and_values(virtual, since)
    assert shown[0] == ("9", "")
    assert ("9", "---") in shown  # moving dashes while credit transfers
    assert ("", "+20.00") in shown
    assert shown[-1] == ("", "20.00")  # the new balance (no debt: nothing repaid)
    assert beeps(virtual)[-1] == "2"  # the card can be removed
    # M3: a load to >= 0.50 EUR enables reconnection without the red button
    assert relay(virtual) is ControlState.READY_FOR_RECONNECTION
    remove(virtual)
    assert budget(virtual).rearm_breaker() and relay(virtual) is ControlState.CONNECTED
    assert virtual.hal.lcd.state.value == "20.00"
    card = virtual.hal.card_slot
    assert isinstance(card, EmulatedCardSlot)
    assert card.recorder.of_kind("write")  # B4: meter data written back to the card


def test_a_refused_card_shows_8_and_changes_nothing() -> None:  # rules B3, B11
    virtual = start()
    before = budget(virtual).balance
    insert(virtual, CardImage(7, "VM0000000002", 1, EUR("20.00")))  # another meter's card
    assert virtual.hal.lcd.state.code == "8"
    assert budget(virtual).balance == before
    remove(virtual)
    assert virtual.hal.lcd.state.code == ""  # back to the balance


def test_blue_walks_the_b8_items() -> None:  # rule B8
    virtual = start()
    values = []
    for _ in range(3):
        virtual.hal.buttons.press("blue")
        values.append(virtual.hal.lcd.state.code)
    assert values == ["8.8.8.8.8", "2", "3"]


def test_a_restart_keeps_balance_card_counters_and_revoked_cards(tmp_path: Path) -> None:
    virtual = start(tmp_path)
    insert(virtual, CardImage(7, SERIAL, 1, EUR("20.00")))
    remove(virtual)
    run_to(virtual, local(11))
    budget(virtual).revoke_card(9)
    balance = budget(virtual).balance
    registers = virtual.meter.registers
    virtual.shutdown()
    again = start(tmp_path, at=local(11))
    assert budget(again).balance == balance  # rule B1: no reserve again, nothing lost
    assert again.meter.registers == registers
    assert budget(again).account.last_counter(7) == 1
    insert(again, CardImage(7, SERIAL, 1, EUR("20.00")))  # replayed: refused (B11)
    assert again.hal.lcd.state.code == "8" and budget(again).balance == balance
    remove(again)
    insert(again, CardImage(9, SERIAL, 1, EUR("20.00")))  # revoked (B11)
    assert again.hal.lcd.state.code == "8"


def test_vmeter_run_kind_budget_runs_a_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--kind", "budget", "--instant", "--until", "+1d", "--no-tcp"]
    assert main([*argv, "--state", str(tmp_path)]) == 0
    assert "EUR" in capsys.readouterr().out
    assert (tmp_path / "budget.vms").exists()


def test_a_budget_meter_serves_the_electricity_objects_only() -> None:  # no payment objects
    virtual = start()
    served = {
        obj.logical_name for obj in build_logical_device(virtual, parse_config(CONFIG)).objects
    }
    assert obis_map.IMPORT_PEAK in served and obis_map.DISCONNECT_CONTROL in served
    assert not served & {entry.obis for entry in obis_map.PAYMENT_MAP}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: budget\nprepayment: {mode: meter}", "prepayment.mode must be none"),
        ("kind: electricity\nbudget: {reserve_kwh: 10}", "the budget section is for kind budget"),
        ("kind: budget\nbudget: {day_price: 0.15}", "write amounts in quotes"),
    ],
)
def test_budget_configuration_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(text)
