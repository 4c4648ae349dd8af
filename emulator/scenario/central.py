"""The central prepayment platform beside a scenario's meter (rules M5, P7, E7), in-process:
``headend.platform.Platform`` over an in-memory ledger, talking to the meter through the
head-end's loopback with ``headend.operations`` and ``headend.platform.orders``.

Registered at the scenario's start (with its P1 starting credit and the meter's registers
read then as the opening reading, M6), it reads the meter's daily indexes every day at
``read_at`` local time, bills the day (the first from the opening reading), pushes the
94.32.2 balance and carries out its orders; a cut it postponed to the end of a
non-disconnect period (P4) is carried out at that instant. ``top_up`` books a payment by the
meter's reference (P6) and carries out what it decides at once (P8: the balance first, then
the reconnection enable).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial

from cosem.errors import CosemError
from emulator.config import MeterConfig
from emulator.runtime import VirtualMeter
from emulator.scenario.loopback import LoopbackHeadend
from firmware.rules.localtime import BRUSSELS, to_local
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff
from headend import operations
from headend.platform.billing import Prices, opening_day
from headend.platform.decisions import BalancePush, Decision, NoticeKind
from headend.platform.errors import PlatformError
from headend.platform.ledger import Energy, Ledger
from headend.platform.orders import carry_out
from headend.platform.service import Platform

IN_MEMORY = ":memory:"
DEFAULT_READ_AT = time(1, 0)
NOTICE_NAMES = {
    NoticeKind.LOW_BALANCE: "low_credit",
    NoticeKind.EMERGENCY_CREDIT: "emergency_credit",
    NoticeKind.DISCONNECTION_IMMINENT: "disconnection_imminent",
    NoticeKind.DISCONNECTED: "disconnected",
    NoticeKind.RECONNECTION_ENABLED: "reconnection_enabled",
    NoticeKind.TOP_UP_RECEIVED: "top_up",
    NoticeKind.CONSUMPTION_ALERT: "consumption_alert",
}


class CentralPlatform:
    """The platform for one electricity meter in central mode; ``report`` hears one line per
    thing it did (the timeline)."""

    def __init__(
        self,
        virtual: VirtualMeter,
        config: MeterConfig,
        headend: LoopbackHeadend,
        report: Callable[[str], None],
        read_at: time = DEFAULT_READ_AT,
    ) -> None:
        self._virtual = virtual
        self._headend = headend
        self._report = report
        self._read_at = read_at
        self.platform = Platform(Ledger(IN_MEMORY))
        self.notices: list[str] = []
        """The names of the P9 notices sent since the observer last looked (``notifications``)."""
        identity = config.meter.identity
        self.serial = identity.serial_number
        prices = config.meter.meter_side.prices
        self._prices = Prices(prices[Tariff.PEAK].milli_cents, prices[Tariff.OFF_PEAK].milli_cents)
        self._ean = identity.ean

    def attach(self, start: datetime, end: datetime) -> None:
        """Register the meter now, from its registers now, and schedule the daily reads up to
        ``end``."""
        read_now = partial(
            operations.read_indexes_now, energy=Energy.ELECTRICITY, day=opening_day(start)
        )
        opening = self._headend.run(read_now)
        self.platform.register_meter(self.serial, self._ean, self._prices, start, opening=opening)
        day = to_local(start).date()
        while (read := datetime.combine(day, self._read_at, BRUSSELS)) <= end:
            if read > start:
                self._virtual.schedule(read, self.daily_read)
            day += timedelta(days=1)

    @property
    def balance(self) -> Money:
        """The platform's balance (what it computes, not yet what the meter shows: P7)."""
        return Money(self.platform.ledger.balance(self.serial))

    def daily_read(self) -> None:
        """E3, P7: yesterday's indexes in, the day billed, the balance pushed, orders out."""
        now = self._virtual.clock.now()
        try:
            indexes = self._headend.run(operations.read_daily_indexes)
            decision = self.platform.receive_daily_indexes(self.serial, indexes, now)
        except (PlatformError, CosemError) as error:
            self._report(f"platform: daily read failed: {error}")
            return
        self._report(
            f"platform: indexes of {indexes.day} read ({indexes.peak_wh} Wh peak, "
            f"{indexes.offpeak_wh} Wh off-peak), balance {self.balance} EUR"
        )
        self._carry_out(decision, self.platform.daily_push(self.serial, now))

    def top_up(self, amount: Money) -> str:
        """P6: a payment quoting the meter's reference; P8: its decision carried out now."""
        now = self._virtual.clock.now()
        reference = self.platform.reference_of(self.serial)
        try:
            result = self.platform.top_up(reference, amount.format(2), now)
        except PlatformError as error:
            return f"refused by the platform: {error}"
        push = self.platform.daily_push(self.serial, now) if result.decision.orders else None
        self._carry_out(result.decision, push)
        return f"booked on reference {reference}: platform balance {self.balance} EUR"

    def take_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices

    def _carry_out(self, decision: Decision, push: BalancePush | None) -> None:
        self.notices += [NOTICE_NAMES[notice.kind] for notice in decision.notices]
        for notice in decision.notices:
            self._report(f"platform notifies: {notice.kind.value}")
        if push is not None or decision.orders:
            try:
                done = self._headend.run(partial(carry_out, decision, push))
            except CosemError as error:
                done = [f"refused by the meter: {error}"]
            for line in done:
                self._report(f"platform: {line}")
        due = decision.state.disconnect_due
        if due is not None:  # P4: the cut waits for the end of the non-disconnect period
            self._virtual.schedule(due, self._tick)

    def _tick(self) -> None:
        now = self._virtual.clock.now()
        decision = self.platform.tick(self.serial, now)
        push = self.platform.daily_push(self.serial, now) if decision.orders else None
        self._carry_out(decision, push)
