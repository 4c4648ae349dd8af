"""Replay controls drive the meter's clock (play, pause, speed, next event, step); a scenario
replays to its end on screen with its checks in the event log, and every scenario in
scenarios/ stepped on screen judges its checks as a headless replay does; a session's inputs
are recorded as a scenario that replays to the same end state."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from tui_meter import SIZE, START, log_text, meter_app, meter_config, next_event, status

from display.widgets import ConsumptionPlot, ReplayControls
from emulator.config import ConfigError
from emulator.runtime import VirtualMeter
from emulator.scenario.loader import load_scenario, parse_scenario
from emulator.scenario.model import Scenario
from emulator.scenario.player import ScenarioPlayer, build_virtual
from emulator.scenario.recorder import Recorder
from emulator.tui.app import MeterApp
from emulator.tui.controller import ReplayController

SCENARIOS = Path(__file__).parents[2] / "scenarios"


async def run_ended(app: MeterApp) -> None:
    """The last step was the scenario's end: wait for the meter's run to finish on screen."""
    assert app.meter_worker is not None
    await app.meter_worker.wait()
    assert app.controller.ended


@contextlib.asynccontextmanager
async def stepped_on_screen(scenario: Scenario) -> AsyncIterator[tuple[MeterApp, ScenarioPlayer]]:
    """``scenario`` stepped to its end on screen (``s`` for each step, paused between them);
    the app still runs inside the block."""
    virtual = build_virtual(scenario, instant=False)
    app = MeterApp(virtual, scenario.config, start_paused=True, blink_interval_s=None)
    player = ScenarioPlayer(scenario, virtual, app.show_timeline)
    app.follow(player)
    async with app.run_test(size=SIZE) as pilot:
        for _ in scenario.steps:
            await pilot.press("s")
            await app.replay_done()
        await run_ended(app)
        yield app, player


async def test_play_pause_and_speed_move_the_clock() -> None:
    app = meter_app()
    async with app.run_test(size=SIZE) as pilot:
        controller = app.controller
        assert not controller.playing
        await pilot.press("plus", "plus")
        assert controller.speed == 60
        assert app.query_one(ReplayControls).speed == 60
        await pilot.press("minus")
        assert controller.speed == 10
        await pilot.press("space")
        assert controller.playing and app.query_one(ReplayControls).playing
        await pilot.press("space")
        assert not controller.playing
        paused_at = app.virtual.clock.now()
        await pilot.pause()
        assert app.virtual.clock.now() == paused_at  # a paused clock stands still


async def test_next_event_fills_the_consumption_plot() -> None:  # 15-minute profile (E3)
    app = meter_app()  # 500 W: 125 Wh a quarter hour
    async with app.run_test(size=SIZE) as pilot:
        while app.virtual.clock.now() < START + timedelta(minutes=45):
            await next_event(app, pilot)
        app.refresh_view()
        await pilot.pause()
        plot = app.query_one(ConsumptionPlot)
        assert plot.values == (125, 125)
        assert all(row == "██" for row in plot.bars)  # an even load: two full bars
        assert "10:45:00 CET" in status(app)


async def test_a_scenario_replays_to_its_end_with_every_check_passed() -> None:  # P3, P4, P5
    scenario = load_scenario(SCENARIOS / "weekend-ndp-smart-meter.yaml")
    async with stepped_on_screen(scenario) as (app, player):
        assert player.finished and player.checks and player.passed
        assert app.controller.ended
        log = log_text(app)
        assert f"PASSED: {len(player.checks)} of {len(player.checks)} checks passed" in log
        assert "PASS relay = disconnected" in log
        assert "ended" in status(app)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.stem)
async def test_every_scenario_steps_to_the_same_verdicts_as_a_headless_replay(path: Path) -> None:
    scenario = load_scenario(path)
    async with stepped_on_screen(scenario) as (_, player):
        pass
    headless = ScenarioPlayer(scenario, build_virtual(scenario, instant=True))
    await headless.run()
    assert player.finished
    assert verdicts(player) == verdicts(headless)


def verdicts(player: ScenarioPlayer) -> list[tuple[int, str, str, bool]]:
    return [(check.line, check.what, check.actual, check.passed) for check in player.checks]


BUDGET_SCENARIO = """\
name: card load on a budget meter
rules: [B3, B8]
kind: budget
start: "2026-11-27T10:00"
steps:
  - at: +1m
    actions: [press blue]
    expect:
      lcd: {code: "8.8.8.8.8"}
  - at: +2m
    actions: ["card insert 25.00"]
  - at: +3m
    expect:
      balance: "48.62"
"""


async def test_a_scenario_written_here_replays_in_the_tui(tmp_path: Path) -> None:  # B3, B8
    path = tmp_path / "card.yaml"
    path.write_text(BUDGET_SCENARIO)
    async with stepped_on_screen(load_scenario(path)) as (_, player):
        assert player.finished and player.passed, player.checks


async def test_inputs_are_recorded_as_a_scenario_that_replays() -> None:  # rules E6, E8
    config = meter_config()
    recorder = Recorder("electricity", {}, START)
    app = meter_app(config=config)
    app.on_action = recorder.record
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await next_event(app, pilot, 2)
        await pilot.press("g", "G")
        await pilot.pause()
        text = recorder.text(app.virtual)
    assert [action.describe() for _, action in recorder.actions] == [
        "press green",
        "press green",
        "press green 5s",
    ]
    scenario = parse_scenario(text, "recorded")
    replayed = build_virtual(scenario, instant=True)
    player = ScenarioPlayer(scenario, replayed)
    await player.run()
    assert player.finished and player.passed, player.checks


def test_the_tui_needs_a_scaled_clock() -> None:
    config = meter_config()
    run = replace(config.run, instant=True, until=START + timedelta(hours=1))
    try:
        ReplayController(VirtualMeter(config, run))
    except ConfigError as error:
        assert "--speed" in str(error)
    else:
        raise AssertionError("an instant run was accepted")
