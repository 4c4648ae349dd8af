"""Firmware-side settings of an electricity meter (the emulator builds them from its YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field

from firmware.rules.tariff import TariffCalendar

FIRMWARE_VERSION = "vmeter-fw 0.1.0"
REGISTER_ITEMS = ("1.8.1", "1.8.2", "2.8.1", "2.8.2")
TARIFF_ITEM = "tariff"
# RESA-like default (rule E6): test screen first (implicit), the four indexes, the tariff.
DEFAULT_DISPLAY_ITEMS = (*REGISTER_ITEMS, TARIFF_ITEM)


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


@dataclass(frozen=True)
class MeterSettings:
    identity: Identity = field(default_factory=Identity)
    tariff: TariffCalendar = field(default_factory=TariffCalendar)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    control_mode: int = 3  # rule M1
    max_current_a: int = 40  # per phase; above it the breaker trips (rule E9)
    voltage_v: int = 230
    profile_capacity: int = 96 * 40  # 40 days of quarter hours
    snapshot_capacity: int = 400
    event_capacity: int = 500
