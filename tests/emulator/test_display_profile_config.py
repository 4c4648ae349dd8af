"""The display profile and the prepayment mode in the configuration file (rules E6, M5)."""

from __future__ import annotations

import pytest

from emulator.config import ConfigError, default_config_text, parse_config
from firmware.settings import PrepaymentMode

RESA = ("1.8.1", "1.8.2", "2.8.1", "2.8.2", "tariff", "94.32.2/1", "94.32.2/2", "94.32.2/3")


def test_the_default_electricity_file_is_the_resa_profile() -> None:  # rule E6
    config = parse_config(default_config_text("electricity"))
    assert config.meter.display.items == RESA
    assert config.meter.display.items.index("94.32.2/1") == 5  # press 7, after the test screen
    assert config.meter.prepayment is PrepaymentMode.CENTRAL
    assert config.prepayment_mode == "central"


def test_the_ores_profile() -> None:  # rule E6
    config = parse_config("display:\n  profile: ores\n")
    assert config.meter.display.items == ("1.8.1", "1.8.2", "94.32.2/1", "94.32.2/2", "94.32.2/3")


def test_an_explicit_list_and_the_prepayment_mode() -> None:  # rules E6, M5
    config = parse_config("prepayment:\n  mode: none\ndisplay:\n  items: [1.8.1, 94.32.2/2]\n")
    assert config.meter.display.items == ("1.8.1", "94.32.2/2")
    assert config.meter.prepayment is PrepaymentMode.NONE


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("display:\n  profile: fluvius\n", 2, "resa, ores"),
        ("display:\n  profile: ores\n  items: [1.8.1]\n", 2, "either profile or items"),
        ("display:\n  items:\n    - 1.8.1\n    - 94.32.2/4\n", 4, "unknown display item"),
    ],
)
def test_bad_display_lists_get_a_line_numbered_error(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "meter.yaml")
    assert f"meter.yaml:{line}:" in str(caught.value)
    assert words in str(caught.value)
