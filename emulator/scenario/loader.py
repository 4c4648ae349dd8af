"""Scenario files (YAML) -> ``Scenario``, every error as ``FILE:LINE: message``.

The loader walks PyYAML's node tree (as ``emulator.config`` does) so each error names its
line, and keeps going after an error so one run reports every bad step at once. Times and
amounts are read from the scalars' own text, never from YAML's implicit floats and
timestamps: ``balance: 12.50`` is exactly 12.50 EUR, ``at: 2026-11-27 16:00`` is Brussels
local time. The format is documented in ``scenarios/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import yaml

from emulator.config import (
    ConfigError,
    MeterConfig,
    compose_yaml,
    config_from_node,
    parse_instant,
)
from emulator.scenario.model import (
    Action,
    BreakerTrip,
    Expectation,
    GridOutage,
    HeadendCommand,
    InsertCard,
    PlatformSettings,
    PressButton,
    RearmBreaker,
    RemoveCard,
    Scenario,
    SetFlow,
    SetLoad,
    Step,
    TopUp,
    format_money,
)
from emulator.scenario.vocabulary import VocabularyError, parse_action, parse_duration
from firmware.budget.blue_cycle import BUDGET_SYMBOLS
from firmware.gas.display import GAS_SYMBOLS
from firmware.gas.leak_test import LeakTestState
from firmware.rules.money import Money, MoneyError
from firmware.screens import ALL_SYMBOLS

KINDS = ("electricity", "budget", "gas")
TOP_KEYS = ("name", "description", "rules", "kind", "config", "platform", "start", "steps")
PLATFORM_KEYS = ("read_at",)
STEP_KEYS = ("at", "note", "actions", "expect")
LCD_KEYS = ("code", "value", "unit", "symbols", "blinking", "hidden", "backlight")
LCD_SYMBOLS = {"electricity": ALL_SYMBOLS, "budget": BUDGET_SYMBOLS, "gas": GAS_SYMBOLS}
"""The symbols each kind's LCD has: an expectation on another one could never pass."""
RULE = re.compile(r"[EGPBRM]\d{1,2}")
CONTROL_STATES = ("connected", "disconnected", "ready_for_reconnection")
LEAK_TEST_STATES = tuple(state.value for state in LeakTestState)
NOTIFICATIONS = (
    "low_credit",
    "emergency_credit",
    "disconnection_imminent",
    "disconnected",
    "top_up",
    "reconnection_enabled",  # the platform's (P8)
    "consumption_alert",  # the platform's (R2)
)
REGISTER_CODES = ("1.8.1", "1.8.2", "2.8.1", "2.8.2")
BUTTONS = {"electricity": ("green",), "budget": ("red", "blue"), "gas": ("euro", "arrow", "m3")}
EXPECT_KINDS: dict[str, tuple[str, ...]] = {
    "lcd": KINDS,
    "relay": ("electricity", "budget"),
    "valve": ("gas",),
    "leak_test": ("gas",),
    "balance": KINDS,
    "platform_balance": ("electricity",),
    "emergency_credit": KINDS,
    "registers": ("electricity", "budget"),
    "volume": ("gas",),
    "events": ("electricity", "budget"),
    "notifications": ("electricity", "budget"),
}
ACTION_KINDS: dict[type, tuple[str, ...]] = {
    SetLoad: ("electricity", "budget"),
    SetFlow: ("gas",),
    PressButton: KINDS,
    InsertCard: ("budget",),
    RemoveCard: ("budget",),
    TopUp: ("electricity",),
    HeadendCommand: ("electricity", "gas"),
    GridOutage: ("electricity", "budget"),
    BreakerTrip: ("electricity", "budget"),
    RearmBreaker: ("electricity", "budget"),
}


def action_problem(
    action: Action, kind: str, prepayment: str | None = None, platform: bool = False
) -> str | None:
    """Why a meter of ``kind`` in ``prepayment`` mode (with the central platform or not)
    cannot take ``action`` (None: it can)."""
    kinds = ACTION_KINDS[type(action)]
    if kind not in kinds:
        return f"{action.describe()!r} is for {' or '.join(kinds)} meters, not {kind}"
    if isinstance(action, TopUp) and action.via == "platform" and not platform:
        return "topup via platform needs the scenario's platform: true"
    if isinstance(action, TopUp) and action.via == "token" and prepayment != "meter":
        return "a top-up token needs prepayment mode meter (or topup ... via platform)"
    if isinstance(action, PressButton) and action.name not in BUTTONS[kind]:
        buttons = ", ".join(BUTTONS[kind])
        return f"a {kind} meter has no {action.name!r} button (it has {buttons})"
    return None


class ScenarioError(ConfigError):
    """A bad scenario file: one ``FILE:LINE: message`` per line of the message, all the
    problems found in one pass (``errors``)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = tuple(errors)


class _Problem(Exception):
    """One error at one node, collected by the loader."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file; raises ``ScenarioError``."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([f"{path}: {getattr(error, 'strerror', None) or error}"]) from None
    return parse_scenario(text, str(path), base=path.parent)


def parse_scenario(text: str, source: str, base: Path | None = None) -> Scenario:
    """Parse scenario text; relative paths in its ``config`` are taken from ``base``."""
    try:
        root = compose_yaml(text, source)
    except ConfigError as error:
        raise ScenarioError([str(error)]) from None
    if root is None:
        raise ScenarioError([f"{source}: empty file (a scenario needs kind, start and steps)"])
    return _Loader(source, base or Path.cwd()).scenario(root)


class _Loader:
    def __init__(self, source: str, base: Path) -> None:
        self._source = source
        self._base = base
        self._errors: list[str] = []
        self._meter: tuple[str | None, str | None, bool] = (None, None, False)
        """The meter kind, its prepayment mode and whether the platform runs (for steps)."""

    # -- collecting errors --

    def _record(self, problem: _Problem) -> None:
        self._errors.append(f"{self._source}:{problem.node.start_mark.line + 1}: {problem}")

    # -- nodes --

    def _mapping(self, node: yaml.Node, name: str, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise _Problem(node, f"{name} must be a mapping of keys to values")
        entries: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str) or key not in keys:
                shown = key if key is not None else "(not a plain key)"
                self._record(
                    _Problem(
                        key_node, f"unknown key {shown!r} in {name} (known: {', '.join(keys)})"
                    )
                )
            elif key in entries:
                self._record(_Problem(key_node, f"{name}: duplicate key {key!r}"))
            else:
                entries[key] = value_node
        return entries

    def _text(self, node: yaml.Node, what: str) -> str:
        """A scalar's own text (no YAML implicit typing)."""
        if not isinstance(node, yaml.ScalarNode):
            raise _Problem(node, f"{what} must be a single value")
        return str(node.value)

    def _list(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        """A sequence's items; a single scalar counts as a list of one."""
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if isinstance(node, yaml.ScalarNode):
            return [node]
        raise _Problem(node, f"{what} must be a list")

    def _instant(self, node: yaml.Node, what: str) -> datetime:
        text = self._text(node, what)
        try:
            return parse_instant(text).astimezone(UTC)
        except (ConfigError, ValueError, OverflowError):
            raise _Problem(
                node, f"{what}: expected an ISO date-time (Brussels if no offset), got {text!r}"
            ) from None

    def _money(self, node: yaml.Node, what: str) -> Money:
        text = self._text(node, what)
        try:
            return Money.parse(text)
        except MoneyError as error:
            raise _Problem(node, f"{what}: {error}") from None

    # -- the file --

    def scenario(self, root: yaml.Node) -> Scenario:
        try:
            top = self._mapping(root, "the scenario", TOP_KEYS)
        except _Problem as problem:
            self._record(problem)
            raise ScenarioError(self._errors) from None
        for required in ("kind", "start", "steps"):
            if required not in top:
                self._record(_Problem(root, f"the scenario needs {required}:"))
        name = self._optional_text(top, "name") or Path(self._source).stem
        description = self._optional_text(top, "description")
        rules = self._rules(top["rules"]) if "rules" in top else ()
        kind = self._kind(top.get("kind"))
        config = self._config(top.get("config"), kind, root)
        start: datetime | None = None
        if "start" in top:
            try:
                start = self._instant(top["start"], "start")
            except _Problem as problem:
                self._record(problem)
        platform = None
        if "platform" in top and config is not None:
            try:
                platform = self._platform(top["platform"], config)
            except _Problem as problem:
                self._record(problem)
        self._meter = (kind, config.prepayment_mode if config else None, platform is not None)
        steps = self._steps(top["steps"], start) if "steps" in top and start else ()
        if self._errors or config is None or start is None or kind is None:
            raise ScenarioError(self._errors or [f"{self._source}: not a usable scenario"])
        return Scenario(name, description, rules, config, start, steps, self._source, platform)

    def _platform(self, node: yaml.Node, config: MeterConfig) -> PlatformSettings | None:
        """``platform: true`` or ``platform: {read_at: "01:00"}``: central mode only."""
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            on = self._choice(node, "platform", ("true", "false"))
            settings = PlatformSettings(line=line) if on == "true" else None
        else:
            entries = self._mapping(node, "platform", PLATFORM_KEYS)
            settings = PlatformSettings(line=line)
            if "read_at" in entries:
                text = self._text(entries["read_at"], "platform.read_at")
                try:
                    settings = PlatformSettings(time.fromisoformat(text), line)
                except ValueError:
                    message = f'platform.read_at: expected a local time like "01:00", got {text!r}'
                    raise _Problem(entries["read_at"], message) from None
        if settings is not None and (config.kind, config.prepayment_mode) != (
            "electricity",
            "central",
        ):
            raise _Problem(
                node, "the platform runs beside an electricity meter in central prepayment mode"
            )
        return settings

    def _optional_text(self, top: dict[str, yaml.Node], key: str) -> str:
        if key not in top:
            return ""
        try:
            return self._text(top[key], key)
        except _Problem as problem:
            self._record(problem)
            return ""

    def _rules(self, node: yaml.Node) -> tuple[str, ...]:
        rules = []
        try:
            items = self._list(node, "rules")
        except _Problem as problem:
            self._record(problem)
            return ()
        for item in items:
            try:
                rule = self._text(item, "a rule")
                if not RULE.fullmatch(rule):
                    raise _Problem(
                        item, f"a rule is a letter E G P B R M and a number, got {rule!r}"
                    )
                rules.append(rule)
            except _Problem as problem:
                self._record(problem)
        return tuple(rules)

    def _kind(self, node: yaml.Node | None) -> str | None:
        if node is None:
            return None
        try:
            kind = self._text(node, "kind")
            if kind not in KINDS:
                raise _Problem(node, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
            return kind
        except _Problem as problem:
            self._record(problem)
            return None

    def _config(
        self, node: yaml.Node | None, kind: str | None, root: yaml.Node
    ) -> MeterConfig | None:
        """The ``config:`` mapping (keys of ``vmeter config init`` files, ``kind`` and ``run``
        excepted) over the kind's defaults."""
        if kind is None:
            return None
        entries: list[tuple[yaml.Node, yaml.Node]] = []
        mark = root
        if node is not None:
            if not isinstance(node, yaml.MappingNode):
                self._record(
                    _Problem(
                        node, "config must be a mapping (the keys of a meter configuration file)"
                    )
                )
                return None
            mark = node
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key in ("kind", "run"):
                    where = "the scenario's top level" if key == "kind" else "vmeter replay"
                    self._record(_Problem(key_node, f"config.{key}: give it in {where}"))
                    return None
                entries.append((key_node, value_node))
        kind_key = yaml.ScalarNode("tag:yaml.org,2002:str", "kind", mark.start_mark, mark.end_mark)
        kind_value = yaml.ScalarNode("tag:yaml.org,2002:str", kind, mark.start_mark, mark.end_mark)
        merged = yaml.MappingNode(
            "tag:yaml.org,2002:map",
            [(kind_key, kind_value), *entries],
            mark.start_mark,
            mark.end_mark,
        )
        try:
            config = config_from_node(merged, self._source, self._base)
        except ConfigError as error:
            self._errors.append(str(error))
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:
            # A scalar YAML itself cannot build (a timestamp like 2026-02-30).
            self._record(_Problem(mark, f"config: {error}"))
        else:
            if any(key_node.value == "communication" for key_node, _ in entries):
                return config
            # Replayed in-process: a scenario serves nothing its file does not ask for (never
            # the default TCP port, which another meter may hold).
            return replace(config, communication=replace(config.communication, tcp=None))
        return None

    def _steps(self, node: yaml.Node, start: datetime) -> tuple[Step, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self._record(_Problem(node, "steps must be a non-empty list"))
            return ()
        steps: list[Step] = []
        previous = start
        for step_node in node.value:
            try:
                step = self._step(step_node, previous)
            except _Problem as problem:
                self._record(problem)
                continue
            steps.append(step)
            previous = step.at
        return tuple(steps)

    def _step(self, node: yaml.Node, previous: datetime) -> Step:
        entries = self._mapping(node, "a step", STEP_KEYS)
        if "at" not in entries:
            raise _Problem(node, "a step needs at: (a local time, or +DURATION after the last)")
        at = self._at(entries["at"], previous)
        note = self._text(entries["note"], "note") if "note" in entries else ""
        actions: list[Action] = []
        if "actions" in entries:
            for item in self._list(entries["actions"], "actions"):
                try:
                    actions.append(self._action(item))
                except _Problem as problem:
                    self._record(problem)
        expectations: list[Expectation] = []
        if "expect" in entries:
            try:
                expectations = self._expect(entries["expect"])
            except _Problem as problem:
                self._record(problem)
        return Step(at, node.start_mark.line + 1, tuple(actions), tuple(expectations), note)

    def _at(self, node: yaml.Node, previous: datetime) -> datetime:
        text = self._text(node, "at").strip()
        if text.startswith("+"):
            try:
                return previous + parse_duration(text[1:])
            except VocabularyError as error:
                raise _Problem(node, f"at: {error}") from None
            except OverflowError:
                raise _Problem(node, f"at: {text} goes past the year 9999") from None
        at = self._instant(node, "at")
        if at < previous:
            raise _Problem(node, f"at: {text} is before the previous step (steps go forward)")
        return at

    def _action(self, node: yaml.Node) -> Action:
        text = self._text(node, "an action")
        try:
            action = parse_action(text)
        except VocabularyError as error:
            raise _Problem(node, str(error)) from None
        kind, prepayment, platform = self._meter
        problem = None if kind is None else action_problem(action, kind, prepayment, platform)
        if problem is not None:
            raise _Problem(node, problem)
        return action

    # -- expectations --

    def _expect(self, node: yaml.Node) -> list[Expectation]:
        kind, _, platform = self._meter
        entries = self._mapping(node, "expect", tuple(EXPECT_KINDS))
        found: list[Expectation] = []
        for key, value in entries.items():
            if kind is not None and kind not in EXPECT_KINDS[key]:
                kinds = " or ".join(EXPECT_KINDS[key])
                self._record(_Problem(value, f"expect.{key} is for {kinds} meters, not {kind}"))
                continue
            if key == "platform_balance" and not platform:
                self._record(_Problem(value, "expect.platform_balance needs platform: true"))
                continue
            try:
                found += self._expectation(key, value)
            except _Problem as problem:
                self._record(problem)
        return found

    def _expectation(self, key: str, node: yaml.Node) -> list[Expectation]:
        line = node.start_mark.line + 1
        if key == "lcd":
            return self._lcd(node)
        if key in ("relay", "valve"):
            return [Expectation(key, self._choice(node, key, CONTROL_STATES), line)]
        if key == "leak_test":
            return [Expectation(key, self._choice(node, key, LEAK_TEST_STATES), line)]
        if key in ("balance", "emergency_credit", "platform_balance"):
            return [Expectation(key, format_money(self._money(node, key)), line)]
        if key == "volume":
            return [Expectation(key, str(self._whole(node, "volume (dm3)")), line)]
        if key == "registers":
            return self._registers(node)
        if key == "events":
            return [
                Expectation("event", self._text(item, "an event"), item.start_mark.line + 1)
                for item in self._list(node, "events")
            ]
        return self._notifications(node)

    def _choice(self, node: yaml.Node, what: str, options: tuple[str, ...]) -> str:
        text = self._text(node, what)
        if text not in options:
            raise _Problem(node, f"{what}: expected one of {', '.join(options)}, got {text!r}")
        return text

    def _whole(self, node: yaml.Node, what: str) -> int:
        text = self._text(node, what)
        if not re.fullmatch(r"\d{1,15}", text):
            raise _Problem(node, f"{what}: expected a whole number, got {text!r}")
        return int(text)

    def _lcd(self, node: yaml.Node) -> list[Expectation]:
        entries = self._mapping(node, "expect.lcd", LCD_KEYS)
        found = []
        for key, value in entries.items():
            what, line = f"lcd.{key}", value.start_mark.line + 1
            if key in ("symbols", "blinking", "hidden"):
                names = [self._symbol(item, what) for item in self._list(value, what)]
                found.append(Expectation(what, " ".join(sorted(names)), line))
            elif key == "backlight":
                light = self._choice(value, what, ("on", "off", "true", "false"))
                found.append(Expectation(what, "on" if light in ("on", "true") else "off", line))
            else:
                found.append(Expectation(what, self._text(value, what), line))
        return found

    def _symbol(self, node: yaml.Node, what: str) -> str:
        name = self._text(node, f"a symbol in {what}")
        kind = self._meter[0]
        known = LCD_SYMBOLS[kind] if kind is not None else frozenset().union(*LCD_SYMBOLS.values())
        if name not in known:
            lcd = f"the {kind} meter's LCD has no" if kind is not None else "no LCD has a"
            raise _Problem(
                node, f"{what}: {lcd} symbol {name!r} (known: {', '.join(sorted(known))})"
            )
        return name

    def _registers(self, node: yaml.Node) -> list[Expectation]:
        entries = self._mapping(node, "expect.registers", REGISTER_CODES)
        return [
            Expectation(
                f"register {code}",
                str(self._whole(value, f"{code} (Wh)")),
                value.start_mark.line + 1,
            )
            for code, value in entries.items()
        ]

    def _notifications(self, node: yaml.Node) -> list[Expectation]:
        line = node.start_mark.line + 1
        items = self._list(node, "notifications")
        if not items or (len(items) == 1 and self._text(items[0], "notifications") == "none"):
            return [Expectation("notifications", "none", line)]
        return [
            Expectation(
                "notification",
                self._choice(item, "a notification", NOTIFICATIONS),
                item.start_mark.line + 1,
            )
            for item in items
        ]
