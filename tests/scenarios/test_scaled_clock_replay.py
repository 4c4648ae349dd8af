"""A meter on a scaled clock (the TUI's, `vmeter run --speed`) plays a scenario exactly as an
instant replay does, however fast: steps happen at their own instant, and a late wake-up of the
run loop cannot move a cut, a tariff switch or the money charged before it (rules P4, B7, G3,
E2, M7 through the scenarios' own checks)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from emulator.scenario.loader import load_scenario
from emulator.scenario.player import ScenarioPlayer, build_virtual

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
SPEED = 1_000_000  # a week in 0.6 s: the loop's wake-ups land minutes of meter time late


def verdicts(path: Path, *, instant: bool) -> list[tuple[int, str, bool]]:
    scenario = load_scenario(path)
    player = ScenarioPlayer(scenario, build_virtual(scenario, instant=instant, speed=SPEED))
    asyncio.run(player.run())
    assert player.finished
    return [(check.line, check.actual, check.passed) for check in player.checks]


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_a_scaled_clock_replays_like_an_instant_one(path: Path) -> None:
    scaled = verdicts(path, instant=False)
    assert scaled == verdicts(path, instant=True)
    assert all(passed for _, _, passed in scaled)
