"""``vmeter demo``: a virtual meter and a head-end over the embedded MQTT broker, printed as
it happens; exits by itself in a few seconds.

1. an amqtt broker on 127.0.0.1 (ephemeral port) and one electricity meter (a fresh temporary
   state directory) with its MQTT communication module on it;
2. one simulated day: a household load with midday solar export, the green button once
   (rule E6), an overload that trips the breaker (rule E9); the LCD is printed when its screen
   changes, not at every index step;
3. a head-end over MQTT (``emulator.demo_story``): object list, registers, clock, a slice of
   the load profile, remote disconnect and reconnect, then the customer's 5-second button
   hold (rule E8);
4. a summary and a clean shutdown (the meter's status ``offline``, the broker closed).

The meter runs in instant mode driven by explicit steps (``run_until``) rather than by
``VirtualMeter.run``, whose end powers the meter down: here it stays up after the day for the
head-end, with its clock still between the head-end's steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

from display.text import render_line
from emulator.broker import EmbeddedBroker
from emulator.cli import print_lcd
from emulator.config import LoadConfig, MeterConfig, RunConfig
from emulator.cosem_binding import build_logical_device
from emulator.demo_story import MeterSide, StoryResult, stamped, technician_session
from emulator.mqtt_service import MqttService
from emulator.runtime import VirtualMeter
from firmware.rules.localtime import to_local
from firmware.settings import DisplaySettings, MeterSettings
from hal.frontend import ConstantLoad, PowerReading
from hal.lcd import LcdState
from headend.mqtt import QOS, BrokerAddress, MeterTopics, mqtt_client

DEMO_SCHEDULE = (
    (time(0, 0), 180),
    (time(7, 0), 900),
    (time(9, 0), 250),
    (time(11, 0), -1800),  # solar panels export at midday
    (time(15, 0), 300),
    (time(18, 0), 2200),
    (time(22, 30), 250),
)
OVERLOAD = ConstantLoad(PowerReading(import_w=(12_000, 400, 400)))
SCROLL_SECONDS = 3 * 3600  # the indexes take turns every three hours
ONLINE_TIMEOUT_S = 10.0
Action = Callable[[], object]


class LcdTicker:
    """Prints the LCD when its screen changes (item, symbols, backlight), not when only the
    shown index steps: a day stays a page long."""

    def __init__(self) -> None:
        self.printed: LcdState | None = None

    def __call__(self, moment: datetime, state: LcdState) -> None:
        if self.printed is None or replace(state, value="") != replace(self.printed, value=""):
            print_lcd(moment, state)
            self.printed = state


def run_until(virtual: VirtualMeter, moment: datetime) -> None:
    """Jump the meter's simulated clock from firmware deadline to deadline up to ``moment``,
    running the firmware at each (instant mode, the demo's explicit steps)."""
    clock = virtual.simulated_clock
    assert clock is not None, "the demo meter runs in instant mode"
    meter = virtual.meter
    while True:
        stop = max(min(meter.next_deadline(include_scroll=False), moment), clock.now())
        clock.advance_to(stop)
        meter.advance_to(stop)
        if stop >= moment:
            return


def demo_config(state: Path, start: datetime) -> MeterConfig:
    config = MeterConfig(
        meter=MeterSettings(display=DisplaySettings(scroll_seconds=SCROLL_SECONDS)),
        load=LoadConfig(watts=None, schedule=DEMO_SCHEDULE),
    )
    return replace(config, run=RunConfig(instant=True, start=start, state=state))


def simulate_day(virtual: VirtualMeter) -> None:
    """The day, with the scripted moments printed as they happen."""
    meter, hal = virtual.meter, virtual.hal
    day_load = hal.frontend.load
    start = virtual.clock.now()

    def overload() -> None:
        hal.frontend.set_load(OVERLOAD)
        meter.refresh_load()

    def back_to_normal() -> str:
        hal.frontend.set_load(day_load)
        meter.refresh_load()
        return "breaker armed" if meter.rearm_breaker() else "breaker trips again"

    def press() -> None:
        hal.buttons.press("green")

    script: list[tuple[timedelta, str, Action]] = [
        (timedelta(hours=8), "green button: test screen (rule E6)", press),
        *(
            (timedelta(hours=8, seconds=second), "green button: next item", press)
            for second in range(1, 6)
        ),
        (timedelta(hours=19), "an oven, a kettle and a heater on L1: 12 kW (rule E9)", overload),
        (
            timedelta(hours=19, minutes=15),
            "customer switches things off and re-arms the breaker",
            back_to_normal,
        ),
    ]
    for offset, text, action in script:
        run_until(virtual, start + offset)
        stamped(virtual.clock.now(), f">> {text}")
        outcome = action()
        if outcome is not None:
            stamped(virtual.clock.now(), f">>    -> {outcome}")
    run_until(virtual, start + timedelta(days=1))
    stamped(virtual.clock.now(), ">> end of the simulated day")


class MeterNews:
    """Prints, on demand, what the meter did since last asked: relay clicks and new entries
    of its event log."""

    def __init__(self, virtual: VirtualMeter) -> None:
        self._virtual = virtual
        self._clicks = self._events = 0
        self.mark()

    def mark(self) -> None:
        self._clicks = len(self._virtual.hal.relay.recorder.of_kind("click"))
        self._events = len(self._virtual.meter.events)

    def show(self) -> None:
        self._virtual.meter.advance_to(self._virtual.clock.now())  # as the run loop on wake
        clicks = self._virtual.hal.relay.recorder.of_kind("click")[self._clicks :]
        events = self._virtual.meter.events.entries()[self._events :]
        for click in clicks:
            stamped(click.at, f"meter: relay click ({click.detail})")
        for event in events:
            stamped(event.timestamp, f"meter: event log {event.code:3d}  {event.text}")
        self.mark()


def meter_side(virtual: VirtualMeter, news: MeterNews) -> MeterSide:
    def pass_time(duration: timedelta) -> None:
        run_until(virtual, virtual.clock.now() + duration)

    def hold_button(duration: timedelta) -> None:
        pass_time(duration)  # the press is reported when the button is let go
        virtual.hal.buttons.press("green", duration)

    def press_button() -> None:
        virtual.hal.buttons.press("green")
        pass_time(timedelta(seconds=1))

    def firmware_register(index: int) -> int:
        return virtual.meter.registers[index]

    return MeterSide(
        virtual.clock.now, pass_time, firmware_register, hold_button, press_button, news.show
    )


async def watch_status(
    address: BrokerAddress, topics: MeterTopics, seen: asyncio.Queue[str]
) -> None:
    """Print the meter's retained status as the broker tells it to any subscriber."""
    async with mqtt_client(address, identifier="vmeter-demo-watcher", clean_session=True) as client:
        await client.subscribe(topics.status, qos=QOS)
        async for message in client.messages:
            payload = message.payload
            status = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
            print(f"{'':26}broker: {topics.status} = {status}", flush=True)
            seen.put_nowait(status)


async def demo(start: datetime) -> None:
    broker = EmbeddedBroker(port=0)
    await broker.start()
    print(f"embedded MQTT broker on mqtt://{broker.host}:{broker.port}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="vmeter-demo-") as state:
            await _with_meter(broker.address, demo_config(Path(state), start))
    finally:
        await broker.close()
        print("broker closed", flush=True)


async def _with_meter(address: BrokerAddress, config: MeterConfig) -> None:
    serial = config.meter.identity.serial_number
    print(f"meter {serial} (state in {config.run.state}), MQTT topics vmeter/{serial}/...")
    virtual = VirtualMeter(config, config.run, on_lcd=LcdTicker())
    service = MqttService(build_logical_device(virtual, config), serial, address)
    statuses: asyncio.Queue[str] = asyncio.Queue()
    watcher = asyncio.create_task(watch_status(address, service.topics, statuses))
    try:
        await service.start()
        await asyncio.wait_for(service.wait_online(), ONLINE_TIMEOUT_S)
        await asyncio.wait_for(_until(statuses, "online"), ONLINE_TIMEOUT_S)
        simulate_day(virtual)
        news = MeterNews(virtual)
        result = await technician_session(
            address,
            serial,
            config.security.management_password.encode(),
            meter_side(virtual, news),
        )
        print_summary(virtual, service, result)
        await service.close()
        await asyncio.wait_for(_until(statuses, "offline"), ONLINE_TIMEOUT_S)
    finally:
        await service.close()
        virtual.shutdown()
        watcher.cancel()
        stamped(virtual.clock.now(), "meter: powered down, state saved")
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _until(statuses: asyncio.Queue[str], wanted: str) -> None:
    while await statuses.get() != wanted:
        pass


def run_demo(start: datetime) -> None:
    """``vmeter demo``: the whole story, from ``start`` (the simulated day's beginning)."""
    asyncio.run(demo(start))


def print_summary(virtual: VirtualMeter, service: MqttService, result: StoryResult) -> None:
    meter = virtual.meter
    print()
    print(f"summary: meter {meter.identity.serial_number}  EAN {meter.identity.ean}")
    print(f"  LCD now: {render_line(virtual.hal.lcd.state)}")
    for code, wh in meter.registers.by_obis().items():
        print(f"  {code}  {wh / 1000:10.3f} kWh")
    print(f"  load profile: {len(meter.profile)} quarter-hour entries")
    for snapshot in meter.snapshots:
        print(
            f"  midnight snapshot {to_local(snapshot.timestamp):%Y-%m-%d %H:%M %Z}: "
            f"{dict(snapshot.values.by_obis())}"
        )
    clicks = virtual.hal.relay.recorder.of_kind("click")
    print(f"  relay: {meter.relay.control_state.name.lower()}, {len(clicks)} clicks")
    print(f"  event log: {len(meter.events)} entries")
    for event in meter.events:
        print(f"    {to_local(event.timestamp):%H:%M:%S}  {event.code:3d}  {event.text}")
    print(f"  COSEM requests served over MQTT: {service.requests.executed}")
    times = sorted(result.round_trips_ms)
    print(
        f"  MQTT round trip (GET 1.8.1, head-end -> broker -> meter -> broker -> head-end): "
        f"median {times[len(times) // 2]:.2f} ms, min {times[0]:.2f}, max {times[-1]:.2f} "
        f"over {len(times)}"
    )
