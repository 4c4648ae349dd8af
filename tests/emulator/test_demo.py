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


def test_electricity_credit_runs_low_then_emergency_then_exhausted(story: str) -> None:
    # rules P1 (starting credit), P2, P3, P4
    in_order(
        story,
        "electricity meter 1SAG1100042311 enrolled",
        "starting credit 20.00 EUR (P1)",
        "electricity: low credit (P2)",
        'outbox: "Votre solde est bas',
        "electricity: emergency credit started (P3)",
        "electricity: credit exhausted -- non-disconnect period, cut postponed (P4/P5)",
    )


def test_the_cut_waits_for_the_end_of_the_weekend_non_disconnect_period(story: str) -> None:
    # rules P4, P5: exhausted on the weekend, cut on Monday 08:00, not before
    postponed, *cut = in_order(
        story,
        "electricity: credit exhausted -- non-disconnect period, cut postponed",
        "electricity: credit exhausted, supply cut (P4)",
        "electricity meter: disconnect",
        "meter     relay open (disconnected)",
        "gas       valve closed (disconnected)",
    )
    assert moment(postponed)[0] in ("Sat", "Sun")
    for line in cut:
        day, at = moment(line)
        assert day == "Mon" and (at.hour, at.minute) >= (8, 0)


def test_a_top_up_enables_reconnection_and_the_button_closes_the_relay(story: str) -> None:
    # rules P6, P8, E8
    in_order(
        story,
        "meter     relay open (disconnected)",
        "customer  pays 60.00 EUR for electricity",
        "electricity: top-up received (P6, P9)",
        "electricity: reconnection enabled (P8)",
        "*^*",  # the reconnect arrow blinks on the LCD (E5)
        "electricity meter: reconnect_enable",
        "meter     relay open (ready for reconnection)",
        "customer  holds the green button 5 s (E8)",
        "meter     relay closed (connected)",
    )


def test_gas_is_cut_then_topped_up_then_opened_by_a_passed_leak_test(story: str) -> None:
    # rules P4 on gas, G4 (reconnection with credit), G3 (the leak test)
    in_order(
        story,
        "gas: low credit (P2)",
        "gas: emergency credit started (P3)",
        "gas: credit exhausted -- non-disconnect period, cut postponed",
        "gas       valve closed (disconnected)",
        "customer  pays 60.00 EUR for gas",
        "gas: reconnection enabled (P8)",
        "gas       valve closed (ready for reconnection)",
        "gas       leak test armed",
        "customer  turns every gas appliance off, presses the blinking arrow",
        "gas       LCD 7600",
        "gas       valve open (connected)",
        "gas       leak test passed: valve open, gas flows (G3)",
    )
    # the result pushed on vmeter/<serial>/push (P9)
    in_order(story, "gas       LCD 7600", "push from 2FLO2100042312: leak test passed")
    assert re.search(r"gas 2FLO2100042312: .* valve connected, leak test passed", story)


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
    # two cuts and two reconnect enables (P4, P8)
    assert "platform orders sent: 4" in summary
    assert re.search(r"event pushes received: [1-9]", summary)  # power up, down, leak test
    assert re.search(r"COSEM requests served over MQTT: [1-9]\d*; .* median \d+\.\d+ ms", summary)


def test_each_meter_goes_online_then_offline_and_the_broker_closes(story: str) -> None:
    for serial in ("1SAG1100042311", "2FLO2100042312"):
        in_order(
            story,
            f"vmeter/{serial}/status = online",
            f"vmeter/{serial}/status = offline",
            "broker closed",
        )
    for serial in ("1SAG1100042311", "2FLO2100042312"):
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
