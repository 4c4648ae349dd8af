"""The leak-test failure tells the customer when to retry: the meter's configured retry delay,
not a fixed 6 minutes (rules G3, P9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gas_rig import LEAK, build_gas_rig

from emulator.config import ConfigError, default_config_text, parse_config
from firmware.gas.gas_meter import GasSettings
from firmware.gas.leak_test import LeakTestSettings, LeakTestState
from firmware.gas.notices import GasNotice, LeakTestResult
from firmware.rules.money import Money


def first_failure(settings: GasSettings) -> LeakTestResult:
    rig = build_gas_rig(settings)
    heard: list[GasNotice] = []
    rig.meter.subscribe_notices(heard.append)
    rig.cut()
    rig.set_demand(LEAK)
    assert rig.meter.enable_reconnection_if_credit(Money.eur(0, 50)).accepted
    rig.press("arrow")  # the leak shows at once
    assert rig.test_state() is LeakTestState.FAILED
    (result,) = [notice for notice in heard if isinstance(notice, LeakTestResult)]
    return result


@pytest.mark.parametrize(
    ("delay", "said"),
    [
        (timedelta(minutes=6), "retry in 6 minutes"),
        (timedelta(minutes=1), "retry in 1 minute"),
        (timedelta(seconds=90), "retry in 90 seconds"),
    ],
)
def test_a_failed_leak_test_says_the_configured_retry_delay(delay: timedelta, said: str) -> None:
    # rule G3: the arrow returns after the retry delay; the notice says that delay
    result = first_failure(GasSettings(leak_test=LeakTestSettings(retry_delay=delay)))
    assert (result.attempt, result.passed, result.locked_out) == (1, False, False)
    assert result.retry_delay == delay
    assert result.text.endswith(said)


def test_the_configuration_sets_the_retry_delay() -> None:
    text = default_config_text("gas")
    assert parse_config(text).leak_test.retry_delay == timedelta(minutes=6)
    changed = text.replace("retry_seconds: 360", "retry_seconds: 120")
    assert parse_config(changed).leak_test.retry_delay == timedelta(minutes=2)
    with pytest.raises(ConfigError, match=r"gas\.yaml:\d+: .* from 1 to 3600, got 0"):
        parse_config(text.replace("retry_seconds: 360", "retry_seconds: 0"), "gas.yaml")
