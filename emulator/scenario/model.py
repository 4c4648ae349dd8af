"""What a scenario is once loaded: a meter configuration, a start, and timed steps of actions
and expectations. Times are absolute and UTC here; the file's relative ``+DUR`` steps and
Brussels local times are resolved by the loader.

Actions form a small closed set of frozen dataclasses. ``describe()`` gives each one's line in
the scenario vocabulary (``press green 5s``, ``load 2000``...): the YAML's action lines, what
``vmeter record`` reads on stdin and writes back, and what the timeline prints, so that
``parse_action(action.describe()) == action`` (``emulator.scenario.vocabulary``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from emulator.config import MeterConfig
from firmware.rules.money import ZERO, Money


def format_duration(duration: timedelta) -> str:
    """``timedelta(hours=1, minutes=30)`` -> ``1h30m``; the vocabulary's duration syntax."""
    seconds = int(duration.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def format_money(amount: Money) -> str:
    """Whole cents as ``20.00``; finer amounts in full (``0.15750``), so nothing is lost."""
    return amount.format(2 if amount.is_whole_cents else 5)


@dataclass(frozen=True)
class SetLoad:
    """The household's net power from now on (negative = export)."""

    watts: int

    def describe(self) -> str:
        return f"load {self.watts}"


@dataclass(frozen=True)
class SetFlow:
    """The gas installation's demand from now on, litres per hour (rule G1)."""

    l_per_h: int

    def describe(self) -> str:
        return f"flow {self.l_per_h}"


@dataclass(frozen=True)
class PressButton:
    """A press released after ``hold_s`` seconds (a short press when under a second)."""

    name: str
    hold_s: float = 0.2

    def describe(self) -> str:
        if self.hold_s == PressButton.hold_s:
            return f"press {self.name}"
        return f"press {self.name} {self.hold_s:g}s"


@dataclass(frozen=True)
class InsertCard:
    """A budget card into the slot (rules B3, B11): this meter's card carrying ``credit`` to
    load, or (``foreign``) a card bound to another meter."""

    credit: Money = ZERO
    card_id: int = 1
    foreign: bool = False

    def describe(self) -> str:
        card = "" if self.card_id == InsertCard.card_id else f" card {self.card_id}"
        if self.foreign:
            return f"card insert foreign{card}"
        return f"card insert {format_money(self.credit)}{card}"


@dataclass(frozen=True)
class RemoveCard:
    def describe(self) -> str:
        return "card remove"


@dataclass(frozen=True)
class TopUp:
    """A top-up of ``amount`` (rule P6): ``token`` enters a meter-side token through the
    meter's Token gateway (head-end action); ``platform`` pays it on the central platform,
    which decides (P8) and tells the meter."""

    amount: Money
    via: str = "token"

    def describe(self) -> str:
        via = "" if self.via == TopUp.via else f" via {self.via}"
        return f"topup {format_money(self.amount)}{via}"


@dataclass(frozen=True)
class HeadendCommand:
    """A head-end operation over COSEM (management client): ``read`` an OBIS value,
    ``disconnect`` / ``reconnect`` the relay or valve (a reconnect of a locked-out gas meter
    is the remote re-enable, rule M4), or ``balance`` (central mode: the daily 94.32.2 update,
    balance then emergency credit, rule E7)."""

    operation: str
    obis: str | None = None
    balance: Money | None = None
    emergency_credit: Money | None = None

    def describe(self) -> str:
        if self.operation == "read":
            return f"headend read {self.obis}"
        if self.operation == "balance":
            assert self.balance is not None
            emergency = self.emergency_credit
            extra = "" if emergency is None else f" emergency {format_money(emergency)}"
            return f"headend balance {format_money(self.balance)}{extra}"
        return f"headend {self.operation}"


@dataclass(frozen=True)
class GridOutage:
    """The grid goes down for ``duration``, then comes back by itself (rule E9)."""

    duration: timedelta

    def describe(self) -> str:
        return f"outage {format_duration(self.duration)}"


@dataclass(frozen=True)
class BreakerTrip:
    """A short circuit behind the meter trips its breaker (rule E9)."""

    def describe(self) -> str:
        return "breaker trip"


@dataclass(frozen=True)
class RearmBreaker:
    """The customer re-arms the breaker by hand (rules E9, M3)."""

    def describe(self) -> str:
        return "breaker rearm"


Action = (
    SetLoad
    | SetFlow
    | PressButton
    | InsertCard
    | RemoveCard
    | TopUp
    | HeadendCommand
    | GridOutage
    | BreakerTrip
    | RearmBreaker
)


@dataclass(frozen=True)
class Expectation:
    """One thing to check at a step: ``what`` (``lcd.value``, ``relay``, ``balance``,
    ``register 1.8.1``, ``events``...) and the expected value as the file wrote it, normalised
    (``emulator.scenario.expectations`` observes and compares)."""

    what: str
    expected: str
    line: int


@dataclass(frozen=True)
class Step:
    at: datetime
    """UTC, absolute."""
    line: int
    actions: tuple[Action, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class PlatformSettings:
    """The central prepayment platform run beside the meter (``emulator.scenario.central``)."""

    read_at: time = time(1, 0)
    """Local time of the daily read, billing and balance push (E3, P7)."""
    line: int = 0
    """The ``platform:`` line (what the platform does is printed against it)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    rules: tuple[str, ...]
    config: MeterConfig
    start: datetime
    """UTC."""
    steps: tuple[Step, ...]
    source: str
    """The file it came from (error messages, the JUnit suite name)."""
    platform: PlatformSettings | None = None
    """Central mode with the platform in the loop (None: the head-end is the scenario's)."""

    @property
    def end(self) -> datetime:
        """The last step's time (the start when there is none)."""
        return self.steps[-1].at if self.steps else self.start
