"""`vmeter headend limit` against a meter that serves no Limiter (README, rule E4: "meter mode
with a limiter"): one line saying why, exit 1, not a bare "object-undefined"."""

from __future__ import annotations

import asyncio

import pytest
from served_tcp import ServedMeter

from emulator.cli import main

pytestmark = pytest.mark.timeout(60)
EXIT_REFUSED = 1


async def test_limit_on_a_central_mode_meter_says_it_has_no_limiter(  # rules E4, P4
    served: ServedMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["headend", "--tcp", served.endpoint, "--password", "00000000", "limit", "2000"]
    code = await asyncio.wait_for(asyncio.to_thread(main, arguments), timeout=30)
    error = capsys.readouterr().err.strip()
    assert code == EXIT_REFUSED
    assert len(error.splitlines()) == 1
    assert "0-0:17.0.0.255 is not served" in error
    assert "prepayment.mode: meter and power_limiter: true" in error
