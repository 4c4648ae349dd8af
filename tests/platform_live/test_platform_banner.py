"""The first line `vmeter headend platform` prints (README, operators: "prints what it does,
stamped in local time"): the broker and the platform's clock in Brussels time, as the lines
after it."""

from __future__ import annotations

from datetime import UTC, datetime

from hal.clock import ScaledClock
from headend.mqtt import parse_broker_url
from headend.platform_cli import platform_banner


def test_the_banner_gives_the_platform_clock_in_local_time() -> None:
    # rule M7: what the operator reads is Brussels local time
    clock = ScaledClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 3600, running=False)
    banner = platform_banner(parse_broker_url("mqtt://127.0.0.1:1883"), clock)
    assert banner == "platform on mqtt://127.0.0.1:1883, clock 2026-03-02 10:00:00 CET x3600"
