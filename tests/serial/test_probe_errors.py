"""The probe's errors name what went wrong: silence at 300 baud, a wrong identification, a
readout checksum failure, a meter without HDLC, an HDLC link that never comes up."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from cosem.iec62056_21 import DataSet, Iec21Error, encode_readout
from hal.optical import EmulatedOpticalPort, emulated_pair
from headend.serial import ProbeTarget, open_hdlc, read_mode_c, start_mode_e
from headend.session import NoAnswer

Script = Callable[[EmulatedOpticalPort], Awaitable[None]]


async def with_fake_meter(
    script: Script, probe_action: Callable[[EmulatedOpticalPort], Awaitable[object]]
) -> object:
    """Run a scripted, misbehaving meter on one end while the probe works on the other."""
    meter, probe = emulated_pair()
    task = asyncio.create_task(script(meter))
    try:
        return await probe_action(probe)
    finally:
        task.cancel()


def answering(*messages: bytes) -> Script:
    """A meter that answers the first thing it hears with `messages`, then keeps quiet."""

    async def script(meter: EmulatedOpticalPort) -> None:
        while not await meter.read(timeout=1):
            pass
        for message in messages:
            await meter.write(message)
        await asyncio.sleep(10)

    return script


async def silent(meter: EmulatedOpticalPort) -> None:
    await asyncio.sleep(10)


async def test_no_answer_at_300_baud() -> None:
    with pytest.raises(NoAnswer, match=r"no answer to the sign-on at 300 baud 7E1 within 0\.2 s"):
        await with_fake_meter(silent, lambda probe: start_mode_e(probe, 9600, timeout_s=0.2))


async def test_wrong_identification() -> None:
    with pytest.raises(Iec21Error, match="not an identification message"):
        await with_fake_meter(
            answering(b"/hello, I am a toaster\r\n"),
            lambda probe: start_mode_e(probe, 9600, timeout_s=1),
        )


async def test_meter_without_hdlc() -> None:
    with pytest.raises(Iec21Error, match="does not offer HDLC"):
        await with_fake_meter(
            answering(b"/ABC5OLD-METER\r\n"), lambda probe: start_mode_e(probe, 9600, timeout_s=1)
        )


async def test_readout_checksum_failure() -> None:
    readout = bytearray(encode_readout([DataSet("1.8.1", "000021.701", "kWh")]))
    readout[-1] ^= 0x05

    async def meter_script(meter: EmulatedOpticalPort) -> None:
        while not await meter.read(timeout=1):
            pass
        await meter.write(b"/VMT5\\2X\r\n")
        while not await meter.read(timeout=1):
            pass
        await meter.write(bytes(readout))

    with pytest.raises(Iec21Error, match="readout checksum failure"):
        # 300 baud readout: both ends stay on the sign-on line.
        await with_fake_meter(meter_script, lambda probe: read_mode_c(probe, 300, timeout_s=1))


async def test_hdlc_link_that_never_comes_up() -> None:
    with pytest.raises(NoAnswer, match=r"no answer \(UA\) to SNRM within 0.5 s"):
        await with_fake_meter(
            answering(b"/VMT5\\2X\r\n"),  # then never switches to HDLC
            lambda probe: open_hdlc(probe, ProbeTarget("emulated", timeout_s=0.5)),
        )
