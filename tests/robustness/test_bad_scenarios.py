"""Brief: bad scenario files get a clear error. Every kind of bad value (times, actions the meter
kind has not, expectations only another kind has) stops ``vmeter replay`` with exit code 2 and
one ``FILE:LINE`` line before anything runs; and any file that does load replays to PASSED or
FAILED (exit 0 or 1), never a traceback, whatever its actions ask of the meter."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emulator.cli import main
from emulator.scenario.loader import ScenarioError, parse_scenario

HEADS = {
    "electricity": "kind: electricity\nconfig:\n  prepayment: {mode: meter}\n",
    "gas": "kind: gas\nconfig:\n  prepayment: {mode: central}\n",
    "budget": "kind: budget\n",
}
START = 'start: "2026-12-01T10:00"\nsteps:\n'


def scenario(kind: str, steps: str) -> str:
    return f"name: bad\n{HEADS[kind]}{START}{steps}"


def step(*, at: str = "+0s", actions: str | None = None, expect: str | None = None) -> str:
    text = f"  - at: {at}\n"
    if actions is not None:
        text += f"    actions: [{actions}]\n"
    if expect is not None:
        text += f"    expect: {{{expect}}}\n"
    return text


BAD = {
    # times
    "a word for a time": ("electricity", step(at="yesterday"), "at: expected an ISO date-time"),
    "a negative offset": ("electricity", step(at="-1h"), "at: expected an ISO date-time"),
    "a month 13": ("electricity", step(at='"2026-13-01T10:00"'), "expected an ISO date-time"),
    "a bare number": ("electricity", step(at="5"), "at: expected an ISO date-time"),
    "no time": ("electricity", "  - at:\n", "at: expected an ISO date-time"),
    "a list for a time": ("electricity", step(at="[1]"), "at must be a single value"),
    "beyond ten years": ("electricity", step(at="+99999999d"), "longer than ten years"),
    "before the start": ("electricity", step(at='"2026-11-30T10:00"'), "before the previous"),
    "going back": (
        "gas",
        step(at='"2026-12-02T10:00"') + step(at='"2026-12-01T12:00"'),
        "before the previous step",
    ),
    # actions the kind has not
    "gas: a load": ("gas", step(actions="load 1000"), "not gas"),
    "gas: a card": ("gas", step(actions="card insert 10"), "is for budget meters, not gas"),
    "gas: a breaker": ("gas", step(actions="breaker trip"), "not gas"),
    "gas: a grid outage": ("gas", step(actions="outage 1h"), "not gas"),
    "gas: a token top-up": ("gas", step(actions="topup 10"), "not gas"),
    "gas: the green button": ("gas", step(actions="press green"), "has no 'green' button"),
    "electricity: a flow": ("electricity", step(actions="flow 100"), "not electricity"),
    "electricity: a card": ("electricity", step(actions="card insert 5"), "not electricity"),
    "budget: a token": ("budget", step(actions="topup 10"), "not budget"),
    "budget: a flow": ("budget", step(actions="flow 10"), "not budget"),
    "an unknown action": ("gas", step(actions="sing loudly"), "unknown action 'sing'"),
    "an unknown button": ("electricity", step(actions="press purple"), "no 'purple' button"),
    "a ten-minute press": ("electricity", step(actions="press green 1h"), "at most 600s"),
    "a load beyond a house": ("electricity", step(actions="load 99999999999"), "load must be"),
    "a malformed amount": ("electricity", step(actions="topup abc"), "not an amount of money"),
    "a platform top-up without one": (
        "electricity",
        step(actions="topup 10 via platform"),
        "needs the scenario's platform: true",
    ),
    "a bad OBIS code": ("electricity", step(actions="headend read 1.2.3.4.5.6.7"), "not an OBIS"),
    "a nested action": ("electricity", step(actions="[load, 100]"), "a single value"),
    # expectations only another kind has
    "gas: registers": ("gas", step(expect="registers: {1.8.1: 0}"), "not gas"),
    "gas: the relay": ("gas", step(expect="relay: connected"), "not gas"),
    "gas: a card inserted": ("gas", step(expect="card: inserted"), "unknown key 'card'"),
    "electricity: the valve": ("electricity", step(expect="valve: connected"), "not electricity"),
    "electricity: the leak test": ("electricity", step(expect="leak_test: armed"), "gas meters"),
    "electricity: a volume": ("electricity", step(expect="volume: 0"), "not electricity"),
    # bad expected values
    "an unknown register": ("electricity", step(expect="registers: {9.9.9: 0}"), "9.9.9"),
    "a negative register": ("electricity", step(expect="registers: {1.8.1: -1}"), "whole number"),
    "a balance in words": ("electricity", step(expect="balance: lots"), "not an amount"),
    "an unknown relay state": ("electricity", step(expect="relay: maybe"), "expected one of"),
    # LCD symbols the meter's LCD has not (rules E5, B5, G3): refused on loading, with the list
    "electricity: a nonsense symbol": (
        "electricity",
        step(expect="lcd: {symbols: [nonsense]}"),
        "lcd.symbols: the electricity meter's LCD has no symbol 'nonsense' (known: A, L1, L2, L3,",
    ),
    "gas: the tariff symbol": (
        "gas",
        step(expect="lcd: {hidden: [T1]}"),
        "no symbol 'T1' (known: arrow-arrow, arrow-euro, arrow-m3, leak-warning, valve-closed,",
    ),
    "budget: a blinking euro arrow": (
        "budget",
        step(expect="lcd: {blinking: [euro-arrow]}"),
        "lcd.blinking: the budget meter's LCD has no symbol 'euro-arrow' (known: A, triangle)",
    ),
}


@pytest.mark.parametrize(("kind", "steps", "says"), BAD.values(), ids=BAD.keys())
def test_a_bad_value_is_one_line_naming_file_and_line_and_exit_2(
    kind: str, steps: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(scenario(kind, steps))
    assert main(["replay", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran
    assert captured.err.startswith(f"vmeter: error: {path}:") and captured.err.count("\n") == 1
    assert says in captured.err


LINES = {  # lines each kind takes, some of which its meter refuses when they come
    "electricity": ["load 3000", "load -2000", "load 0", "press green", "press green 5s",
                    "topup 10", "topup 0.01", "topup 250", "topup -1.00", "outage 2h",
                    "breaker trip", "breaker rearm", "headend read 1.8.1", "headend read 24.2.1",
                    "headend disconnect", "headend reconnect", "headend balance 5.00"],
    "gas": ["flow 0", "flow 200", "flow 99999", "press arrow", "press euro", "press m3 3s",
            "headend disconnect", "headend reconnect", "headend balance -15.00 emergency 0.00",
            "headend balance 20.00 emergency 15.00", "headend read 1.8.1"],
    "budget": ["load 3000", "card insert 10", "card insert 0", "card insert foreign",
               "card remove", "press green 5s", "outage 1h", "breaker trip", "breaker rearm",
               "headend disconnect"],
}  # fmt: skip
ODD_LINES = ["sing", "press", "flow", "card insert", "topup abc", "load 1e3", "headend", "hold x"]
GOOD_TIMES = st.sampled_from(["+0s", "+1m", "+6h", "+1w", "+0.5s", "+3d4h5m", '"2027-01-01"'])
BAD_TIMES = st.sampled_from(
    ["-1h", "+1x", '"2026-12-01"', '"2026-12-01T10:00+05:00"', '"2026-03-29T02:30"', "tomorrow", ""]
)
TIMES = st.one_of(*[GOOD_TIMES] * 9, BAD_TIMES)  # mostly files that load
EXPECTS = st.sampled_from(
    ["relay: connected", "valve: disconnected", "leak_test: armed", "balance: 20",
     "registers: {1.8.1: 0}", "volume: 0", "lcd: {symbols: [T1]}", "lcd: {blinking: [x]}",
     "platform_balance: 1"]
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(HEADS)), st.data())
def test_any_file_is_refused_in_lines_or_replays_to_a_verdict(
    kind: str, data: st.DataObject
) -> None:
    kind_lines = st.sampled_from(LINES[kind])
    lines = st.one_of(*[kind_lines] * 9, st.sampled_from(ODD_LINES))
    steps = data.draw(
        st.lists(
            st.tuples(TIMES, st.lists(lines, max_size=3), st.one_of(st.none(), EXPECTS)),
            min_size=1,
            max_size=4,
        )
    )
    body = "".join(
        step(at=at, actions=", ".join(actions) or None, expect=expect)
        for at, actions, expect in steps
    )
    text = scenario(kind, body)
    try:
        parse_scenario(text, "any.yaml")
    except ScenarioError as error:
        assert all(line.startswith("any.yaml:") for line in str(error).splitlines())
        event("refused")
        return
    event("replayed")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "any.yaml"
        path.write_text(text)
        assert main(["replay", "--quiet", str(path)]) in (0, 1)
