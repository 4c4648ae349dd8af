"""Scenario files: line-numbered errors, several at once, never a traceback on garbage."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config import ConfigError
from emulator.scenario.loader import ScenarioError, load_scenario, parse_scenario
from emulator.scenario.model import Expectation, PressButton, SetLoad
from firmware.rules.money import Money
from firmware.settings import PrepaymentMode

GOOD = """\
name: good
rules: [E8]
kind: electricity
config:
  prepayment: {mode: meter}
  load: {watts: 1000}
start: "2026-10-24T12:00"
steps:
  - at: +0s
    actions: [load 2000, press green 5s]
    expect:
      balance: 20
      lcd: {symbols: [T1, L1]}
  - at: "2026-10-25 12:00"
    expect:
      registers: {1.8.1: 1200}
  - at: +1d2h
"""


def test_a_good_file_resolves_times_and_values() -> None:
    scenario = parse_scenario(GOOD, "good.yaml")
    assert scenario.config.kind == "electricity"
    assert scenario.config.meter.prepayment is PrepaymentMode.METER
    assert scenario.config.load.watts == 1000
    # rule M7: local Brussels times, summer time on the 24th, winter time on the 25th
    assert scenario.start == datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
    first, second, third = scenario.steps
    assert first.at == scenario.start and first.line == 9
    assert first.actions == (SetLoad(2000), PressButton("green", 5.0))
    assert Expectation("balance", "20.00", 12) in first.expectations
    assert Expectation("lcd.symbols", "L1 T1", 13) in first.expectations
    assert second.at == datetime(2026, 10, 25, 11, 0, tzinfo=UTC)
    assert second.expectations == (Expectation("register 1.8.1", "1200", 16),)
    assert third.at == second.at + timedelta(days=1, hours=2)
    assert scenario.end == third.at


def test_several_errors_at_once_each_with_its_line() -> None:
    text = """\
kind: electricity
start: "2026-12-01T10:00"
colour: blue
steps:
  - at: +0s
    actions: [levitate, load lots]
  - at: "2026-11-30T10:00"
  - at: +1h
    expect:
      relay: open
      balance: "12,50"
      valve: connected
"""
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "s.yaml")
    errors = raised.value.errors
    assert errors[0].startswith("s.yaml:3: unknown key 'colour'")
    lines = [error.split(":")[1] for error in errors]
    assert lines == ["3", "6", "6", "7", "10", "11", "12"]
    assert "unknown action 'levitate'" in errors[1]
    assert "load must be a whole number" in errors[2]
    assert "before the previous step" in errors[3]
    assert "expected one of connected, disconnected" in errors[4]
    assert "not an amount of money" in errors[5]
    assert "expect.valve is for gas meters, not electricity" in errors[6]
    assert isinstance(raised.value, ConfigError)  # the CLI's exit 2 path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: toaster\nstart: 2026-12-01\nsteps: [{at: +0s}]\n", ":1: kind must be one of"),
        (
            "kind: gas\nstart: 2026-12-01\nsteps: [{at: +0s, actions: [press green]}]\n",
            ":3: a gas meter has no 'green' button",
        ),
        (
            "kind: budget\nstart: 2026-12-01\nsteps: [{at: +0s, actions: [topup 20]}]\n",
            ":3: 'topup 20.00' is for electricity meters, not budget",
        ),
        (
            "kind: electricity\nconfig: {tariff: {offpeak_start: 22:00}}\nstart: 2026-12-01\n"
            "steps: [{at: +0s}]\n",
            ':2: write times in quotes, e.g. "22:00"',
        ),
        (
            "kind: electricity\nconfig: {run: {instant: true}}\nstart: 2026-12-01\n"
            "steps: [{at: +0s}]\n",
            ":2: config.run: give it in vmeter replay",
        ),
        ("kind: electricity\nstart: 2026-12-01\nsteps: []\n", ":3: steps must be a non-empty"),
        ("kind: electricity\nstart: 2026-12-01\nsteps: [{at: +5 minutes}]\n", ":3: at: expected"),
        ("kind: electricity\nsteps: [{at: +0s}]\n", ":1: the scenario needs start:"),
        (
            "kind: electricity\nstart: 2026-12-01\n"
            "steps: [{at: +0s, expect: {lcd: {colour: 1}}}]\n",
            ":3: unknown key 'colour' in expect.lcd",
        ),
        ("kind: electricity\nstart: [\n", ":3: not valid YAML"),
        (
            "kind: electricity\nstart: 2026-12-01\nsteps: [{at: +0s, actions: [topup 20]}]\n",
            ":3: a top-up token needs prepayment mode meter",
        ),
        (
            "kind: electricity\nstart: 2026-12-01\n"
            "steps: [{at: +0s, actions: [topup 20 via platform]}]\n",
            ":3: topup via platform needs the scenario's platform: true",
        ),
        (
            "kind: electricity\nconfig: {prepayment: {mode: meter}}\nplatform: true\n"
            "start: 2026-12-01\nsteps: [{at: +0s}]\n",
            ":3: the platform runs beside an electricity meter in central prepayment mode",
        ),
        (
            "kind: electricity\nplatform: {read_at: 1am}\nstart: 2026-12-01\nsteps: [{at: +0s}]\n",
            ":2: platform.read_at: expected a local time",
        ),
        (
            "kind: electricity\nstart: 2026-12-01\n"
            "steps: [{at: +0s, expect: {platform_balance: 1}}]\n",
            ":3: expect.platform_balance needs platform: true",
        ),
        ("", "empty file"),
    ],
)
def test_bad_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "f.yaml")
    assert message in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="No such file"):
        load_scenario(tmp_path / "nothing.yaml")


def _garbled(draw: st.DrawFn) -> str:
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        change = draw(st.sampled_from(["delete", "duplicate", "truncate", "insert", "indent"]))
        line = lines[index]
        if change == "delete":
            del lines[index]
        elif change == "duplicate":
            lines.insert(index, line)
        elif change == "truncate":
            lines[index] = line[: draw(st.integers(0, max(len(line) - 1, 0)))]
        elif change == "insert":
            lines.insert(index, draw(st.text(alphabet=" :-[]{}#&*!|>'\"%@`,?0123456789aZ+.\t")))
        else:
            lines[index] = "  " + line
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.composite(_garbled)())
def test_garbled_files_give_scenario_errors_never_tracebacks(text: str) -> None:
    try:
        scenario = parse_scenario(text, "g.yaml")
    except ScenarioError as error:
        assert all(line.startswith("g.yaml") for line in str(error).splitlines())
    else:
        assert scenario.steps


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "kind",
                        "start",
                        "steps",
                        "at",
                        "expect",
                        "actions",
                        "config",
                        "lcd",
                        "relay",
                        "balance",
                        "load",
                    ]
                ),
                children,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_any_yaml_document_gives_a_scenario_or_a_scenario_error(document: object) -> None:
    text = yaml.safe_dump(document)
    with contextlib.suppress(ScenarioError):
        parse_scenario(text, "any.yaml")


def test_amounts_keep_their_exact_text() -> None:
    text = "kind: electricity\nstart: 2026-12-01\nsteps: [{at: +0s, expect: {balance: 0.1575}}]\n"
    (step,) = parse_scenario(text, "m.yaml").steps
    assert step.expectations[0].expected == "0.15750"
    assert Money.parse("0.15750") == Money(15_750)


def test_a_scenario_serves_nothing_unless_its_file_asks() -> None:
    # A replay runs in-process: it must not take the default TCP port another meter holds.
    assert parse_scenario(GOOD, "good.yaml").config.communication.tcp is None
    served = GOOD.replace("config:\n", "config:\n  communication: {tcp: 127.0.0.1:0}\n", 1)
    assert parse_scenario(served, "served.yaml").config.communication.tcp == "127.0.0.1:0"
