"""The meter configuration file (YAML) -> ``MeterConfig``.

``default_config_text(kind)`` is the documented default ``vmeter config init`` writes. Parsing
walks the YAML node tree so every error names its line; unknown keys are errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from firmware.gas.leak_test import BUTTONS, MAX_DURATION, LeakTestSettings
from firmware.rules.credit import CreditError, ean_check_digit, validate_ean
from firmware.rules.localtime import BRUSSELS, parse_local
from firmware.rules.money import MILLI_CENTS_PER_CENT, ZERO, Money, MoneyError
from firmware.rules.tariff import Tariff, TariffCalendar
from firmware.screens import ITEM_SCREENS
from firmware.settings import (
    DISPLAY_PROFILES,
    BudgetSettings,
    DisplaySettings,
    Identity,
    MeterSettings,
    MeterSideSettings,
    PrepaymentMode,
)
from hal.flow_models import ConstantFlow, DailyFlow, FlowModel, csv_flow
from hal.frontend import ConstantLoad, DailySchedule, LoadModel, PowerReading, csv_load
from headend.meter_obis import CHANNEL_1_SUFFIX

KINDS = ("electricity", "gas", "budget")
MAX_RETRY_S = 3600
"""The longest leak-test retry delay a configuration may set (rule G3; default 6 minutes)."""
PREPAYMENT_MODES = tuple(mode.value for mode in PrepaymentMode)
PRICE_KEYS = {"peak": Tariff.PEAK, "offpeak": Tariff.OFF_PEAK}
PRICE_STEP_MC = 10  # 0.0001 EUR
MAX_PRICE = Money(32_767 * PRICE_STEP_MC)  # a COSEM long of 0.0001 EUR
MAX_WEEKLY_CHARGE = Money(32_767 * MILLI_CENTS_PER_CENT)  # a COSEM long of cents
MAX_FLOW_L_PER_H = 100_000  # far above a household meter's G25 (40 m3/h)
DURATION = re.compile(r"^\+(\d+)([smhdw])$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class ConfigError(Exception):
    """A bad configuration (file or command line); the message names the line when known."""


@dataclass(frozen=True)
class SecurityConfig:
    reader_password: str = "12345678"  # client 17, LLS
    management_password: str = "00000000"  # client 1, LLS
    token_key: str = "00" * 16
    authentication_key: str = "00" * 16
    encryption_key: str = "00" * 16
    system_title: str = "564D540000000001"


@dataclass(frozen=True)
class CommunicationConfig:
    tcp: str | None = "127.0.0.1:4059"
    hdlc_physical_address: int = 17
    serial: str | None = None
    mqtt: str | None = None


@dataclass(frozen=True)
class LoadConfig:
    """Exactly one of: constant ``watts`` (negative = export), a daily ``schedule`` of
    (local time, watts), or a ``csv`` of 15-minute values."""

    watts: int | None = 500
    schedule: tuple[tuple[time, int], ...] | None = None
    csv: Path | None = None

    def build(self) -> LoadModel:
        """The hal load model; raises ``ConfigError`` for an unreadable CSV."""
        if self.csv is not None:
            try:
                return csv_load(self.csv)
            except ValueError as error:
                raise ConfigError(str(error)) from error
        if self.schedule is not None:
            return DailySchedule(self.schedule, BRUSSELS)
        return ConstantLoad(PowerReading.from_net(self.watts or 0))


@dataclass(frozen=True)
class FlowConfig:
    """Kind gas only: what the installation behind the meter draws (rule G1), in litres (dm3)
    per hour: a constant ``l_per_h``, a daily ``schedule`` of (local time, l/h), or a ``csv`` of
    15-minute values (a csv or schedule wins over l_per_h)."""

    l_per_h: int = 300
    schedule: tuple[tuple[time, int], ...] | None = None
    csv: Path | None = None

    def build(self) -> FlowModel:
        """The hal flow model; raises ``ConfigError`` for an unreadable CSV."""
        if self.csv is not None:
            try:
                return csv_flow(self.csv)
            except ValueError as error:
                raise ConfigError(str(error)) from error
        if self.schedule is not None:
            return DailyFlow(self.schedule, BRUSSELS)
        return ConstantFlow(self.l_per_h)


@dataclass(frozen=True)
class RunConfig:
    """``vmeter run`` options; the command line overrides them."""

    state: Path | None = None
    speed: float = 1.0
    instant: bool = False
    start: datetime | None = None
    until: datetime | timedelta | None = None
    with_gas: bool = False
    """An electricity meter with a gas meter on M-Bus channel 1 (``--with-gas``)."""


@dataclass(frozen=True)
class MeterConfig:
    kind: str = "electricity"
    meter: MeterSettings = field(default_factory=MeterSettings)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    communication: CommunicationConfig = field(default_factory=CommunicationConfig)
    load: LoadConfig = field(default_factory=LoadConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    """Read by ``kind: gas`` only."""
    leak_test: LeakTestSettings = field(default_factory=LeakTestSettings)
    """Read by ``kind: gas`` only (rule G3)."""
    run: RunConfig = field(default_factory=RunConfig)
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    """Read by ``kind: budget`` only (the card account, rules B1-B11)."""
    gas_price_per_m3: Money = field(default_factory=lambda: Money.parse("0.8500"))
    """The gas meter's account in meter mode (``prepayment.price_per_m3``, rule M5)."""

    @property
    def prepayment_mode(self) -> str:
        """none | central | meter (rule M5); held by the firmware settings."""
        return self.meter.prepayment.value

    @property
    def gas_identity(self) -> Identity:
        """The gas meter's serial and EAN: a gas meter's own; for the gas meter an electricity
        meter serves on M-Bus channel 1 (``--with-gas``, 0-1:96.1.0 and 0-1:96.1.1) derived
        from the electricity meter's: the serial with ``-G1``, the EAN by ``channel_1_ean``."""
        identity = self.meter.identity
        if self.kind == "gas":
            return identity
        return replace(
            identity,
            serial_number=identity.serial_number + CHANNEL_1_SUFFIX,
            ean=channel_1_ean(identity.ean),
        )


GAS_EAN_DIGIT = 7
"""The EAN digit (from 0; inside the 13 of the top-up reference) that tells the channel-1 gas
meter's EAN from the electricity meter's: it is raised by 1 (mod 10)."""


def channel_1_ean(electricity_ean: str) -> str:
    """The EAN of the gas meter on an electricity meter's channel 1: the electricity meter's
    with digit ``GAS_EAN_DIGIT`` raised by one and its check digit recomputed, so a valid EAN
    with its own top-up reference (rule P6)."""
    digits = validate_ean(electricity_ean)
    raised = str((int(digits[GAS_EAN_DIGIT]) + 1) % 10)
    body = digits[:GAS_EAN_DIGIT] + raised + digits[GAS_EAN_DIGIT + 1 : -1]
    return body + ean_check_digit(body)


# -- the default file -------------------------------------------------------------------------

_PROFILE_LINE = (
    "profile: resa                    # resa: 1.8.1 1.8.2 2.8.1 2.8.2 tariff 94.32.2/1 /2 /3\n"
    "                                   # ores: 1.8.1 1.8.2 94.32.2/1 /2 /3; or instead a list,\n"
    "                                   # items: [1.8.1, 1.8.2, 94.32.2/1, 94.32.2/2, 94.32.2/3]"
)
_KIND_DEFAULTS = {
    "electricity": ("central", _PROFILE_LINE),
    "gas": ("central", ""),  # no display section: the gas LCD is fixed (rule G1)
    "budget": ("none", "items: [1.8.1, 1.8.2]"),
}
_BUDGET_SECTION = """
budget:                            # kind budget only: the card account (rules B1-B11)
  day_price: "0.1575"              # EUR per kWh (B8 item 8), quoted
  night_price: "0.0746"            # null: a single-rate meter (B8 items 9, 10)
  weekly_fixed_charge: "2.15"      # EUR taken from the balance each Monday 00:00 (B10)
  reserve_kwh: 150                 # programmed at installation, at the day price (B2)
"""
_FLOW_SECTION = """
flow:                              # kind gas only: the installation's demand (rule G1)
  l_per_h: 300                     # constant litres (dm3) per hour; 0 = nothing drawn
  # or every day, each ["HH:MM" Brussels time, l/h] until the next (past midnight too):
  # schedule: [["06:30", 400], ["09:00", 0], ["18:00", 600], ["22:00", 0]]
  # csv: flow.csv                  # or rows: ISO time with offset, l/h, 15 min each

leak_test:                         # kind gas only (rule G3)
  button: arrow                    # euro | arrow | m3: the press that starts the test
  seconds: 360                     # 1..600; flow above 30 l/h meanwhile is a leak
  retry_seconds: 360               # 1..3600: after a first failure, when it may be retried
"""


_ELECTRICITY_PREPAYMENT = """\
  prices: {peak: "0.3000", offpeak: "0.2500"}  # EUR per kWh imported, quoted
  low_credit_threshold: "5.00"     # EUR (rule P2); a notice when the balance reaches it
  power_limiter: false             # true: limit the power instead of cutting (rule P4)
  power_limit_w: 2300              # the limit; above it the relay opens until the button
  weekly_fixed_charge: "0.00"      # EUR taken each Monday 00:00 (rule B10); 0 = none
"""
_GAS_PREPAYMENT = """\
  price_per_m3: "0.8500"           # EUR per m3 of gas, quoted; no limiter for gas (rule P4)
  low_credit_threshold: "5.00"     # EUR (rule P2); a notice when the balance reaches it
  weekly_fixed_charge: "0.00"      # EUR taken each Monday 00:00 (rule B10); 0 = none
"""


def default_config_text(kind: str = "electricity") -> str:
    """The documented default configuration for a meter of ``kind``: a gas meter's has no
    electricity-only sections (tariff, display, load, limiter, breaker)."""
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    prepayment, display_list = _KIND_DEFAULTS[kind]
    gas = kind == "gas"
    text = f"""\
# vmeter meter configuration ({kind}). Every key is optional; unknown keys are errors.
kind: {kind}                 # electricity | gas | budget

identity:
  serial_number: "VM0000000001"
  ean: "541448860000000011"        # 18 digits; top-up reference = its last 13 (rule P6)
  logical_device_name: "VMT0000000000001"

communication:
  tcp: "127.0.0.1:4059"            # COSEM server over the TCP wrapper; null = off
  hdlc_physical_address: 17        # HDLC server physical address (16..16383)
  serial: null                     # serial device for HDLC/optical, e.g. /dev/ttyUSB0
  mqtt: null                       # "embedded[:PORT]" or "mqtt://[user:pass@]host:port"

security:
  reader_password: "12345678"      # client 17, low-level security
  management_password: "00000000"  # client 1, low-level security
  # Keys for later features, 16 bytes hex; replace these placeholders.
  token_key: "00000000000000000000000000000000"
  authentication_key: "00000000000000000000000000000000"
  encryption_key: "00000000000000000000000000000000"
  system_title: "564D540000000001" # 8 bytes hex

prepayment:
  mode: {prepayment}                 # none | central (head-end keeps the balance) | meter
  # Meter mode only: the meter keeps the balance, charges energy, takes top-up tokens.
"""
    text += _GAS_PREPAYMENT if gas else _ELECTRICITY_PREPAYMENT
    text += """
disconnect_control:
  control_mode: 3                  # 0..6 (COSEM class 70); 3 = rule M1
"""
    if gas:
        text += "\n"
    else:
        text += f"""\
  max_current_a: 40                # per phase; above it the breaker trips (rule E9)

tariff:                            # local time, Europe/Brussels (rules E2, M7)
  offpeak_start: "22:00"           # quote times: YAML reads 22:00 as a number
  offpeak_end: "07:00"
  weekend_offpeak: true            # Friday offpeak_start to Monday offpeak_end
  single_rate: false               # true: everything counts as peak (1.8.1 / 2.8.1)

display:                           # rules E5, E6: test screen first, then these in order
  {display_list}
  scroll_seconds: 10               # auto-scroll of the indexes; 0 = off
  backlight_seconds: 30
  reconnect_hold_seconds: 5        # button hold that reconnects when ready (rule E8)

load:                              # one of: watts, schedule, csv
  watts: 500                       # constant net power; negative = export
  # schedule: [["07:00", 800], ["09:00", 200], ["18:00", 1500], ["23:00", 150]]
  # csv: load.csv                  # rows: ISO time with offset, import W[, export W], per 15 min

"""
    text += """\
run:                               # defaults for `vmeter run` (the command line wins)
  state: null                      # state directory; null = no persistence
  speed: 1                         # N x real time
  instant: false                   # true: jump from event to event
  start: null                      # ISO date-time; null = now
  until: null                      # ISO date-time or +1d, +6h, +30m; null = forever
"""
    if kind == "electricity":
        text += "  with_gas: false                  # true: a gas meter on M-Bus channel 1\n"
    return text + {"budget": _BUDGET_SECTION, "gas": _FLOW_SECTION}.get(kind, "")


# -- parsing ------------------------------------------------------------------------------------


def load_config(path: Path) -> MeterConfig:
    """Read and check a configuration file; raises ``ConfigError``."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"{path}: {error.strerror}") from error
    return parse_config(text, str(path), base=path.parent)


def compose_yaml(text: str, source: str) -> yaml.Node | None:
    """The YAML node tree of ``text`` (None when empty), so errors can name their lines;
    ``ConfigError`` ``FILE:LINE: not valid YAML (...)`` when it does not parse."""
    loader = yaml.SafeLoader(text)
    try:
        root: yaml.Node | None = loader.get_single_node()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{source}{line}: not valid YAML ({problem})") from error
    finally:
        loader.dispose()
    return root


def parse_config(text: str, source: str = "<config>", base: Path | None = None) -> MeterConfig:
    """Parse configuration text; relative paths (load.csv) are taken from ``base``."""
    root = compose_yaml(text, source)
    if root is None:
        return MeterConfig()
    return config_from_node(root, source, base or Path.cwd())


def config_from_node(root: yaml.Node, source: str, base: Path) -> MeterConfig:
    """A configuration from an already composed YAML mapping (a scenario's ``config:``), its
    errors naming the lines of ``source``."""
    return _Reader(yaml.SafeLoader(""), source, base).meter_config(root)


class _Reader:
    """Walks YAML nodes into config dataclasses, reporting errors with line numbers."""

    def __init__(self, loader: yaml.SafeLoader, source: str, base: Path) -> None:
        self._loader = loader
        self._source = source
        self._base = base

    def error(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(f"{self._source}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: yaml.Node, name: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{name} must be a mapping of keys to values")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(self._loader.construct_object(key_node))
            if key in entries:
                raise self.error(key_node, f"{name}: duplicate key {key!r}")
            entries[key] = (key_node, value_node)
        return entries

    def section(
        self, node: yaml.Node, name: str, fields: dict[str, Callable[[yaml.Node], Any]]
    ) -> dict[str, Any]:
        """The checked values of a mapping whose keys must all be in ``fields``."""
        values: dict[str, Any] = {}
        for key, (key_node, value_node) in self.mapping(node, name).items():
            if key not in fields:
                known = ", ".join(fields)
                raise self.error(key_node, f"unknown key {name}.{key} (known: {known})")
            values[key] = fields[key](value_node)
        return values

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, "expected a single value")
        return self._loader.construct_object(node)

    def string(self, node: yaml.Node) -> str:
        value = self.scalar(node)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.error(node, f"expected text, got {value!r}")
        return str(value)

    def optional_string(self, node: yaml.Node) -> str | None:
        return None if self.scalar(node) is None else self.string(node)

    def integer(self, node: yaml.Node, low: int, high: int) -> int:
        value = self.scalar(node)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.error(node, f"expected a whole number from {low} to {high}, got {value!r}")
        return value

    def boolean(self, node: yaml.Node) -> bool:
        value = self.scalar(node)
        if not isinstance(value, bool):
            raise self.error(node, f"expected true or false, got {value!r}")
        return value

    def choice(self, node: yaml.Node, options: tuple[str, ...]) -> str:
        value = self.string(node)
        if value not in options:
            raise self.error(node, f"expected one of {', '.join(options)}, got {value!r}")
        return value

    def hex_string(self, node: yaml.Node, size: int) -> str:
        value = self.string(node)
        if not re.fullmatch(f"[0-9A-Fa-f]{{{2 * size}}}", value):
            raise self.error(node, f"expected {size} bytes as {2 * size} hex digits")
        return value.upper()

    def wall_time(self, node: yaml.Node) -> time:
        value = self.scalar(node)
        if isinstance(value, int):
            raise self.error(node, 'write times in quotes, e.g. "22:00" (YAML reads 22:00 as 1320)')
        try:
            return time.fromisoformat(str(value))
        except ValueError as error:
            raise self.error(node, f'expected a time like "22:00", got {value!r}') from error

    def instant(self, node: yaml.Node) -> datetime | None:
        value = self.scalar(node)
        if value is None:
            return None
        try:
            return parse_instant(value if isinstance(value, str) else value.isoformat())
        except (ConfigError, AttributeError) as error:
            raise self.error(node, f"expected an ISO date-time, got {value!r}") from error

    def until(self, node: yaml.Node) -> datetime | timedelta | None:
        value = self.scalar(node)
        if value is None:
            return None
        try:
            return parse_until(value if isinstance(value, str) else value.isoformat())
        except (ConfigError, AttributeError) as error:
            raise self.error(
                node, f"expected an ISO date-time or +1d/+6h/+30m, got {value!r}"
            ) from error

    def number(self, node: yaml.Node) -> float:
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.error(node, f"expected a positive number, got {value!r}")
        return float(value)

    def path(self, node: yaml.Node) -> Path | None:
        value = self.optional_string(node)
        return None if value is None else self._base / value

    def items(self, node: yaml.Node) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, "display.items must be a non-empty list")
        items = tuple(self.string(item) for item in node.value)
        for item_node, item in zip(node.value, items, strict=True):
            if item not in ITEM_SCREENS:
                known = ", ".join(ITEM_SCREENS)
                raise self.error(item_node, f"unknown display item {item!r} (known: {known})")
        return items

    def schedule(
        self, node: yaml.Node, section: str, unit: str, high: int, low: int | None = None
    ) -> tuple[tuple[time, int], ...]:
        """A daily schedule ``[["HH:MM", value], ...]`` (Brussels wall times) of ``section``,
        values from ``low`` (default ``-high``) to ``high``."""
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, f'{section}.schedule must be a list of ["HH:MM", {unit}]')
        entries = []
        for entry in node.value:
            if not isinstance(entry, yaml.SequenceNode) or len(entry.value) != 2:
                raise self.error(entry, f'a schedule entry is ["HH:MM", {unit}]')
            wall = self.wall_time(entry.value[0])
            value = self.integer(entry.value[1], -high if low is None else low, high)
            entries.append((wall, value))
        if len({wall for wall, _ in entries}) != len(entries):
            raise self.error(node, f"{section}.schedule has two entries at the same time")
        return tuple(entries)

    # -- sections --

    def meter_config(self, root: yaml.Node) -> MeterConfig:
        top = self.section(
            root,
            "config",
            {
                "kind": lambda n: self.choice(n, KINDS),
                "identity": self.identity,
                "communication": self.communication,
                "security": self.security,
                "prepayment": self.prepayment,
                "disconnect_control": lambda n: self.section(
                    n,
                    "disconnect_control",
                    {
                        "control_mode": lambda m: self.integer(m, 0, 6),
                        "max_current_a": lambda m: self.integer(m, 1, 1000),
                    },
                ),
                "tariff": self.tariff,
                "display": self.display,
                "load": self.load,
                "flow": self.flow,
                "leak_test": self.leak_test,
                "run": self.run,
                "budget": self.budget,
            },
        )
        kind = top.get("kind", "electricity")
        self._check_kind(root, kind, top)
        prepayment = dict(top.get("prepayment", {}))
        gas_price = prepayment.pop("price_per_m3", MeterConfig().gas_price_per_m3)
        security = top.get("security", SecurityConfig())
        meter_side = MeterSideSettings(
            token_key=bytes.fromhex(security.token_key),
            **{key: value for key, value in prepayment.items() if key != "mode"},
        )
        settings = MeterSettings(
            identity=top.get("identity", Identity()),
            tariff=top.get("tariff", TariffCalendar()),
            display=top.get("display", DisplaySettings()),
            prepayment=PrepaymentMode(
                prepayment.get("mode", "none" if kind == "budget" else "central")
            ),
            meter_side=meter_side,
            **top.get("disconnect_control", {}),
        )
        return MeterConfig(
            kind=kind,
            meter=settings,
            security=security,
            communication=top.get("communication", CommunicationConfig()),
            load=top.get("load", LoadConfig()),
            flow=top.get("flow", FlowConfig()),
            leak_test=top.get("leak_test", LeakTestSettings()),
            run=top.get("run", RunConfig()),
            budget=top.get("budget", BudgetSettings()),
            gas_price_per_m3=gas_price,
        )

    def _check_kind(self, root: yaml.Node, kind: str, top: dict[str, Any]) -> None:
        """The budget section belongs to a budget meter, whose balance is the card account's
        (so no smart prepayment mode on it)."""
        if kind != "budget" and "budget" in top:
            raise self.error(root, f"the budget section is for kind budget, not {kind}")
        for gas_only in ("flow", "leak_test"):
            if kind != "gas" and gas_only in top:
                raise self.error(root, f"the {gas_only} section is for kind gas, not {kind}")
        if kind == "budget" and "price_per_m3" in top.get("prepayment", {}):
            raise self.error(root, "prepayment.price_per_m3 is for a gas meter, not kind budget")
        mode = top.get("prepayment", {}).get("mode", "none")
        if kind == "budget" and mode != "none":
            raise self.error(
                root,
                f"a budget meter keeps its balance on the card account (rules B1, M5): "
                f"prepayment.mode must be none, not {mode}",
            )

    def budget(self, node: yaml.Node) -> BudgetSettings:
        values = self.section(
            node,
            "budget",
            {
                "day_price": self.money,
                "night_price": lambda n: None if self.scalar(n) is None else self.money(n),
                "weekly_fixed_charge": self.money,
                "reserve_kwh": lambda n: self.integer(n, 0, 100_000),
            },
        )
        return BudgetSettings(**values)

    def money(self, node: yaml.Node) -> Money:
        value = self.scalar(node)
        if not isinstance(value, str):
            raise self.error(node, f'write amounts in quotes, e.g. "0.3000", got {value!r}')
        try:
            amount = Money.parse(value)
        except MoneyError as error:
            raise self.error(node, str(error)) from None
        if amount < ZERO:
            raise self.error(node, f"an amount here cannot be negative, got {value!r}")
        return amount

    def prepayment(self, node: yaml.Node) -> dict[str, Any]:
        def prices(prices_node: yaml.Node) -> dict[Tariff, Money]:
            given = self.section(
                prices_node, "prepayment.prices", dict.fromkeys(PRICE_KEYS, self.money)
            )
            missing = [key for key in PRICE_KEYS if key not in given]
            if missing:
                raise self.error(prices_node, f"prepayment.prices needs {', '.join(missing)}")
            for key, price in given.items():
                if price.milli_cents % PRICE_STEP_MC or price > MAX_PRICE:
                    raise self.error(
                        prices_node,
                        f"prepayment.prices.{key}: at most {MAX_PRICE.format(4)} EUR per kWh in "
                        f"steps of 0.0001 EUR (the COSEM Charge table), got {price.format(5)}",
                    )
            return {PRICE_KEYS[key]: price for key, price in given.items()}

        def price_per_m3(price_node: yaml.Node) -> Money:
            price = self.money(price_node)
            if price.milli_cents % PRICE_STEP_MC or price > MAX_PRICE:
                raise self.error(
                    price_node,
                    f"prepayment.price_per_m3: at most {MAX_PRICE.format(4)} EUR in steps of "
                    f"0.0001 EUR, got {price.format(5)}",
                )
            return price

        def weekly_fixed_charge(charge_node: yaml.Node) -> Money:
            charge = self.money(charge_node)
            if charge.milli_cents % MILLI_CENTS_PER_CENT or charge > MAX_WEEKLY_CHARGE:
                raise self.error(
                    charge_node,
                    f"prepayment.weekly_fixed_charge: at most {MAX_WEEKLY_CHARGE.format(2)} EUR "
                    f"in whole cents (the COSEM Charge), got {charge.format(5)}",
                )
            return charge

        return self.section(
            node,
            "prepayment",
            {
                "mode": lambda m: self.choice(m, PREPAYMENT_MODES),
                "prices": prices,
                "low_credit_threshold": self.money,
                "power_limiter": self.boolean,
                "power_limit_w": lambda n: self.integer(n, 100, 100_000),
                "weekly_fixed_charge": weekly_fixed_charge,
                "price_per_m3": price_per_m3,
            },
        )

    def identity(self, node: yaml.Node) -> Identity:
        def ean(value_node: yaml.Node) -> str:
            value = self.string(value_node)
            try:
                return validate_ean(value)
            except CreditError as exc:
                raise self.error(value_node, str(exc)) from None

        values = self.section(
            node,
            "identity",
            {"serial_number": self.string, "ean": ean, "logical_device_name": self.string},
        )
        return Identity(**values)

    def communication(self, node: yaml.Node) -> CommunicationConfig:
        values = self.section(
            node,
            "communication",
            {
                "tcp": self.optional_string,
                "hdlc_physical_address": lambda n: self.integer(n, 16, 16383),
                "serial": self.optional_string,
                "mqtt": self.optional_string,
            },
        )
        return CommunicationConfig(**values)

    def security(self, node: yaml.Node) -> SecurityConfig:
        key = lambda n: self.hex_string(n, 16)  # noqa: E731
        values = self.section(
            node,
            "security",
            {
                "reader_password": self.string,
                "management_password": self.string,
                "token_key": key,
                "authentication_key": key,
                "encryption_key": key,
                "system_title": lambda n: self.hex_string(n, 8),
            },
        )
        return SecurityConfig(**values)

    def tariff(self, node: yaml.Node) -> TariffCalendar:
        values = self.section(
            node,
            "tariff",
            {
                "offpeak_start": self.wall_time,
                "offpeak_end": self.wall_time,
                "weekend_offpeak": self.boolean,
                "single_rate": self.boolean,
            },
        )
        return TariffCalendar(**values)

    def display(self, node: yaml.Node) -> DisplaySettings:
        values = self.section(
            node,
            "display",
            {
                "profile": lambda n: DISPLAY_PROFILES[self.choice(n, tuple(DISPLAY_PROFILES))],
                "items": self.items,
                "scroll_seconds": lambda n: self.integer(n, 0, 3600),
                "backlight_seconds": lambda n: self.integer(n, 1, 3600),
                "reconnect_hold_seconds": lambda n: self.integer(n, 1, 60),
            },
        )
        if "profile" in values and "items" in values:
            raise self.error(node, "display: give either profile or items, not both")
        if "profile" in values:
            values["items"] = values.pop("profile")
        return DisplaySettings(**values)

    def load(self, node: yaml.Node) -> LoadConfig:
        values = self.section(
            node,
            "load",
            {
                "watts": lambda n: self.integer(n, -(10**6), 10**6),
                "schedule": lambda n: self.schedule(n, "load", "watts", 10**6),
                "csv": self.path,
            },
        )
        if len(values) > 1:
            raise self.error(node, "load: give only one of watts, schedule, csv")
        return (
            LoadConfig(
                watts=values.get("watts"), schedule=values.get("schedule"), csv=values.get("csv")
            )
            if values
            else LoadConfig()
        )

    def flow(self, node: yaml.Node) -> FlowConfig:
        values = self.section(
            node,
            "flow",
            {
                "l_per_h": lambda n: self.integer(n, 0, MAX_FLOW_L_PER_H),
                "schedule": lambda n: self.schedule(n, "flow", "l/h", MAX_FLOW_L_PER_H, 0),
                "csv": self.path,
            },
        )
        if len(values) > 1:
            raise self.error(node, "flow: give only one of l_per_h, schedule, csv")
        return replace(FlowConfig(), **values)

    def leak_test(self, node: yaml.Node) -> LeakTestSettings:
        longest = MAX_DURATION // timedelta(seconds=1)
        values = self.section(
            node,
            "leak_test",
            {
                "button": lambda n: self.choice(n, BUTTONS),
                "seconds": lambda n: timedelta(seconds=self.integer(n, 1, longest)),
                "retry_seconds": lambda n: timedelta(seconds=self.integer(n, 1, MAX_RETRY_S)),
            },
        )
        if "seconds" in values:
            values["duration"] = values.pop("seconds")
        if "retry_seconds" in values:
            values["retry_delay"] = values.pop("retry_seconds")
        return replace(LeakTestSettings(), **values)

    def run(self, node: yaml.Node) -> RunConfig:
        values = self.section(
            node,
            "run",
            {
                "state": self.path,
                "speed": self.number,
                "instant": self.boolean,
                "start": self.instant,
                "until": self.until,
                "with_gas": self.boolean,
            },
        )
        return replace(RunConfig(), **values)


def parse_instant(text: str) -> datetime:
    """An ISO date-time; without an offset it is Brussels local time."""
    try:
        return parse_local(text)
    except ValueError as error:
        raise ConfigError(f"not an ISO date-time: {text!r}") from error


def parse_until(text: str) -> datetime | timedelta:
    """An ISO date-time, or a duration from the start: ``+1d``, ``+6h``, ``+30m``, ``+90s``."""
    match = DURATION.match(text.strip())
    if match:
        return timedelta(seconds=int(match[1]) * DURATION_UNITS[match[2]])
    return parse_instant(text)
