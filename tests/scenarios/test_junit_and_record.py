"""`vmeter replay --junit` writes JUnit XML a CI reads; `vmeter record` writes a scenario that
replays to the same end state."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_junit_has_one_testcase_per_expectation(tmp_path: Path) -> None:
    source = SCENARIOS / "gas-leak-test-pass.yaml"
    broken = tmp_path / "leak.yaml"
    broken.write_text(source.read_text().replace("volume: 800", "volume: 801"))
    out = tmp_path / "out.xml"
    assert main(["replay", "--quiet", "--junit", str(out), str(broken)]) == 1
    suite = ElementTree.parse(out).getroot()
    expected = sum(len(step.expectations) for step in load_scenario(broken).steps)
    cases = suite.findall("testcase")
    assert suite.tag == "testsuite" and len(cases) == expected == int(suite.get("tests", ""))
    failed = [case for case in cases if case.find("failure") is not None]
    assert suite.get("failures") == "1" and len(failed) == 1
    failure = failed[0].find("failure")
    assert failure is not None and failure.get("message") == "expected 801, got 800"
    assert "volume = 801" in failed[0].get("name", "")


SESSION = """\
load 3000
advance 20h
press green
advance 1d
topup 30.00        # meter-side token through the head-end
advance 3h
press green 5s
breaker trip
advance 10m
breaker rearm
outage 2h
advance 6h
wiggle             # not understood: reported, not recorded
quit
"""


def test_record_then_replay_reaches_the_same_end_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # rules E8, E9, P3, P4: a cut, a top-up, the button, the breaker, an outage
    config = tmp_path / "meter.yaml"
    config.write_text("kind: electricity\nprepayment: {mode: meter}\nload: {watts: 500}\n")
    recorded = tmp_path / "session.yaml"
    monkeypatch.setattr("sys.stdin", io.StringIO(SESSION))
    args = ["record", "--config", str(config), "--start", "2026-12-01T09:00", "-o", str(recorded)]
    assert main(args) == 0
    output = capsys.readouterr()
    assert "not understood: unknown action 'wiggle'" in output.err
    scenario = load_scenario(recorded)
    assert [action.describe() for step in scenario.steps for action in step.actions] == [
        "load 3000",
        "press green",
        "topup 30.00",
        "press green 5s",
        "breaker trip",
        "breaker rearm",
        "outage 2h",
    ]
    final = scenario.steps[-1]
    assert {expectation.what for expectation in final.expectations} >= {
        "lcd.code",
        "lcd.value",
        "relay",
        "balance",
        "register 1.8.1",
    }
    assert main(["replay", str(recorded)]) == 0
    assert "FAIL" not in capsys.readouterr().out
    assert main(["record", "-o", str(recorded), "--kind", "gas"]) == 2  # exists, no --force
