"""Event pushes over a real broker (Mosquitto and amqtt): a meter-side prepayment meter whose
credit runs down in instant mode pushes its P9 notices in order on vmeter/<serial>/push, and
the head-end's ``watch`` reads them back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from brokers import Mosquitto
from mqtt_rig import FAST_BACKOFF, WAIT_S
from payment_meter import START, meter_mode_config, meter_mode_runtime, token

from emulator.cosem_binding import build_logical_device
from emulator.mqtt_service import MqttService
from emulator.push_binding import MeterPushes, meter_pushes
from emulator.runtime import VirtualMeter
from firmware.rules.localtime import to_local
from firmware.rules.money import Money
from headend.mqtt import BrokerAddress
from headend.push_codes import PushEventCode as Code
from headend.push_events import PushEvent
from headend.watch import event_json, push_topic, watch

pytestmark = pytest.mark.timeout(60)

SERIAL = "VM0000000001"


@dataclass
class PushingMeter:
    runtime: VirtualMeter
    pushes: MeterPushes
    service: MqttService

    async def stop(self) -> None:
        """A clean stop as ``vmeter run --mqtt`` does it: power down, then offline."""
        self.runtime.shutdown()
        self.pushes.power_down()
        await self.service.close()


async def start_meter(address: BrokerAddress, watts: int = 1000) -> PushingMeter:
    config = meter_mode_config(watts)
    runtime = meter_mode_runtime(config)
    device = build_logical_device(runtime, config)
    pushes = meter_pushes(runtime)
    service = MqttService(device, SERIAL, address, backoff=FAST_BACKOFF, pushes=pushes.queue)
    await service.start()
    await asyncio.wait_for(service.wait_online(), WAIT_S)
    return PushingMeter(runtime, pushes, service)


@dataclass
class Watcher:
    events: list[PushEvent]
    task: asyncio.Task[int]

    async def result(self) -> list[PushEvent]:
        await asyncio.wait_for(self.task, WAIT_S)
        return self.events


async def start_watch(
    address: BrokerAddress, count: int, meter: str = SERIAL, session: str | None = None
) -> Watcher:
    events: list[PushEvent] = []
    ready = asyncio.Event()
    task = asyncio.create_task(
        watch(
            address,
            push_topic(meter),
            events.append,
            count=count,
            timeout_s=3 * WAIT_S,
            session=session,
            subscribed=ready.set,
        )
    )
    await asyncio.wait_for(ready.wait(), WAIT_S)
    return Watcher(events, task)


@pytest.fixture
async def stopped() -> AsyncIterator[list[PushingMeter]]:
    meters: list[PushingMeter] = []
    yield meters
    for meter in meters:
        await meter.service.close()


async def test_credit_running_down_pushes_the_p9_notices_in_order(
    broker: BrokerAddress, stopped: list[PushingMeter]
) -> None:
    # rules P9, P2, P3, P4, P8, E8: 1000 W at 0.30 EUR/kWh from 20 EUR, Monday 10:00
    watcher = await start_watch(broker, count=8)
    meter = await start_meter(broker)
    stopped.append(meter)
    await meter.runtime.run(until=START + timedelta(days=7))
    meter.runtime.meter.enter_token(token(1, "50.00"))  # P6 through the meter's keypad
    await meter.stop()

    events = await watcher.result()
    assert [event.code for event in events] == [
        Code.POWER_UP,
        Code.LOW_CREDIT,
        Code.EMERGENCY_CREDIT_STARTED,
        Code.DISCONNECTION_IMMINENT,  # used up on Friday evening: inside the NDP (P4, P5)
        Code.DISCONNECTED,
        Code.TOP_UP_RECEIVED,
        Code.RECONNECTION_ENABLED,
        Code.POWER_DOWN,
    ]
    by_code = {event.code: event for event in events}
    low = by_code[Code.LOW_CREDIT]
    assert Money.eur(4) < low.balance <= Money.eur(5)  # P2 threshold 5.00 EUR
    assert low.supply == "connected"
    assert by_code[Code.EMERGENCY_CREDIT_STARTED].emergency_credit <= Money.eur(15)
    assert "emergency credit activated on" in by_code[Code.EMERGENCY_CREDIT_STARTED].text
    cut = by_code[Code.DISCONNECTED]
    assert cut.supply == "disconnected"
    assert cut.balance < Money.eur(-15)  # the NDP weekend kept the supply on (P4)
    assert f"{to_local(cut.at):%a %H:%M}" == "Mon 08:00"  # after the NDP weekend (P5)
    assert by_code[Code.TOP_UP_RECEIVED].balance == cut.balance + Money.eur(50)
    assert by_code[Code.RECONNECTION_ENABLED].supply == "ready for reconnection"
    assert all(event.serial == SERIAL for event in events)
    assert [event.invoke_id for event in events] == list(range(1, 9))
    assert [event.at for event in events] == sorted(event.at for event in events)


async def test_watch_json_money_is_exact_text(
    broker: BrokerAddress, stopped: list[PushingMeter]
) -> None:
    watcher = await start_watch(broker, count=2, meter="+")
    meter = await start_meter(broker)
    stopped.append(meter)
    meter.runtime.meter.enter_token(token(1, "12.34"))
    events = await watcher.result()
    shown = event_json(events[1])
    assert (shown["event"], shown["balance"], shown["currency"]) == (
        "top-up received",
        "32.34",
        "EUR",
    )
    assert shown["time"] == "2026-03-02T10:00:00+01:00"


async def test_pushes_wait_for_the_broker_during_an_outage(tmp_path: Path) -> None:
    # the queue keeps the pushes while the broker is away; a persistent watch misses none
    broker = Mosquitto(tmp_path, persistent=True)
    await broker.start()
    meter: PushingMeter | None = None
    try:
        first = await start_watch(broker.address, count=1, session="outage")
        meter = await start_meter(broker.address)
        assert [event.code for event in await first.result()] == [Code.POWER_UP]
        broker.stop()
        meter.runtime.meter.enter_token(token(1, "10.00"))
        meter.runtime.meter.enter_token(token(2, "5.00"))
        assert len(meter.pushes.queue) == 2
        await broker.start()
        await asyncio.wait_for(meter.service.wait_online(), WAIT_S)
        again = await start_watch(broker.address, count=2, session="outage")
        events = await again.result()
        assert [(event.code, event.balance) for event in events] == [
            (Code.TOP_UP_RECEIVED, Money.eur(30)),
            (Code.TOP_UP_RECEIVED, Money.eur(35)),
        ]
        assert len(meter.pushes.queue) == 0
    finally:
        if meter is not None:
            await meter.service.close()
        broker.stop()
