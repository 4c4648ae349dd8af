"""The live platform: the duties of ``headend.platform.duties`` carried out on real meters.

``LivePlatform.step()`` is one pass at the platform clock's time: enrol the meters heard of
(identity, energies and payment modes read over COSEM; each central-mode energy gets a ledger
account, P1, P6: a gas meter's, an electricity meter's and the gas meter on its channel 1,
opened with the registers read then, so the first day collected is billed from enrolment),
then collect, push again a day's balance the meter missed, tick and carry out orders, then
publish the outbox. Talking to a meter goes
through ``open_session`` (a management ``Session``, not yet associated), the outbox through
``publish``; both are given, so the same pass runs over MQTT or in-process. Sessions are opened
by meter serial (``meter_accounts.meter_serial`` of the account). ``serve`` is the
asyncio loop of ``vmeter headend platform`` around it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Protocol

from cosem.errors import CosemError
from firmware.rules.localtime import local_midnight, to_local
from headend.operations import (
    NoSnapshot,
    PaymentMode,
    SupplyAccount,
    push_balance,
    read_clock,
    read_daily_indexes,
    read_daily_volume,
    read_identity,
    read_indexes_now,
    read_profile,
    read_supplies,
    read_volume_profile,
)
from headend.platform.billing import DailyIndexes, Prices, one_rate, opening_day
from headend.platform.decisions import Decision, Order
from headend.platform.duties import (
    CarryOut,
    Collect,
    Duty,
    PushBalance,
    Tick,
    due_duties,
    due_orders,
)
from headend.platform.errors import PlatformError
from headend.platform.ledger import Energy, OutboxMessage
from headend.platform.meter_accounts import (
    account_objects,
    account_serial,
    meter_serial,
)
from headend.platform.money import format_eur
from headend.platform.orders import carry_out
from headend.platform.service import Platform
from headend.session import Session

RETRY: Final = timedelta(minutes=15)
"""Platform time before a meter that failed (offline, refused) is tried again."""
METER_BEHIND_RETRY: Final = timedelta(minutes=1)
"""Platform time before asking again a meter whose clock has not reached midnight yet."""
OUTBOX_TOPIC: Final = "vmeter/platform/outbox/{serial}"
DEFAULT_PRICES: Final = Prices(peak=15_750, offpeak=7_460)  # 0.1575, 0.0746 EUR/kWh (seed 004)
DEFAULT_GAS_PRICE: Final = 85_000  # 0.85 EUR/m3, milli-cents (a gas meter's default config)

OpenSession = Callable[[str], Awaitable[Session]]
Publish = Callable[[str, bytes], Awaitable[None]]


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Enrolment:
    """How meters heard of join the platform: prices (electricity per kWh, gas per m3, in
    milli-cents), R1 consent, R2 alert percentage."""

    prices: Prices = DEFAULT_PRICES
    consent: frozenset[str] = frozenset()
    alert_percent: int | None = None
    gas_price: int = DEFAULT_GAS_PRICE

    def prices_for(self, energy: Energy) -> Prices:
        return self.prices if energy is Energy.ELECTRICITY else one_rate(self.gas_price)


@dataclass
class LivePlatform:
    platform: Platform
    clock: Clock
    open_session: OpenSession
    publish: Publish
    enrolment: Enrolment = Enrolment()
    report: Callable[[str], None] = print
    tell: Callable[[datetime, str], None] | None = None
    """Instead of ``report``: each thing done with its platform time, for a caller that
    writes its own lines (``vmeter demo``)."""
    done_days: dict[str, date] = field(default_factory=dict)
    not_before: dict[str, datetime] = field(default_factory=dict)
    not_central: set[str] = field(default_factory=set)
    owed_pushes: set[str] = field(default_factory=set)
    """Meters collected whose balance push has not reached them yet (E7: pushed until it has)."""

    async def enrol(self, serial: str) -> None:
        """A meter heard of: if it is new, register each of its energies in central mode (P1),
        the gas meter on its channel 1 as a second account (P6)."""
        known = self.platform.ledger.serials()
        if serial in self.not_central or serial in known or account_serial(serial, 1) in known:
            return
        now = self.clock.now()
        if self.not_before.get(serial, now) > now:
            return
        try:
            async with await self.open_session(serial) as session:
                supplies = await read_supplies(session)
                central = [supply for supply in supplies if supply.mode is PaymentMode.CENTRAL]
                # Each energy's own EAN, so its own top-up reference (P6).
                eans = {
                    supply.channel: (await read_identity(session, supply.channel)).ean
                    for supply in central
                }
                # The opening readings: the energy used from now on is billed (M6).
                openings = {
                    supply.channel: await read_indexes_now(session, supply.energy, opening_day(now))
                    for supply in central
                }
        except CosemError as error:
            self._failed(serial, now, f"not enrolled: {error}")
            return
        if not central:
            self.not_central.add(serial)
            mode = supplies[0].mode.value
            self._say(now, f"{serial}: prepayment mode {mode}, not the platform's")
            return
        for supply in central:
            self._register(serial, eans[supply.channel], supply, openings[supply.channel], now)

    def _register(
        self, serial: str, ean: str, supply: SupplyAccount, opening: DailyIndexes, now: datetime
    ) -> None:
        account = account_serial(serial, supply.channel)
        try:
            meter = self.platform.register_meter(
                account,
                ean,
                self.enrolment.prices_for(supply.energy),
                now,
                energy=supply.energy,
                consent_15min=account in self.enrolment.consent,  # R1
                alert_percent=self.enrolment.alert_percent,
                opening=opening,
            )
        except PlatformError as error:  # e.g. another platform on this database was first
            self._say(now, f"{account}: {error}")
            return
        energy = "" if supply.energy is Energy.ELECTRICITY else " (gas)"
        self._say(now, f"{account}: enrolled, EAN {meter.ean}, reference {meter.reference}{energy}")

    async def step(self) -> None:
        """One pass at the clock's present time."""
        now = self.clock.now()
        ledger = self.platform.ledger
        duties = due_duties(ledger, now, self.done_days, self.not_before, self.owed_pushes)
        await self._carry_all(duties, now)
        # The orders the collections and ticks just decided go out in the same pass.
        await self._carry_all(due_orders(ledger, now, self.not_before), now)
        await self.publish_outbox()

    async def _carry_all(self, duties: Sequence[Duty], now: datetime) -> None:
        for duty in duties:
            try:
                await self._carry(duty, now)
            except (CosemError, PlatformError) as error:
                self._failed(duty.serial, now, str(error))

    async def publish_outbox(self) -> None:
        """P9: every notification not yet published, oldest first, as JSON."""
        ledger = self.platform.ledger
        for message in ledger.unpublished():
            await self.publish(OUTBOX_TOPIC.format(serial=message.serial), outbox_json(message))
            ledger.mark_published(message.id)
            self._say(message.at, f"{message.serial}: notice {message.kind}: {message.text}")

    async def _carry(self, duty: Duty, now: datetime) -> None:
        match duty:
            case Collect():
                await self._collect(duty, now)
            case PushBalance():
                await self._push_again(duty.serial, now)
            case Tick():
                self.platform.tick(duty.serial, now)
            case CarryOut():
                await self.carry_out_orders(duty, now)

    async def _collect(self, duty: Collect, now: datetime) -> None:
        serial, day = duty.serial, duty.day
        meter = self.platform.ledger.meter(serial)
        async with await self.open_session(meter_serial(serial)) as session:
            try:
                indexes = await _READ_DAY[meter.energy](session, day)
            except NoSnapshot as error:
                if await read_clock(session) < local_midnight(day + _DAY):
                    # Its clock is behind the platform's: the snapshot is still to come.
                    self.not_before[serial] = now + METER_BEHIND_RETRY
                    return
                self.done_days[serial] = day  # the meter was not running then: nothing to bill
                self._say(now, f"{serial}: {error}")
                return
            profile = None
            if duty.profile:  # R1: only with the customer's consent
                midnight = local_midnight(day)
                read_quarters = _READ_QUARTERS[meter.energy]
                profile = await read_quarters(session, midnight, local_midnight(day + _DAY))
            self.platform.receive_daily_indexes(serial, indexes, now, profile)
            self.done_days[serial] = day
            self.owed_pushes.add(serial)  # until the push below reaches the meter
            push = self.platform.daily_push(serial, now)
            await push_balance(session, push, account_objects(meter))  # E7: once a day
            self.owed_pushes.discard(serial)
        quarters = f", {len(profile)} quarter-hours" if profile else ""
        if meter.energy is Energy.ELECTRICITY:
            read = f"indexes of {day}: {indexes.peak_wh} / {indexes.offpeak_wh} Wh{quarters}"
        else:
            read = f"volume index of {day}: {indexes.peak_wh} dm3{quarters}"
        self._say(now, f"{serial}: {read}; balance {format_eur(push.balance)} EUR pushed")

    async def _push_again(self, serial: str, now: datetime) -> None:
        """E7: the day's push the meter missed, with the balance as it is now."""
        push = self.platform.daily_push(serial, now)
        async with await self.open_session(meter_serial(serial)) as session:
            await push_balance(session, push, account_objects(self.platform.ledger.meter(serial)))
        self.owed_pushes.discard(serial)
        self._say(now, f"{serial}: balance {format_eur(push.balance)} EUR pushed (missed before)")

    async def carry_out_orders(self, duty: CarryOut, now: datetime) -> None:
        """Claim the duty's orders (none left: another head-end sent them) and send them."""
        ledger = self.platform.ledger
        claimed = [(oid, kind) for oid, kind in duty.orders if ledger.claim_order(oid)]
        if not claimed:
            return  # another head-end on this database took them
        decision = Decision(
            ledger.account_state(duty.serial), orders=tuple(Order(kind) for _, kind in claimed)
        )
        push = self.platform.daily_push(duty.serial, now)
        objects = account_objects(ledger.meter(duty.serial))
        try:
            async with await self.open_session(meter_serial(duty.serial)) as session:
                done = await carry_out(decision, push, session, objects)
        except BaseException:
            for order_id, _ in claimed:
                ledger.release_order(order_id)
            raise
        self.owed_pushes.discard(duty.serial)  # the balance went with the orders
        self._say(now, f"{duty.serial}: {'; '.join(done)}")

    def _failed(self, serial: str, now: datetime, why: str) -> None:
        self.not_before[serial] = now + RETRY
        self._say(now, f"{serial}: {why} (again at {to_local(now + RETRY):%H:%M})")

    def _say(self, at: datetime, text: str) -> None:
        if self.tell is not None:
            self.tell(at, text)
            return
        self.report(f"{to_local(at):%Y-%m-%d %H:%M:%S %Z}  platform: {text}")


_DAY: Final = timedelta(days=1)
_READ_DAY: Final[dict[Energy, Callable[[Session, date], Awaitable[DailyIndexes]]]] = {
    Energy.ELECTRICITY: read_daily_indexes,  # E3
    Energy.GAS: read_daily_volume,  # G1
}
_READ_QUARTERS: Final[
    dict[Energy, Callable[[Session, datetime, datetime], Awaitable[list[tuple[datetime, int]]]]]
] = {Energy.ELECTRICITY: read_profile, Energy.GAS: read_volume_profile}


def outbox_json(message: OutboxMessage) -> bytes:
    """An outbox row as published: ``{"id", "serial", "at", "kind", "text"}``."""
    row = {
        "id": message.id,
        "serial": message.serial,
        "at": message.at.isoformat(),
        "kind": message.kind,
        "text": message.text,
    }
    return json.dumps(row, ensure_ascii=False).encode()


async def serve(
    live: LivePlatform, heard: asyncio.Queue[str], poll_s: float, until: datetime | None = None
) -> None:
    """Enrol the meters heard of, then one pass; every ``poll_s`` real seconds, until the
    platform clock reaches ``until`` (or for ever)."""
    while until is None or live.clock.now() < until:
        while not heard.empty():
            await live.enrol(heard.get_nowait())
        await live.step()
        await asyncio.sleep(poll_s)
