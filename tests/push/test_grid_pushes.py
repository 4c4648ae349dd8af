"""A grid outage pushes the meter's last gasp (power down) and the grid's return pushes power
up (rule E9, push codes 1 and 2), with the time each happened."""

from __future__ import annotations

from datetime import timedelta

from drained_pushes import drained
from served_tcp import START

from emulator.config import MeterConfig, RunConfig
from emulator.push_binding import meter_pushes
from emulator.runtime import VirtualMeter
from headend.push_codes import PushEventCode

OUTAGE, RETURN = START + timedelta(hours=1), START + timedelta(hours=2, minutes=30)


async def test_a_grid_outage_pushes_power_down_then_power_up() -> None:  # rule E9
    runtime = VirtualMeter(MeterConfig(), RunConfig(instant=True, start=START))
    queue = meter_pushes(runtime).queue
    runtime.schedule(OUTAGE, runtime.meter.grid_outage)
    runtime.schedule(RETURN, runtime.meter.grid_return)
    await runtime.run_to(START + timedelta(hours=3))
    events = drained(queue)
    assert [(event.code, event.text, event.at) for event in events] == [
        (PushEventCode.POWER_UP, "power up", START),  # the pushes start with the meter
        (PushEventCode.POWER_DOWN, "grid outage, power down", OUTAGE),
        (PushEventCode.POWER_UP, "grid return, power up", RETURN),
    ]
    assert {event.serial for event in events} == {"VM0000000001"}
    assert runtime.meter.registers_for_release()[0] == 750  # 500 W for 1.5 h: none meanwhile
