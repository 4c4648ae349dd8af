"""Play a ``Scenario`` on a ``VirtualMeter``: each step is scheduled on the meter's own run loop
(``VirtualMeter.schedule``), so it happens at its simulated instant whatever the pace
(instant, scaled, or paused and stepped by the TUI), after anything else due at the same
instant (the platform's orders, the end of an outage). At a step: its note, its actions
(``apply_action``), the LCD as it then is, and one ``Check`` per expectation; everything goes
to ``on_event`` as ``TimelineEntry`` items as it happens.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from display.text import render_line
from emulator.config import RunConfig
from emulator.runtime import VirtualMeter
from emulator.scenario.actions import ActionContext, apply_action
from emulator.scenario.central import CentralPlatform
from emulator.scenario.expectations import Observer
from emulator.scenario.model import Scenario, Step
from hal.lcd import LcdListener


@dataclass(frozen=True)
class Check:
    """One expectation judged at its step."""

    line: int
    at: datetime
    what: str
    expected: str
    actual: str
    passed: bool


class EntryKind(enum.Enum):
    NOTE = "note"
    ACTION = "action"
    LCD = "lcd"
    CHECK = "check"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    line: int
    kind: EntryKind
    text: str
    check: Check | None = None


TimelineListener = Callable[[TimelineEntry], None]


def build_virtual(
    scenario: Scenario,
    *,
    instant: bool,
    speed: float = 1.0,
    state: Path | None = None,
    on_lcd: LcdListener | None = None,
) -> VirtualMeter:
    """The scenario's meter, starting at its start and stopping after its last step."""
    run = RunConfig(
        state=state, speed=speed, instant=instant, start=scenario.start, until=scenario.end
    )
    return VirtualMeter(scenario.config, run, on_lcd=on_lcd)


class ScenarioPlayer:
    def __init__(
        self,
        scenario: Scenario,
        virtual: VirtualMeter,
        on_event: TimelineListener | None = None,
    ) -> None:
        self.scenario = scenario
        self.virtual = virtual
        self.checks: list[Check] = []
        self.steps_played = 0
        self._on_event = on_event
        self._context = ActionContext(virtual, scenario.config)
        self.central: CentralPlatform | None = None
        if scenario.platform is not None:
            line = scenario.platform.line
            self.central = CentralPlatform(
                virtual,
                scenario.config,
                self._context.headend,
                partial(self._report, line),
                scenario.platform.read_at,
            )
            self._context.central = self.central
        self._observer = Observer(virtual, self.central)

    @property
    def end(self) -> datetime:
        return self.scenario.end

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def finished(self) -> bool:
        return self.steps_played == len(self.scenario.steps)

    def attach(self) -> None:
        """Schedule every step on the meter's run loop."""
        if self.central is not None:
            self.central.attach(self.scenario.start, self.end)
        for step in self.scenario.steps:
            self.virtual.schedule(step.at, partial(self._after_the_rest, step))

    def next_step_at(self) -> datetime | None:
        """When the next step not yet played happens (None when all are played)."""
        steps = self.scenario.steps
        return steps[self.steps_played].at if self.steps_played < len(steps) else None

    async def run(self) -> None:
        """Attach and run the meter to the scenario's end."""
        self.attach()
        await self.virtual.run(until=self.end)

    async def run_paced(self, speed: float) -> None:
        """Attach and run an instant meter step by step, waiting in real time between steps
        as if the clock ran at ``speed`` times real time. The meter jumps exactly to each
        step's instant (a scaled clock lands a step late by the event loop's timer jitter
        times the speed, enough to move a register), so the checks are those of an instant
        replay, shown at a watchable pace."""
        virtual = self.virtual
        if virtual.simulated_clock is None:
            raise ValueError("run_paced needs an instant meter (build_virtual(instant=True))")
        self.attach()
        reached = virtual.clock.now()
        try:
            for at in sorted({step.at for step in self.scenario.steps}):
                await asyncio.sleep(max((at - reached).total_seconds(), 0.0) / speed)
                await virtual.run_to(at)
                reached = at
        finally:
            virtual.shutdown(reached)

    def _after_the_rest(self, step: Step) -> None:
        """Queue the step again at its own instant, behind whatever else is due then (the
        platform's orders, a grid's return): the step acts and checks last."""
        self.virtual.schedule(step.at, partial(self._play, step))

    def _play(self, step: Step) -> None:
        virtual = self.virtual
        now = virtual.clock.now()
        virtual.firmware.advance_to(now)
        if step.note:
            self._emit(TimelineEntry(now, step.line, EntryKind.NOTE, step.note))
        for action in step.actions:
            outcome = apply_action(virtual, action, self._context)
            text = f"{action.describe()}: {outcome}"
            self._emit(TimelineEntry(now, step.line, EntryKind.ACTION, text))
        lcd = render_line(virtual.hal.lcd.state)
        self._emit(TimelineEntry(now, step.line, EntryKind.LCD, lcd))
        for expectation in step.expectations:
            actual, passed = self._observer.judge(expectation)
            check = Check(
                expectation.line, now, expectation.what, expectation.expected, actual, passed
            )
            self.checks.append(check)
            text = f"{check.what} = {check.expected}" + ("" if passed else f" (got {actual})")
            self._emit(TimelineEntry(now, expectation.line, EntryKind.CHECK, text, check))
        self._observer.step_done()
        self.steps_played += 1

    def _report(self, line: int, text: str) -> None:
        self._emit(TimelineEntry(self.virtual.clock.now(), line, EntryKind.ACTION, text))

    def _emit(self, entry: TimelineEntry) -> None:
        if self._on_event is not None:
            self._on_event(entry)
