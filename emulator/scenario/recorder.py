"""Record a live session (``vmeter record``, the TUI) as a scenario file that replays to the
same end state.

``record(at, action)`` keeps each action with the meter's instant; ``save(path, virtual)``
writes the scenario: the configuration it ran with, one step per instant with actions, and a
final step at the meter's present instant expecting what the meter then shows (LCD code and
value, relay or valve, balance, registers or volume).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import yaml

from emulator.config import ConfigError
from emulator.runtime import VirtualMeter
from emulator.scenario.expectations import Observer
from emulator.scenario.model import Action
from firmware.rules.localtime import to_local

NO_BALANCE = "none"


def check_destination(path: Path) -> None:
    """Refuse now a file the session could not be saved to at its end (``ConfigError``), rather
    than lose the inputs of a whole session then."""
    directory = path.parent
    if not directory.is_dir():
        raise ConfigError(f"{path}: there is no directory {directory}")
    if not os.access(directory, os.W_OK):
        raise ConfigError(f"{path}: cannot write in {directory}")


class Recorder:
    """The actions of one session on a meter of ``kind`` configured by ``config`` (the keys of
    a configuration file, without ``kind`` and ``run``), started at ``start``."""

    def __init__(
        self,
        kind: str,
        config: Mapping[str, object],
        start: datetime,
        name: str = "recorded session",
    ) -> None:
        self.kind = kind
        self.config = dict(config)
        self.start = start
        self.name = name
        self.actions: list[tuple[datetime, Action]] = []

    def record(self, at: datetime, action: Action) -> None:
        self.actions.append((at, action))

    def save(self, path: Path, virtual: VirtualMeter) -> None:
        """Write the scenario, expecting the meter's state as it is now."""
        path.write_text(self.text(virtual))

    def text(self, virtual: VirtualMeter) -> str:
        end = virtual.clock.now()
        lines = [
            f"name: {_quoted(self.name)}",
            f"description: {_quoted(f'recorded by vmeter record, {len(self.actions)} actions')}",
            f"kind: {self.kind}",
        ]
        if self.config:
            config = yaml.safe_dump({"config": self.config}, sort_keys=False, allow_unicode=True)
            lines.append(config.rstrip("\n"))
        lines += [f"start: {_instant(self.start)}", "steps:"]
        for at, actions in self._steps():
            lines.append(f"  - at: {_instant(at)}")
            lines.append("    actions:")
            lines += [f"      - {_quoted(action.describe())}" for action in actions]
        lines.append(f"  - at: {_instant(end)}")
        lines.append("    note: the end state of the recorded session")
        lines.append("    expect:")
        lines += [f"      {line}" for line in self._end_state(virtual)]
        return "\n".join(lines) + "\n"

    def _steps(self) -> list[tuple[datetime, list[Action]]]:
        """Actions grouped by instant, in order."""
        steps: list[tuple[datetime, list[Action]]] = []
        for at, action in self.actions:
            if steps and steps[-1][0] == at:
                steps[-1][1].append(action)
            else:
                steps.append((at, [action]))
        return steps

    def _end_state(self, virtual: VirtualMeter) -> list[str]:
        observer = Observer(virtual)
        virtual.firmware.advance_to(virtual.clock.now())
        lcd = virtual.hal.lcd.state
        lines = [f"lcd: {{code: {_quoted(lcd.code)}, value: {_quoted(lcd.value)}}}"]
        if self.kind == "gas":
            lines.append(f"valve: {observer.observe('valve')}")
            lines.append(f"leak_test: {observer.observe('leak_test')}")
            lines.append(f"volume: {observer.observe('volume')}")
        else:
            lines.append(f"relay: {observer.observe('relay')}")
            registers = ", ".join(
                f"{code}: {observer.observe(f'register {code}')}"
                for code in ("1.8.1", "1.8.2", "2.8.1", "2.8.2")
            )
            lines.append(f"registers: {{{registers}}}")
        balance = observer.observe("balance")
        if not balance.startswith(NO_BALANCE):
            lines.append(f"balance: {_quoted(balance)}")
            if self.kind != "budget":
                lines.append(f"emergency_credit: {_quoted(observer.observe('emergency_credit'))}")
        return lines


def _instant(moment: datetime) -> str:
    """Brussels local time with its offset (unambiguous across a DST change)."""
    return _quoted(to_local(moment).isoformat())


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)
