"""``vmeter demo``: a meter and a head-end over the embedded broker, a story that ends by itself."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
REGISTER_LINE = re.compile(
    r"head-end: (?P<obis>1-0:[12]\.8\.[12]\.255) = (?P<read>\d+) Wh"
    r"\s+\(meter's own register: (?P<own>\d+) Wh\)"
)


@pytest.fixture(scope="module")
def story() -> str:
    """The demo's output, run once in-process (it starts its own broker on a free port)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo"]) == 0
    return out.getvalue()


def test_registers_read_over_mqtt_equal_the_firmware_registers(story: str) -> None:
    # rule E1: what the head-end reads is the meter's own index, to the Wh
    reads = {match["obis"]: match for match in REGISTER_LINE.finditer(story)}
    assert set(reads) == {"1-0:1.8.1.255", "1-0:1.8.2.255", "1-0:2.8.1.255", "1-0:2.8.2.255"}
    for match in reads.values():
        assert match["read"] == match["own"]
    assert int(reads["1-0:1.8.1.255"]["read"]) > 0
    assert int(reads["1-0:2.8.1.255"]["read"]) > 0  # the midday solar export


def test_the_head_end_lists_objects_reads_the_clock_and_a_profile_slice(story: str) -> None:
    assert re.search(r"head-end: object list: \d+ objects", story)
    assert "head-end: clock 0-0:1.0.0.255 = 2026-11-28T00:00:00+01:00" in story
    # noon to one o'clock, both bounds included: five quarter-hour entries
    assert "from 12:00 to 13:00: 5 entries" in story
    assert re.search(r"COSEM requests served over MQTT: [1-9]\d*", story)
    assert re.search(r"MQTT round trip .*: median \d+\.\d+ ms", story)


def test_relay_opens_then_waits_for_the_button_then_closes(story: str) -> None:
    # rules M1 (control_mode 3), E8 (5-second hold), E5 (the blinking arrow)
    steps = [
        "head-end: remote_disconnect",
        "meter: relay click (open)",
        "relay output_state False, control_state disconnected",
        "head-end: remote_reconnect",
        "*^*",  # the reconnect arrow blinks on the LCD
        "relay output_state False, control_state ready_for_reconnection",
        "customer: holds the green button for 5 s (rule E8)",
        "meter: relay click (closed)",
        "relay output_state True, control_state connected",
    ]
    position = story.index("end of the simulated day")
    for step in steps:
        position = story.index(step, position)


def test_the_meter_goes_offline_and_the_broker_closes(story: str) -> None:
    online = story.index("status = online")
    offline = story.index("status = offline", online)
    assert story.index("broker closed", offline)


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


def test_the_daily_balance_sent_over_mqtt_shows_on_the_lcd(story: str) -> None:
    # rules E4 (balance display update), E6 (press 7 reaches 94.32.2/1), E7 (the three items)
    after_update = story[story.index("head-end: daily balance update") :]
    screens = re.findall(r"CET  (\S+) +(.+?) \|", after_update)[:9]
    assert [code for code, _ in screens][6:] == ["94.32.2.1", "94.32.2.2", "94.32.2.3"]
    assert screens[6][1].strip() == "28/11/26 00:01"
    assert screens[7][1].split() == ["-3.45", "EUR"]
    assert screens[8][1].split() == ["11.55", "EUR"]
