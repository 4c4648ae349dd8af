"""`vmeter token make` prints a token the head-end enters over TCP (rules P6, M5): the path an
integration tester follows, with the real CLI in a thread while the meter serves here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from payment_meter import CONFIG_TEXT, SERIAL, TOKEN_KEY, serve_meter_mode

from emulator.cli import main
from emulator.runtime import VirtualMeter
from firmware.rules.money import Money


@pytest.fixture
async def served() -> AsyncIterator[tuple[VirtualMeter, str]]:
    runtime, service = await serve_meter_mode()
    try:
        yield runtime, f"127.0.0.1:{service.port}"
    finally:
        await service.close()


async def vmeter(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.wait_for(asyncio.to_thread(main, list(argv)), 30)
    out, err = capsys.readouterr()
    return code, out.strip(), err


def headend(endpoint: str, token: str) -> tuple[str, ...]:
    target = "0-0:19.40.0.255:1"
    return ("headend", "--tcp", endpoint, "--password", "00000000", "action", target, token)


async def test_a_token_made_from_the_config_is_entered_by_the_headend(
    served: tuple[VirtualMeter, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runtime, endpoint = served
    config = tmp_path / "meter.yaml"
    config.write_text(CONFIG_TEXT.replace("{watts}", "1000"))
    code, token, _ = await vmeter(
        capsys, "token", "make", "--config", str(config), "--amount", "20.00", "--seq", "9"
    )
    assert code == 0
    code, _, err = await vmeter(capsys, *headend(endpoint, token), "--type", "octet-string")
    assert code == 0, err
    assert runtime.meter.account_for_release().balance == Money.eur(40)
    code, _, err = await vmeter(capsys, *headend(endpoint, token), "--type", "octet-string")
    assert code == 1 and "OTHER_REASON" in err.upper().replace("-", "_")  # a replay: refused
    assert runtime.meter.account_for_release().balance == Money.eur(40)


async def test_token_make_with_a_key_and_the_default_sequence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, token, _ = await vmeter(
        capsys, "token", "make", "--meter", SERIAL, "--key", TOKEN_KEY, "--amount", "5"
    )
    assert code == 0 and len(token.replace("-", "")) == 28


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--meter", SERIAL, "--key", TOKEN_KEY, "--amount", "4.99"), "refused"),
        (("--meter", SERIAL, "--key", "00", "--amount", "20"), "key"),
        (("--key", TOKEN_KEY, "--amount", "20"), "--meter"),
        (("--meter", SERIAL, "--key", "zz", "--amount", "20"), "hex"),
    ],
)
async def test_token_make_refuses_bad_input_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, _, err = await vmeter(capsys, "token", "make", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
