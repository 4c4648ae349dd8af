"""The script of ``vmeter demo``: five winter days of a household in central prepayment for
electricity and gas (rules M5, P1-P9, E8, G3, G4), told as it happens.

Installed on a Wednesday evening with 20 EUR of starting credit per energy (P1), the house
heats with electricity and gas at winter prices. The platform collects each day's indexes
after midnight and bills them (E3, M6): low credit on Friday (P2), emergency credit on
Saturday (P3), exhausted on Sunday inside the weekend's non-disconnect period, so the cut
waits for Monday 08:00 (P4, P5). On Monday the customer pays both energies (P6), the platform
enables reconnection (P8): the green button held 5 s closes the relay (E8); the gas valve
waits for the leak test, which passes with every appliance off (G3, G4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from emulator.demo_household import GAS_HEATING_L_PER_H
from emulator.demo_links import MeterLink
from emulator.demo_output import say
from emulator.demo_platform import DemoPlatform
from emulator.demo_watch import BrokerWatch
from emulator.demo_world import DemoWorld
from firmware.rules.localtime import BRUSSELS, to_local

COLLECT_AT = time(0, 5)
"""After the meters' midnight snapshot (E3)."""
DAYS = 5
TOP_UP = "60.00"  # EUR, each energy (P6: 5.00 to 250.00)


@dataclass(frozen=True)
class Cast:
    """Who acts in the story."""

    world: DemoWorld
    platform: DemoPlatform
    watch: BrokerWatch
    electricity: MeterLink
    gas: MeterLink


async def tell(cast: Cast) -> None:
    world, platform = cast.world, cast.platform
    await platform.enrol(world.now())
    first_day = to_local(world.now()).date() + timedelta(days=1)
    for offset in range(DAYS):
        day = first_day + timedelta(days=offset)
        await _until(cast, datetime.combine(day, COLLECT_AT, BRUSSELS))
        await platform.collect(day - timedelta(days=1), world.now())
        await _news(cast)
    await _monday_morning(cast, world.now().astimezone(BRUSSELS).replace(hour=10, minute=0))


async def _monday_morning(cast: Cast, ten: datetime) -> None:
    world, platform = cast.world, cast.platform
    await _until(cast, ten)
    say(world.now(), "customer", f"pays {TOP_UP} EUR for electricity by bank transfer (P6)")
    await platform.top_up(cast.electricity, TOP_UP, world.now())
    await _news(cast)
    await _until(cast, ten + timedelta(minutes=1))
    await _customer(cast, "holds the green button 5 s (E8)", world.hold_green_button)
    await _until(cast, ten + timedelta(minutes=5))
    say(world.now(), "customer", f"pays {TOP_UP} EUR for gas (P6)")
    await platform.top_up(cast.gas, TOP_UP, world.now())
    await _news(cast)
    await _until(cast, ten + timedelta(minutes=6))

    def start_leak_test() -> None:
        world.set_gas_demand(0)  # a tight installation: no flow through the test position
        world.press_gas_button("arrow")

    await _customer(
        cast, "turns every gas appliance off, presses the blinking arrow (G3)", start_leak_test
    )
    await _until(cast, ten + timedelta(minutes=15))
    await _customer(
        cast, "turns the heating back on", lambda: world.set_gas_demand(GAS_HEATING_L_PER_H)
    )
    await _until(cast, ten + timedelta(minutes=30))


async def _customer(cast: Cast, text: str, action: Callable[[], object]) -> None:
    say(cast.world.now(), "customer", text)
    action()
    await _news(cast)


async def _until(cast: Cast, moment: datetime) -> None:
    """Simulated time up to ``moment``, the cuts falling due meanwhile carried out at their
    instant (the end of the non-disconnect period, P4)."""
    world, platform = cast.world, cast.platform
    while due := [at for at in platform.cuts_due() if at <= moment]:
        world.run_until(min(due))
        say(world.now(), "platform", "end of the non-disconnect period: the cuts are due (P4)")
        await platform.carry_out_due_cuts(world.now())
        await _news(cast)
    world.run_until(moment)
    await _news(cast)


async def _news(cast: Cast) -> None:
    """After the platform spoke to the meters: their pushes, then what changed on them."""
    await cast.watch.settle()
    cast.world.tell_news()
