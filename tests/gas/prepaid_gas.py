"""A gas meter in meter-side prepayment mode (rule M5), configured from YAML as a user would,
on an instant clock the test moves (shared by the gas payment-object tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from cosem.classes.payment import UnitCharge
from cosem.classes.register import EXTENDED_REGISTER_CLASS_ID
from emulator import obis_map
from emulator.config import MeterConfig, RunConfig, default_config_text, parse_config
from emulator.runtime import VirtualMeter
from firmware.rules.money import Money
from firmware.rules.token import make_token

# Wednesday 14 January 2026, noon in Brussels: outside the non-disconnect period (P5).
START: Final = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
M3_PER_HOUR: Final = 1000  # l/h: one m3 an hour, 0.85 EUR an hour at the default price
DEFAULT_PRICE: Final = 8500  # prepayment.price_per_m3 "0.8500" in 0.0001 EUR
ZERO_KEY: Final = bytes(16)  # the documented default token key


def prepaid_gas_config(l_per_h: int = M3_PER_HOUR) -> MeterConfig:
    text = (
        default_config_text("gas")
        .replace("mode: central", "mode: meter")
        .replace("l_per_h: 300", f"l_per_h: {l_per_h}")
    )
    return parse_config(text)


def prepaid_gas(config: MeterConfig, with_gas: bool = False) -> VirtualMeter:
    return VirtualMeter(config, RunConfig(instant=True, start=START, with_gas=with_gas))


def later(virtual: VirtualMeter, hours: int) -> None:
    """Move the instant clock on; the account catches up with each deadline when read."""
    clock = virtual.simulated_clock
    assert clock is not None
    clock.advance_to(clock.now() + timedelta(hours=hours))


def gas_token(virtual: VirtualMeter, seq: int, amount: str) -> bytes:
    """A top-up token for the gas meter's own serial, as the gateway's octet-string."""
    return make_token(ZERO_KEY, virtual.gas_serial, seq, Money.parse(amount)).encode()


def price_per_m3(price: int) -> UnitCharge:
    """The gas charge's unit charge: ``price`` 0.0001 EUR per m3 of the volume register."""
    commodity = (EXTENDED_REGISTER_CLASS_ID, obis_map.GAS_VOLUME, 2)
    return UnitCharge(3, -4, commodity, ((b"T1", price),))
