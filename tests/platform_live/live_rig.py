"""Helpers of the live platform's tests: a central-mode meter served over a broker, on an
instant clock the test moves and the platform reads, the platform on that clock, the outbox
topic's reader and the command line. Reuses tests/mqtt/mqtt_rig.py."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mqtt"))
from mqtt_rig import FAST_BACKOFF, WAIT_S

from emulator.cli import main
from emulator.config import MeterConfig, RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.mqtt_service import MqttService
from emulator.runtime import VirtualMeter
from headend.mqtt import BrokerAddress, mqtt_client
from headend.platform.ledger import Ledger
from headend.platform.live import Enrolment, LivePlatform
from headend.platform.service import Platform
from headend.platform_cli import mqtt_session_opener

# Monday 2 March 2026, 10:00 in Brussels.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SERIAL = MeterConfig().meter.identity.serial_number
PASSWORD = b"00000000"
TUESDAY_0010 = datetime(2026, 3, 2, 23, 10, tzinfo=UTC)  # local 00:10, Monday closed
WEDNESDAY_0010 = datetime(2026, 3, 3, 23, 10, tzinfo=UTC)  # Tuesday closed; inside the NDP
WEDNESDAY_0801 = datetime(2026, 3, 4, 7, 1, tzinfo=UTC)  # the NDP is over (P5)
TOKEN_KEY = "000102030405060708090a0b0c0d0e0f"
METER_MODE = f"""
security:
  token_key: "{TOKEN_KEY}"
prepayment:
  mode: meter
  power_limiter: true
  power_limit_w: 2300
"""
"""A meter-mode meter (rule M5) with a power limiter (P4), its tokens made with TOKEN_KEY."""


@dataclass
class LiveMeter:
    runtime: VirtualMeter
    service: MqttService
    config: MeterConfig

    @property
    def address(self) -> BrokerAddress:
        return self.service.address


def central_config(watts: int, serial: str = SERIAL, ean: str | None = None) -> MeterConfig:
    identity = f'identity:\n  serial_number: "{serial}"\n'
    if ean is not None:
        identity += f'  ean: "{ean}"\n'
    return parse_config(f"{identity}load:\n  watts: {watts}\n")


async def serve_central(
    address: BrokerAddress, config: MeterConfig, runtime: VirtualMeter | None = None
) -> LiveMeter:
    """``runtime`` served (again, after its service closed), or a new one at START."""
    runtime = runtime or VirtualMeter(config, RunConfig(instant=True, start=START))
    serial = config.meter.identity.serial_number
    service = MqttService(
        build_logical_device(runtime, config), serial, address, backoff=FAST_BACKOFF
    )
    await service.start()
    await asyncio.wait_for(service.wait_online(), WAIT_S)
    return LiveMeter(runtime, service, config)


def url(address: BrokerAddress) -> str:
    return f"mqtt://{address.host}:{address.port}"


@contextlib.asynccontextmanager
async def live_platform(
    meter: LiveMeter, db: Path, enrolment: Enrolment, client_id: str = "platform-test"
) -> AsyncIterator[tuple[LivePlatform, list[str]]]:
    """The platform on the meter's own clock, publishing through its own MQTT client."""
    lines: list[str] = []
    ledger = Ledger(db)
    async with mqtt_client(
        meter.address, identifier=f"vmeter-{client_id}-outbox", clean_session=True
    ) as client:

        async def publish(topic: str, payload: bytes) -> None:
            await client.publish(topic, payload, qos=1)

        live = LivePlatform(
            Platform(ledger),
            meter.runtime.clock,
            mqtt_session_opener(meter.address, client_id, PASSWORD, WAIT_S),
            publish,
            enrolment,
            report=lines.append,
        )
        try:
            yield live, lines
        finally:
            ledger.close()


@contextlib.asynccontextmanager
async def outbox_listener(address: BrokerAddress) -> AsyncIterator[list[dict[str, object]]]:
    received: list[dict[str, object]] = []
    async with mqtt_client(
        address, identifier="vmeter-outbox-reader", clean_session=True
    ) as client:
        await client.subscribe("vmeter/platform/outbox/#", qos=1)

        async def collect() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                received.append(json.loads(message.payload))

        task = asyncio.create_task(collect())
        try:
            yield received
        finally:
            task.cancel()


async def until_true(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(WAIT_S):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        pytest.fail(f"waited in vain for {what}")


def run_cli(*arguments: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(arguments))
    return code, out.getvalue().splitlines()
