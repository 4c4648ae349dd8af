"""The demo's central prepayment platform (rules M5, P1-P9): the head-end's own
``headend.platform.live.LivePlatform`` over an in-memory ledger, with the demo's simulated
clock, its management sessions over MQTT and its outbox published on the broker.

The story steps it (``LivePlatform.step``) at the moments its duties fall due
(``next_duty``): five minutes after each local midnight (the day's collection, E3), the end
of a non-disconnect period (P4). Everything it does is one printed ``platform`` line."""

from __future__ import annotations

from datetime import datetime, timedelta

from emulator.demo_output import more, say
from firmware.rules.localtime import local_midnight, to_local
from firmware.rules.money import Money
from headend.mqtt import BrokerAddress
from headend.platform.billing import Prices
from headend.platform.decisions import Supply
from headend.platform.duties import COLLECT_DELAY
from headend.platform.ledger import Energy, EntryKind, Ledger
from headend.platform.live import Clock, Enrolment, LivePlatform, Publish
from headend.platform.service import Platform
from headend.platform_cli import mqtt_session_opener

IN_MEMORY = ":memory:"
SESSION_TIMEOUT_S = 10.0


def demo_platform(
    address: BrokerAddress,
    clock: Clock,
    password: bytes,
    publish: Publish,
    enrolment: Enrolment,
) -> LivePlatform:
    """The platform, reaching the meters through ``address`` as management client 1."""
    return LivePlatform(
        Platform(Ledger(IN_MEMORY)),
        clock,
        mqtt_session_opener(address, "vmeter-demo-platform", password, SESSION_TIMEOUT_S),
        publish,
        enrolment,
        tell=lambda at, text: say(at, "platform", text),
    )


async def enrol(live: LivePlatform, serial: str) -> None:
    """P1: the meter's EAN and energies read over COSEM, an account opened per energy."""
    await live.enrol(serial)
    ledger = live.platform.ledger
    meter = ledger.meter(serial)
    more(
        f"starting credit {balance(ledger, serial)} EUR (P1); {_prices(meter.energy, meter.prices)}"
    )


def next_duty(ledger: Ledger, now: datetime) -> datetime:
    """The next moment after ``now`` at which the platform has something to do: the day's
    collection (E3) or a cut postponed to the end of a non-disconnect period (P4, P5)."""
    collect = local_midnight(to_local(now).date()) + COLLECT_DELAY
    if collect <= now:
        collect = local_midnight(to_local(now).date() + timedelta(days=1)) + COLLECT_DELAY
    cuts = [
        state.disconnect_due
        for state in map(ledger.account_state, ledger.serials())
        if state.supply is Supply.DISCONNECT_PENDING
        and state.disconnect_due is not None
        and state.disconnect_due > now
    ]
    return min([collect, *cuts])


def balance(ledger: Ledger, serial: str) -> Money:
    return Money(ledger.balance(serial))


def charged(ledger: Ledger, serial: str) -> Money:
    """What the account's energy cost so far (M6)."""
    return Money(-ledger.total(serial, EntryKind.CHARGE))


def topped_up(ledger: Ledger, serial: str) -> Money:
    return Money(ledger.total(serial, EntryKind.TOP_UP))


def orders_sent(ledger: Ledger) -> int:
    unsent = len(ledger.unsent_orders())
    return sum(len(ledger.orders(serial)) for serial in ledger.serials()) - unsent


def notices_published(ledger: Ledger) -> int:
    """P9: the notifications published on the outbox topic."""
    unpublished = len(ledger.unpublished())
    return sum(len(ledger.notices(serial)) for serial in ledger.serials()) - unpublished


def _prices(energy: Energy, prices: Prices) -> str:
    if energy is Energy.GAS:
        return f"{Money(prices.peak)} EUR/m3"
    return f"{Money(prices.peak)} EUR/kWh peak, {Money(prices.offpeak)} off-peak"
