"""Firmware-side settings of an electricity meter (the emulator builds them from its YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from firmware.rules.money import Money
from firmware.rules.tariff import Tariff, TariffCalendar

FIRMWARE_VERSION = "vmeter-fw 0.1.0"
REGISTER_ITEMS = ("1.8.1", "1.8.2", "2.8.1", "2.8.2")
TARIFF_ITEM = "tariff"
PREPAYMENT_ITEMS = ("94.32.2/1", "94.32.2/2", "94.32.2/3")
"""Last balance update, balance, emergency credit left (rule E7), as the leaflets write them."""
# Display profiles (rule E6); the test screen is always first (implicit).
DISPLAY_PROFILES = {
    # RESA: press 2-5 the indexes, press 6 the tariff (vmeter's choice), press 7 94.32.2/1.
    "resa": (*REGISTER_ITEMS, TARIFF_ITEM, *PREPAYMENT_ITEMS),
    "ores": ("1.8.1", "1.8.2", *PREPAYMENT_ITEMS),
}
DEFAULT_DISPLAY_ITEMS = DISPLAY_PROFILES["resa"]


class PrepaymentMode(Enum):
    """Who keeps the balance (rule M5): nobody, the central platform, or the meter."""

    NONE = "none"
    CENTRAL = "central"
    METER = "meter"


@dataclass(frozen=True)
class Identity:
    serial_number: str = "VM0000000001"
    ean: str = "541448860000000011"
    logical_device_name: str = "VMT0000000000001"
    firmware_version: str = FIRMWARE_VERSION


@dataclass(frozen=True)
class DisplaySettings:
    """The display cycle as data (rules E5, E6): ``items`` in button order after the test
    screen; the four indexes auto-scroll every ``scroll_seconds`` (0 = no auto-scroll)."""

    items: tuple[str, ...] = DEFAULT_DISPLAY_ITEMS
    scroll_seconds: int = 10
    backlight_seconds: int = 30
    reconnect_hold_seconds: int = 5


DEFAULT_PRICES = {Tariff.PEAK: Money.parse("0.3000"), Tariff.OFF_PEAK: Money.parse("0.2500")}
"""EUR per kWh of imported energy, per tariff register (meter-side mode)."""


@dataclass(frozen=True)
class MeterSideSettings:
    """Meter-side prepayment (rule M5 ``meter`` mode): the account's configuration.
    ``token_key`` verifies top-up tokens (P6); ``power_limiter``: limit the import to
    ``power_limit_w`` instead of cutting (P4); above it the relay opens until the button;
    ``weekly_fixed_charge`` is taken from the balance each local Monday 00:00 (B10)."""

    prices: dict[Tariff, Money] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    low_credit_threshold: Money = field(default_factory=lambda: Money.eur(5))
    power_limiter: bool = False
    power_limit_w: int = 2300  # 10 A at 230 V: what a limited supply still allows
    token_key: bytes = bytes(16)
    weekly_fixed_charge: Money = field(default_factory=lambda: Money(0))  # B10; 0 = none


@dataclass(frozen=True)
class BudgetSettings:
    """The legacy budget meter's card account (rules B1-B11): prices per kWh (``night_price``
    None: a single-rate meter), the weekly fixed charges (B10) and the reserve programmed at
    installation (B2)."""

    day_price: Money = field(default_factory=lambda: Money.parse("0.1575"))
    night_price: Money | None = field(default_factory=lambda: Money.parse("0.0746"))
    weekly_fixed_charge: Money = field(default_factory=lambda: Money.parse("2.15"))
    reserve_kwh: int = 150


@dataclass(frozen=True)
class MeterSettings:
    identity: Identity = field(default_factory=Identity)
    tariff: TariffCalendar = field(default_factory=TariffCalendar)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    prepayment: PrepaymentMode = PrepaymentMode.CENTRAL
    meter_side: MeterSideSettings = field(default_factory=MeterSideSettings)
    control_mode: int = 3  # rule M1
    max_current_a: int = 40  # per phase; above it the breaker trips (rule E9)
    voltage_v: int = 230
    profile_capacity: int = 96 * 40  # 40 days of quarter hours
    snapshot_capacity: int = 400
    event_capacity: int = 500
