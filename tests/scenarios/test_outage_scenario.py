"""A grid outage in a scenario: the event log has it, and it is no P9 notice (rules E9, P9)."""

from __future__ import annotations

from emulator.scenario.loader import parse_scenario
from emulator.scenario.player import ScenarioPlayer, build_virtual

OUTAGE_SCENARIO = """\
name: a grid outage is logged, not notified
rules: [E9]
kind: electricity
start: "2026-11-27T10:00"
steps:
  - at: +1h
    actions: [outage 30m]
    expect:
      events: [grid outage]
      notifications: none
  - at: +1h
    expect:
      events: [grid return]
      notifications: none
      registers: {1.8.1: 750}   # 500 W for 2 h, but for the 30 minutes without grid
"""


async def test_an_outage_is_an_event_not_a_notification() -> None:  # rules E9, P9
    scenario = parse_scenario(OUTAGE_SCENARIO, "outage.yaml")
    player = ScenarioPlayer(scenario, build_virtual(scenario, instant=True))
    await player.run()
    assert player.finished and player.passed, player.checks
