"""The meter configuration file: defaults, line-numbered errors, unknown keys."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from emulator.config import KINDS, ConfigError, default_config_text, parse_config


@pytest.mark.parametrize("kind", KINDS)
def test_the_default_file_of_each_kind_parses(kind: str) -> None:
    config = parse_config(default_config_text(kind))
    assert config.kind == kind
    assert config.meter.control_mode == 3  # rule M1
    assert config.communication.hdlc_physical_address == 17
    assert config.security.reader_password == "12345678"
    assert len(config.meter.identity.ean) == 18


def test_values_from_the_file_are_used() -> None:
    config = parse_config(
        "tariff:\n  offpeak_start: '21:00'\nrun:\n  instant: true\n  until: +2d\n"
        "load:\n  schedule: [['07:00', 800], ['23:00', -100]]\n"
    )
    assert config.meter.tariff.offpeak_start == time(21, 0)
    assert config.run.instant and config.run.until == timedelta(days=2)
    assert config.load.schedule == ((time(7, 0), 800), (time(23, 0), -100))


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("kind: electricity\nidentity:\n  ean: '123'\n", 3, "18 digits"),
        # rule P6: the EAN is the top-up reference, so a mistyped one is refused
        ("identity:\n  ean: '541448860000000018'\n", 2, "wrong check digit"),
        ("display:\n  items: [1.8.1]\n  colour: red\n", 3, "unknown key display.colour"),
        ("tariff:\n  offpeak_start: 22:00\n", 2, "quotes"),
        ("disconnect_control:\n  control_mode: 9\n", 2, "0 to 6"),
        ("kind: electricity\nkind: gas\n", 2, "duplicate"),
        ("run:\n  until: tomorrow\n", 2, "ISO"),
        ("security:\n  token_key: xyz\n", 2, "hex"),
        ("identity: [\n", 2, "YAML"),
    ],
)
def test_a_bad_file_gets_a_line_numbered_error(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "meter.yaml")
    assert f"meter.yaml:{line}:" in str(caught.value)
    assert words in str(caught.value)
