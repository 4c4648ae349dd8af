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
from datetime import datetime, timedelta

from emulator.demo_household import GAS_HEATING_L_PER_H
from emulator.demo_output import say
from emulator.demo_platform import balance, enrol, next_duty
from emulator.demo_watch import BrokerWatch
from emulator.demo_world import DemoWorld
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from headend.platform.live import LivePlatform

DAYS = 5
"""From the installation to the Monday morning of the top-ups."""
TOP_UP = "60.00"  # EUR, each energy (P6: 5.00 to 250.00)


@dataclass(frozen=True)
class Cast:
    """Who acts in the story: the meters (and the customer's hands), the platform, the
    broker's onlookers; the electricity and gas meters' serials (their accounts')."""

    world: DemoWorld
    platform: LivePlatform
    watch: BrokerWatch
    electricity: str
    gas: str


async def tell(cast: Cast) -> None:
    world = cast.world
    for serial in (cast.electricity, cast.gas):
        await enrol(cast.platform, serial)
    monday = world.now().astimezone(BRUSSELS) + timedelta(days=DAYS)
    await _monday_morning(cast, monday.replace(hour=10, minute=0))


async def _monday_morning(cast: Cast, ten: datetime) -> None:
    world = cast.world
    await _until(cast, ten)
    await _pays(cast, cast.electricity, "for electricity by bank transfer")
    await _until(cast, ten + timedelta(minutes=1))
    await _customer(cast, "holds the green button 5 s (E8)", world.hold_green_button)
    await _until(cast, ten + timedelta(minutes=5))
    await _pays(cast, cast.gas, "for gas")
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


async def _pays(cast: Cast, serial: str, how: str) -> None:
    """P6: a payment quoting the account's reference, booked in the ledger (as ``vmeter
    headend topup``); the platform's next pass carries out what it decided (P8, P9)."""
    now, platform = cast.world.now(), cast.platform.platform
    reference = platform.reference_of(serial)
    say(now, "customer", f"pays {TOP_UP} EUR {how}, reference {reference} (P6)")
    result = platform.top_up(reference, TOP_UP, now)
    say(
        now,
        "platform",
        f"{serial}: {Money(result.amount)} EUR booked, balance "
        f"{balance(platform.ledger, serial)} EUR",
    )
    await cast.platform.step()
    await _news(cast)


async def _customer(cast: Cast, text: str, action: Callable[[], object]) -> None:
    say(cast.world.now(), "customer", text)
    action()
    await _news(cast)


async def _until(cast: Cast, moment: datetime) -> None:
    """Simulated time up to ``moment``, the platform stepping whenever a duty falls due
    (the collection after midnight, a cut at the end of a non-disconnect period)."""
    world, live = cast.world, cast.platform
    while (due := next_duty(live.platform.ledger, world.now())) <= moment:
        world.run_until(due)
        await live.step()
        await _news(cast)
    world.run_until(moment)
    await _news(cast)


async def _news(cast: Cast) -> None:
    """After the platform spoke to the meters: their pushes, then what changed on them."""
    await cast.watch.settle()
    cast.world.tell_news()
