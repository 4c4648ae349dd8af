"""What the live platform has to do at a given time, from the ledger alone (sans-IO).

Per meter: collect the day's indexes (and the consented profile, R1) once the meter's
midnight snapshot exists (E3), push the day's balance again while its push after the
collection has not reached the meter (E7), re-decide an account whose NDP-delayed cut is due
(P4, P5), and carry out the orders not yet sent (P4, P8), each with the current balance (E7).
The loop around it (``headend.platform.live``) talks to the meters and the broker.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from firmware.rules.localtime import local_midnight, to_local
from headend.platform.decisions import OrderKind, Supply
from headend.platform.ledger import Ledger

COLLECT_DELAY: Final = timedelta(minutes=5)
"""After local midnight: the meter has taken its snapshot and a clock running a little
behind the platform's has too."""


@dataclass(frozen=True, slots=True)
class Collect:
    """Read the snapshot closing ``day`` (and its quarter-hours with consent) and bill it."""

    serial: str
    day: date
    profile: bool


@dataclass(frozen=True, slots=True)
class PushBalance:
    """Push the current balance: the day's push after its collection failed (E7)."""

    serial: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Re-decide: a cut waiting for the end of the non-disconnect period is due (P4)."""

    serial: str


@dataclass(frozen=True, slots=True)
class CarryOut:
    """Send these unsent orders (ledger ids and kinds), the balance pushed first."""

    serial: str
    orders: tuple[tuple[int, OrderKind], ...]


Duty = Collect | PushBalance | Tick | CarryOut


def collection_day(now: datetime) -> date | None:
    """The local day whose snapshot may be collected at ``now``: yesterday, once the
    collection delay after midnight has passed."""
    today = to_local(now).date()
    if now < local_midnight(today) + COLLECT_DELAY:
        return None
    return today - timedelta(days=1)


def due_duties(
    ledger: Ledger,
    now: datetime,
    done_days: dict[str, date],
    not_before: dict[str, datetime],
    owed_pushes: Collection[str] = (),
) -> list[Duty]:
    """The duties due at ``now``. ``done_days``: per meter, the last day collected or given up
    (a day the meter has no snapshot of); ``not_before``: per meter, when to try again after
    a failure; ``owed_pushes``: the meters whose push after the day's collection failed.
    Collections come first, then the owed pushes, then ticks, then the orders already waiting
    (those a collection or a tick adds are ``due_orders`` after them). A meter collected or
    sent orders in this pass gets its balance with them, not as a push of its own."""
    day = collection_day(now)
    orders = due_orders(ledger, now, not_before)
    collects: list[Duty] = []
    pushes: list[Duty] = []
    ticks: list[Duty] = []
    for serial in ledger.serials():
        if not_before.get(serial, now) > now:
            continue
        if day is not None and _collected_until(ledger, serial, done_days) < day:
            collects.append(Collect(serial, day, ledger.meter(serial).consent_15min))
        elif serial in owed_pushes and all(carry.serial != serial for carry in orders):
            pushes.append(PushBalance(serial))
        state = ledger.account_state(serial)
        due = state.disconnect_due
        if state.supply is Supply.DISCONNECT_PENDING and due is not None and due <= now:
            ticks.append(Tick(serial))
    return [*collects, *pushes, *ticks, *orders]


def due_orders(ledger: Ledger, now: datetime, not_before: dict[str, datetime]) -> list[CarryOut]:
    """The unsent orders, per meter, of the meters not waiting after a failure."""
    orders: dict[str, list[tuple[int, OrderKind]]] = {}
    for order_id, serial, _, kind in ledger.unsent_orders():
        if not_before.get(serial, now) <= now:
            orders.setdefault(serial, []).append((order_id, OrderKind(kind)))
    return [CarryOut(serial, tuple(items)) for serial, items in orders.items()]


def _collected_until(ledger: Ledger, serial: str, done_days: dict[str, date]) -> date:
    last = ledger.last_indexes(serial)
    days = [d for d in (done_days.get(serial), last.day if last else None) if d is not None]
    return max(days, default=date.min)
