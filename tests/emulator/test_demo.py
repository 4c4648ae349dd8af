"""``vmeter demo``: two meters, the prepayment platform and a head-end over the embedded broker,
a five-day story that ends by itself. The assertions follow the story's order, not its
timings."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from emulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
REGISTER_LINE = re.compile(
    r"head-end  (?P<obis>1-0:[12]\.8\.[12]\.255) = (?P<read>\d+) Wh"
    r"\s+\(firmware's own: (?P<own>\d+) Wh\)"
)
ELECTRICITY, GAS = "1SAG1100042311", "2FLO2100042312"
STAMP = re.compile(r"^(?P<day>\w{3}) (?P<date>\d\d/\d\d) (?P<time>\d\d:\d\d)  ", re.MULTILINE)


@pytest.fixture(scope="module")
def story() -> str:
    """The demo's output, run once in-process (it starts its own broker on a free port)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo"]) == 0
    return out.getvalue()


def in_order(story: str, *steps: str) -> list[str]:
    """Each step appears after the one before; the lines they were found on."""
    position, lines = 0, []
    for step in steps:
        position = story.index(step, position)
        start = story.rfind("\n", 0, position) + 1
        lines.append(story[start : story.index("\n", position)])
    return lines


def moment(line: str) -> tuple[str, datetime]:
    """The weekday and the local time a story line is stamped with."""
    match = STAMP.match(line)
    assert match, line
    return match["day"], datetime.strptime(f"{match['date']} {match['time']}", "%d/%m %H:%M")


def platform_line(story: str, pattern: str) -> str:
    """The first ``platform`` line whose text (after the actor) matches ``pattern``."""
    match = re.search(rf"^.{{16}} platform  {pattern}.*$", story, re.MULTILINE)
    assert match, pattern
    return match[0]


def test_the_platform_enrols_each_meter_with_its_starting_credit(story: str) -> None:
    # rule P1, P6 (a reference per account); the gas meter is its own gas account
    in_order(
        story,
        f"{ELECTRICITY}: enrolled, EAN 541448860000042318, reference 8860000042318",
        "starting credit 20.00 EUR (P1); 0.30 EUR/kWh peak, 0.22 off-peak",
        f"{GAS}: enrolled, EAN 541448860000042325, reference 8860000042325 (gas)",
        "starting credit 20.00 EUR (P1); 1.50 EUR/m3",
    )


def test_each_day_is_collected_after_midnight_billed_and_pushed(story: str) -> None:
    # rules E3 (the midnight index), G1 (the gas volume), M6 (billing), E7 (daily push)
    for serial, read in ((ELECTRICITY, "indexes of"), (GAS, "volume index of")):
        days = re.findall(
            rf"^\w{{3}} \d\d/11 00:05  platform  {serial}: {read} 2026-11-(\d\d): .*"
            r"; balance -?\d+,\d\d EUR pushed$",
            story,
            re.MULTILINE,
        )
        assert days == ["25", "26", "27", "28", "29"]


def test_electricity_credit_runs_low_then_emergency_then_exhausted(story: str) -> None:
    # rules P2, P3, P4, P9 (the notices published on the outbox). Fri 00:05: 20 EUR (P1)
    # - Wed evening from the enrolment reading, 3850 Wh off-peak x 0.22 = 0.847 EUR (M6)
    # - Thu 38800 Wh peak x 0.30 = 11.64 + 13900 Wh off-peak x 0.22 = 3.058 - 2 x 1 EUR
    # repaid (P1) = 2.455 EUR
    in_order(
        story,
        f"{ELECTRICITY}: notice low_balance: Votre solde est bas : 2,45 €",
        f"{ELECTRICITY}: notice emergency_credit: Crédit de secours activé",
        f"{ELECTRICITY}: notice disconnection_imminent: Votre crédit de secours est épuisé",
    )


def test_the_cut_waits_for_the_end_of_the_weekend_non_disconnect_period(story: str) -> None:
    # rules P4, P5: exhausted on the weekend, cut on Monday 08:00, not before
    postponed = platform_line(story, f"{ELECTRICITY}: notice disconnection_imminent")
    assert moment(postponed)[0] in ("Sat", "Sun")
    cut = [
        platform_line(story, f"{ELECTRICITY}: balance pushed: -[\\d,]+ EUR, .*; disconnect"),
        platform_line(story, f"{GAS}: balance pushed: -[\\d,]+ EUR, .*; disconnect"),
        *in_order(
            story,
            f"{ELECTRICITY}: notice disconnected",
            "meter     relay open (disconnected)",
            "gas       valve closed (disconnected)",
        ),
    ]
    assert story.index(postponed) < story.index(cut[0])
    for line in cut:
        day, at = moment(line)
        assert day == "Mon" and (at.hour, at.minute) >= (8, 0)


def test_a_top_up_enables_reconnection_and_the_button_closes_the_relay(story: str) -> None:
    # rules P6, P8, E8. At the cut: 20 EUR - 77.6 kWh peak x 0.30 - 137.05 kWh off-peak x 0.22
    # since the enrolment reading (M6) - 5 x 1 EUR repaid (P1) = -38.431; + 60 EUR = 21.569
    in_order(
        story,
        "meter     relay open (disconnected)",
        "customer  pays 60.00 EUR for electricity by bank transfer, reference 8860000042318",
        f"{ELECTRICITY}: 60.00 EUR booked, balance 21.56 EUR",
        "*^*",  # the reconnect arrow blinks on the LCD (E5)
        f"{ELECTRICITY}: balance pushed: 21,56 EUR, emergency credit 15,00 EUR; reconnect_enable",
        f"{ELECTRICITY}: notice top_up_received",
        f"{ELECTRICITY}: notice reconnection_enabled",
        "meter     relay open (ready for reconnection)",
        "customer  holds the green button 5 s (E8)",
        "meter     relay closed (connected)",
    )


def test_gas_is_cut_then_topped_up_then_opened_by_a_passed_leak_test(story: str) -> None:
    # rules P4 on gas, G4 (reconnection with credit), G3 (the leak test). Collected Thu to
    # Mon: 41.16 m3 since the enrolment reading x 1.50 EUR = 61.74 EUR + 5 x 1 EUR repaid (P1)
    # from 20 EUR: -46.74 EUR at the cut; + 60 EUR = 13.26 EUR
    in_order(
        story,
        f"{GAS}: notice low_balance",
        f"{GAS}: notice emergency_credit",
        f"{GAS}: notice disconnection_imminent",
        "gas       valve closed (disconnected)",
        "customer  pays 60.00 EUR for gas, reference 8860000042325",
        f"{GAS}: balance pushed: 13,26 EUR, emergency credit 15,00 EUR; reconnect_enable",
        f"{GAS}: notice reconnection_enabled",
        "gas       valve closed (ready for reconnection)",
        "gas       leak test armed",
        "customer  turns every gas appliance off, presses the blinking arrow",
        "gas       LCD 7600",
        "gas       valve open (connected)",
        "gas       leak test passed: valve open, gas flows (G3)",
    )
    # the result pushed on vmeter/<serial>/push (P9)
    in_order(story, "gas       LCD 7600", f"push from {GAS}: leak test passed")
    assert re.search(rf"gas {GAS}: .* valve connected, leak test passed", story)


def test_registers_read_over_mqtt_equal_the_firmware_registers(story: str) -> None:
    # rule E1: what the head-end reads is the meter's own index, to the Wh
    reads = {match["obis"]: match for match in REGISTER_LINE.finditer(story)}
    assert set(reads) == {"1-0:1.8.1.255", "1-0:1.8.2.255", "1-0:2.8.1.255", "1-0:2.8.2.255"}
    for match in reads.values():
        assert match["read"] == match["own"]
    assert int(reads["1-0:1.8.1.255"]["read"]) > 0


def test_the_technician_lists_objects_and_reads_a_profile_slice(story: str) -> None:
    assert re.search(r"head-end  object list: \d+ objects", story)
    # noon to one o'clock, both bounds included: five quarter-hour entries
    assert re.search(r"load profile 1-0:99.1.0.255 \w+ 12:00 to 13:00: 5 entries", story)


def test_the_summary_counts_energy_money_orders_pushes_and_round_trips(story: str) -> None:
    summary = story[story.index("\nsummary\n") :]
    assert re.search(r"electricity 1SAG1100042311: imported \d+\.\d{3} kWh, charged", summary)
    assert "topped up 60.00 EUR" in summary
    assert "relay connected" in summary
    # two cuts and two reconnect enables (P4, P8); per account: low, emergency, imminent,
    # disconnected, top-up received, reconnection enabled (P9)
    assert "platform orders sent: 4; notices published on vmeter/platform/outbox/<serial>: 12" in (
        summary
    )
    assert re.search(r"event pushes received: [1-9]", summary)  # power up, down, leak test
    assert re.search(r"COSEM requests served over MQTT: [1-9]\d*; .* median \d+\.\d+ ms", summary)


def test_each_meter_goes_online_then_offline_and_the_broker_closes(story: str) -> None:
    for serial in (ELECTRICITY, GAS):
        in_order(
            story,
            f"vmeter/{serial}/status = online",
            f"vmeter/{serial}/status = offline",
            "broker closed",
        )
    for serial in (ELECTRICITY, GAS):
        in_order(
            story,
            f'push from {serial}: power up "power up"',
            f'push from {serial}: power down "power down"',
        )


def test_vmeter_demo_exits_by_itself() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("broker closed")
