"""``vmeter demo``: one simulated day of an electricity meter, printed as it happens.

A household load (with midday solar export), the green button, a remote disconnect and
reconnect with the 5-second button hold (rule E8), and an overload that trips the breaker
(rule E9), then a short summary.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from emulator.cli import print_lcd
from emulator.config import LoadConfig, MeterConfig, RunConfig
from emulator.runtime import VirtualMeter
from firmware.rules.localtime import to_local
from firmware.settings import DisplaySettings, MeterSettings
from hal.frontend import ConstantLoad, PowerReading

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


def say(moment: datetime, text: str) -> None:
    print(f"{to_local(moment):%Y-%m-%d %H:%M:%S %Z}  >> {text}", flush=True)


def run_demo(start: datetime) -> VirtualMeter:
    """Simulate the day starting at ``start`` and print the LCD and a summary."""
    # One printed line per quarter hour, so the indexes scroll one step per quarter.
    display = DisplaySettings(scroll_seconds=15 * 60)
    config = MeterConfig(
        meter=MeterSettings(display=display),
        load=LoadConfig(watts=None, schedule=DEMO_SCHEDULE),
    )
    virtual = VirtualMeter(
        config, RunConfig(instant=True, start=start, until=timedelta(days=1)), on_lcd=print_lcd
    )
    meter, hal = virtual.meter, virtual.hal
    day_load = hal.frontend.load

    def at(hours: float, text: str, action: object) -> None:
        moment = virtual.clock.now() + timedelta(hours=hours)

        def act() -> None:
            say(moment, text)
            assert callable(action)
            result = action()
            if result is not None:
                say(moment, f"   -> {result}")

        virtual.schedule(moment, act)

    press = hal.buttons.press
    at(8, "green button: test screen", lambda: press("green"))
    for offset in (8 + 1 / 3600, 8 + 2 / 3600, 8 + 3 / 3600):
        at(offset, "green button: next item", lambda: press("green"))
    at(13, "head-end: remote_disconnect", meter.relay.remote_disconnect)
    at(13.5, "head-end: remote_reconnect", meter.relay.remote_reconnect)
    at(13.6, "customer holds the button 4 s", lambda: press("green", timedelta(seconds=4)))
    at(13.7, "customer holds the button 5 s", lambda: press("green", timedelta(seconds=5)))

    def overload() -> None:
        hal.frontend.set_load(OVERLOAD)
        meter.refresh_load()

    def back_to_normal() -> bool:
        hal.frontend.set_load(day_load)
        meter.refresh_load()
        return meter.rearm_breaker()

    at(19, "an oven, a kettle and a heater on L1: 12 kW", overload)
    at(19.25, "customer switches things off and re-arms the breaker", back_to_normal)

    asyncio.run(virtual.run())
    print_summary(virtual)
    return virtual


def print_summary(virtual: VirtualMeter) -> None:
    meter = virtual.meter
    print()
    print(f"meter {meter.identity.serial_number}  EAN {meter.identity.ean}")
    for code, wh in meter.registers.by_obis().items():
        print(f"  {code}  {wh / 1000:10.3f} kWh")
    print(f"  load profile: {len(meter.profile)} quarter-hour entries")
    for snapshot in meter.snapshots:
        print(
            f"  midnight snapshot {to_local(snapshot.timestamp):%Y-%m-%d %H:%M %Z}: "
            f"{dict(snapshot.values.by_obis())}"
        )
    print(
        f"  relay: {meter.relay.control_state.name.lower()}, "
        f"{len(virtual.hal.relay.recorder.of_kind('click'))} clicks"
    )
    print("  event log:")
    for event in meter.events:
        print(f"    {to_local(event.timestamp):%H:%M:%S}  {event.code:3d}  {event.text}")
