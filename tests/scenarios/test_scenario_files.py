"""Every scenario in scenarios/ replays green (instant), and a broken one fails naming its line.
Each file names the rules it covers; together they cover the issue's rule groups."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.scenario.loader import load_scenario
from emulator.scenario.player import ScenarioPlayer, build_virtual

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_scenario_passes(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.rules, f"{path.name} names no rule"
    player = ScenarioPlayer(scenario, build_virtual(scenario, instant=True))
    asyncio.run(player.run())
    failed = [check for check in player.checks if not check.passed]
    assert not failed
    assert player.finished and player.checks


def test_the_issues_rule_groups_are_covered() -> None:
    # the groups issue 8 lists: P4 P5, B7, P3, E8 M2, B3 B11, G3 G4, M4, P1, E2 M7
    covered = {rule for path in FILES for rule in load_scenario(path).rules}
    wanted = {"P4", "P5", "B7", "P3", "E8", "M2", "B3", "B11", "G3", "G4", "M4", "P1", "E2"}
    assert wanted | {"M7"} <= covered


def test_replay_command_prints_the_timeline_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    # rules E8, M2
    assert main(["replay", str(SCENARIOS / "reconnection-by-button.yaml")]) == 0
    out = capsys.readouterr().out
    assert "> press green 5s: green button held" in out
    assert "PASS line" in out and "FAIL" not in out
    assert re.search(r"PASSED: (\d+) of \1 checks passed", out)


def test_a_broken_scenario_fails_with_exit_1_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (SCENARIOS / "starting-credit-repaid.yaml").read_text()
    broken = text.replace('balance: "60.00"', 'balance: "61.00"')
    line = broken.splitlines().index('      balance: "61.00"') + 1
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    assert main(["replay", "--quiet", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL line {line}: balance = 61.00 (got 60.00)" in out
    assert "PASS line" not in out  # --quiet: failures only


def test_a_bad_file_exits_2_with_line_numbered_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("kind: electricity\nstart: 2026-12-01T10:00\nsteps:\n  - at: soon\n")
    assert main(["replay", str(path)]) == 2
    assert f"{path}:4: at: expected an ISO date-time" in capsys.readouterr().err


def test_a_paced_replay_checks_the_same_instants(capsys: pytest.CaptureFixture[str]) -> None:
    # rules G3, G4: --speed paces the steps; the meter still jumps to each step's instant
    path = SCENARIOS / "gas-leak-test-pass.yaml"
    assert main(["replay", "--quiet", "--speed", "1000000", str(path)]) == 0
    assert capsys.readouterr().out.startswith("PASSED: 21 of 21")
