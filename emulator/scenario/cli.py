"""``vmeter replay`` and ``vmeter record``.

    vmeter replay FILE [--speed N | --instant] [--junit OUT.xml] [--quiet]
    vmeter record --output FILE [run options]      actions on stdin, one per line

Replay prints a timeline (local time, action, LCD) and PASS/FAIL per expectation; exit code
0 all passed, 1 a check failed, 2 a bad file. The meter always runs instant (exact instants);
``--speed N`` only paces the steps in real time. A progress bar goes to stderr when it is a
terminal and the replay lasts. Record reads the action vocabulary (``press green 5s``,
``load 2000``, ``card insert 20.00``...) plus ``advance DURATION`` (instant runs, the default)
and ``quit``; at end of input it writes the scenario, whose last step expects the meter's end
state.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import yaml

from display.text import render_line
from emulator.cli import speed_option
from emulator.config import ConfigError, MeterConfig
from emulator.runtime import VirtualMeter
from emulator.scenario.actions import ActionContext, apply_action
from emulator.scenario.junit import junit_xml
from emulator.scenario.loader import action_problem, load_scenario
from emulator.scenario.model import Scenario
from emulator.scenario.player import EntryKind, ScenarioPlayer, TimelineEntry, build_virtual
from emulator.scenario.recorder import Recorder, check_destination
from emulator.scenario.vocabulary import VocabularyError, parse_action, parse_duration
from firmware.rules.localtime import to_local
from hal.clock import Clock

EXIT_OK, EXIT_FAILED = 0, 1
PROGRESS_AFTER_S = 0.5  # a replay shorter than this draws no bar
PROGRESS_EVERY_S = 0.1
BAR_WIDTH = 30


# -- vmeter replay ---------------------------------------------------------------------------


def configure_replay(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="scenario (YAML)")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed", metavar="N", type=float, help="pace the steps at N times real time"
    )
    pace.add_argument(
        "--instant", action="store_true", help="jump from event to event (the default)"
    )
    parser.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML results")
    parser.add_argument(
        "--quiet", action="store_true", help="print only failed checks and the summary"
    )


def replay_command(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.file)
    if args.speed is not None:
        speed_option(args.speed)
    virtual = build_virtual(scenario, instant=True)  # --speed paces it: run_paced
    rules = f" (rules {', '.join(scenario.rules)})" if scenario.rules else ""
    if not args.quiet:
        print(f"scenario: {scenario.name}{rules}, {scenario.config.kind} meter, {args.file}")
    bar = ProgressBar(scenario, virtual.clock) if sys.stderr.isatty() else None
    player = ScenarioPlayer(scenario, virtual, _timeline_printer(args.quiet, bar))
    began = time.monotonic()
    try:
        asyncio.run(_replay(player, args.speed, bar))
    except KeyboardInterrupt:
        virtual.shutdown()
        print("interrupted", file=sys.stderr)
        return 130
    seconds = time.monotonic() - began
    failed = [check for check in player.checks if not check.passed]
    print(
        f"{'PASSED' if not failed else 'FAILED'}: {len(player.checks) - len(failed)} of "
        f"{len(player.checks)} checks passed, {player.steps_played} steps, "
        f"{to_local(scenario.start):%Y-%m-%d %H:%M} to {to_local(scenario.end):%Y-%m-%d %H:%M} "
        f"in {seconds:.2f} s"
    )
    if args.junit is not None:
        try:
            args.junit.write_text(junit_xml(scenario, player.checks, seconds))
        except OSError as error:
            raise ConfigError(f"--junit {args.junit}: {error.strerror}") from error
    return EXIT_OK if not failed else EXIT_FAILED


class ProgressBar:
    """Simulated time done, on stderr (a terminal only), drawn once the replay has lasted
    ``PROGRESS_AFTER_S``; the timeline clears it before printing a line."""

    def __init__(self, scenario: Scenario, clock: Clock) -> None:
        self._start, self._end = scenario.start, scenario.end
        self._clock = clock
        self.shown = False

    async def run(self) -> None:
        await asyncio.sleep(PROGRESS_AFTER_S)
        while True:
            self.draw()
            await asyncio.sleep(PROGRESS_EVERY_S)

    def draw(self) -> None:
        span = max((self._end - self._start).total_seconds(), 1.0)
        now = self._clock.now()
        done = min(max((now - self._start).total_seconds() / span, 0.0), 1.0)
        filled = int(done * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        text = f"\r[{bar}] {done:4.0%} {to_local(now):%Y-%m-%d %H:%M}"
        print(text, end="", file=sys.stderr, flush=True)
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
            self.shown = False


async def _replay(player: ScenarioPlayer, speed: float | None, bar: ProgressBar | None) -> None:
    drawing = asyncio.create_task(bar.run()) if bar is not None else None
    try:
        await (player.run() if speed is None else player.run_paced(speed))
    finally:
        if drawing is not None:
            drawing.cancel()
        if bar is not None:
            bar.clear()


def _timeline_printer(quiet: bool, bar: ProgressBar | None) -> Callable[[TimelineEntry], None]:
    def show(entry: TimelineEntry) -> None:
        stamp = f"{to_local(entry.at):%Y-%m-%d %H:%M:%S %Z}"
        check = entry.check
        if check is not None:
            if quiet and check.passed:
                return
            verdict = "PASS" if check.passed else "FAIL"
            line = f"{stamp}  {verdict} line {entry.line}: {entry.text}"
        elif quiet:
            return
        else:
            marker = {EntryKind.NOTE: "#", EntryKind.ACTION: ">", EntryKind.LCD: "|"}[entry.kind]
            line = f"{stamp}  {marker} {entry.text}"
        if bar is not None:
            bar.clear()
        print(line, flush=True)

    return show


# -- vmeter record ---------------------------------------------------------------------------


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """``--output`` and ``--force``; the run options come from ``emulator.cli``."""
    parser.add_argument(
        "--output", "-o", metavar="FILE", type=Path, required=True, help="scenario to write"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def record_command(
    args: argparse.Namespace, config: MeterConfig, stdin: TextIO | None = None
) -> int:
    """Run the meter headless from ``config`` (instant unless ``--speed``), apply the actions
    read from stdin, then write the scenario."""
    if args.output.exists() and not args.force:
        raise ConfigError(f"{args.output} exists; use --force to overwrite it")
    check_destination(args.output)
    instant = args.speed is None
    virtual = VirtualMeter(config, replace(config.run, instant=instant, until=None))
    recorder = Recorder(config.kind, config_section(args), virtual.clock.now())
    stream = stdin or sys.stdin
    asyncio.run(_record(virtual, config, recorder, stream, instant))
    try:
        recorder.save(args.output, virtual)
    except OSError as error:
        raise ConfigError(f"{args.output}: {error.strerror}") from error
    finally:
        virtual.shutdown()
    print(f"wrote {args.output} ({len(recorder.actions)} actions)", file=sys.stderr)
    return EXIT_OK


async def _record(
    virtual: VirtualMeter, config: MeterConfig, recorder: Recorder, stream: TextIO, instant: bool
) -> None:
    context = ActionContext(virtual, config)
    loop = asyncio.get_running_loop()
    running = None if instant else asyncio.create_task(virtual.run_to(None))
    try:
        while True:
            line = await loop.run_in_executor(None, stream.readline)
            text = line.split("#", 1)[0].strip()
            if not line or text in ("quit", "exit"):
                return
            if not text:
                continue
            try:
                await _record_line(virtual, context, recorder, text, instant)
            except VocabularyError as error:
                print(f"not understood: {error}", file=sys.stderr, flush=True)
    finally:
        if running is not None:
            running.cancel()


async def _record_line(
    virtual: VirtualMeter, context: ActionContext, recorder: Recorder, text: str, instant: bool
) -> None:
    now = virtual.clock.now()
    if text.split()[0] == "advance":
        if not instant:
            raise VocabularyError("advance: time runs by itself at --speed")
        duration = parse_duration(text.removeprefix("advance").strip())
        await virtual.run_to(now + duration)
    else:
        action = parse_action(text)
        config = context.config
        problem = action_problem(action, config.kind, config.prepayment_mode)
        if problem is not None:
            raise VocabularyError(problem)
        outcome = apply_action(virtual, action, context)
        recorder.record(now, action)
        print(f"{to_local(now):%Y-%m-%d %H:%M:%S %Z}  > {outcome}", flush=True)
    stamp = f"{to_local(virtual.clock.now()):%Y-%m-%d %H:%M:%S %Z}"
    print(f"{stamp}  | {render_line(virtual.hal.lcd.state)}", flush=True)


def config_section(args: argparse.Namespace) -> dict[str, object]:
    """What the scenario's ``config:`` holds: the configuration file's keys (``kind`` and
    ``run`` aside) with ``--load-watts`` applied."""
    section: dict[str, object] = {}
    if args.config is not None:
        loaded = yaml.safe_load(args.config.read_text()) or {}
        section = {key: value for key, value in loaded.items() if key not in ("kind", "run")}
    if args.load_watts is not None:
        section["load"] = {"watts": args.load_watts}
    return section
