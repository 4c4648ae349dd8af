"""The `prepayment` section of the configuration file for meter-side mode (rule M5)."""

from __future__ import annotations

import pytest

from emulator.config import ConfigError, parse_config
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff
from firmware.settings import PrepaymentMode

KEY = "00112233445566778899AABBCCDDEEFF"


def config_text(prepayment: str) -> str:
    return f'security:\n  token_key: "{KEY}"\nprepayment:\n{prepayment}'


def test_meter_mode_reads_prices_threshold_limiter_and_the_token_key() -> None:
    config = parse_config(
        config_text(
            "  mode: meter\n"
            '  prices: {peak: "0.3125", offpeak: "0.2"}\n'
            '  low_credit_threshold: "7.50"\n'
            "  power_limiter: true\n"
            '  weekly_fixed_charge: "3.50"\n'
        )
    )
    assert config.meter.prepayment is PrepaymentMode.METER
    side = config.meter.meter_side
    assert side.prices == {Tariff.PEAK: Money.parse("0.3125"), Tariff.OFF_PEAK: Money(20_000)}
    assert side.low_credit_threshold == Money.parse("7.50")
    assert side.power_limiter is True
    assert side.token_key == bytes.fromhex(KEY)
    assert side.weekly_fixed_charge == Money.parse("3.50")  # rule B10


def test_no_weekly_fixed_charge_by_default() -> None:  # rule B10
    config = parse_config(config_text("  mode: meter\n"))
    assert config.meter.meter_side.weekly_fixed_charge == Money(0)


@pytest.mark.parametrize(
    ("prepayment", "message"),
    [
        ('  prices: {peak: 0.30, offpeak: "0.25"}\n', "quotes"),
        ('  prices: {peak: "0.30"}\n', "needs offpeak"),
        ('  prices: {peak: "0.30", offpeak: "0.25", night: "0.1"}\n', "unknown key"),
        ('  prices: {peak: "0.30001", offpeak: "0.25"}\n', "steps of 0.0001"),
        ('  prices: {peak: "4.00", offpeak: "0.25"}\n', "at most 3.2767"),
        ('  low_credit_threshold: "-1"\n', "negative"),
        ('  low_credit_threshold: "five"\n', "not an amount"),
        ('  weekly_fixed_charge: "3.505"\n', "whole cents"),
        ('  weekly_fixed_charge: "400"\n', "at most 327.67"),
        ('  weekly_fixed_charge: "-1"\n', "negative"),
    ],
)
def test_bad_prepayment_settings_name_their_line(prepayment: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_config(config_text(prepayment), "meter.yaml")
    assert str(caught.value).startswith("meter.yaml:")
