"""The demo's central prepayment platform (rules M5, P1-P9): ``headend.platform.Platform`` over
an in-memory ledger, one account per energy, talking to the meters over MQTT
(``emulator.demo_links``). The story tells it when to act (``collect`` after midnight,
``carry_out_due_cuts`` at the end of a non-disconnect period, ``top_up`` when the customer
pays); each thing it does is one printed line, its notices as the outbox text (P9)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from emulator.demo_links import MeterLink
from emulator.demo_output import more, say
from firmware.rules.money import Money
from headend.operations import read_identity
from headend.platform.billing import Prices
from headend.platform.decisions import Decision, NoticeKind, Supply
from headend.platform.ledger import Energy, EntryKind, Ledger
from headend.platform.service import Platform
from headend.session import Session

IN_MEMORY = ":memory:"
NOTICES = {
    NoticeKind.LOW_BALANCE: "low credit (P2)",
    NoticeKind.EMERGENCY_CREDIT: "emergency credit started (P3)",
    NoticeKind.DISCONNECTION_IMMINENT: "credit exhausted -- non-disconnect period, cut postponed "
    "(P4/P5)",
    NoticeKind.DISCONNECTED: "credit exhausted, supply cut (P4)",
    NoticeKind.RECONNECTION_ENABLED: "reconnection enabled (P8)",
    NoticeKind.TOP_UP_RECEIVED: "top-up received (P6, P9)",
    NoticeKind.CONSUMPTION_ALERT: "consumption alert (R2)",
}


class DemoPlatform:
    """The platform for ``links``, each energy at its ``prices``."""

    def __init__(self, links: Sequence[MeterLink], prices: Mapping[Energy, Prices]) -> None:
        self.platform = Platform(Ledger(IN_MEMORY))
        self._links = links
        self._prices = prices
        self.orders_sent = 0

    @property
    def ledger(self) -> Ledger:
        return self.platform.ledger

    async def enrol(self, now: datetime) -> None:
        """Each meter's EAN read over COSEM, its account opened with the starting credit (P1)."""
        for link in self._links:
            async with await link.session() as session:
                identity = await read_identity(session)
            prices = self._prices[link.energy]
            meter = self.platform.register_meter(
                link.serial, identity.ean, prices, now, energy=link.energy
            )
            say(
                now,
                "platform",
                f"{link.energy.value} meter {link.serial} enrolled: EAN {meter.ean}, "
                f"reference {meter.reference}, starting credit {self.balance(link)} EUR (P1)",
            )
            more(f"prices: {link.show_prices(prices)}")

    def balance(self, link: MeterLink) -> Money:
        return Money(self.ledger.balance(link.serial))

    async def collect(self, day: date, now: datetime) -> None:
        """E3, M6: each meter's index closing ``day``, the day billed, the balance pushed (E7)
        and what the balance calls for carried out."""
        for link in self._links:
            async with await link.session() as session:
                indexes = await link.read_day(session, day)
                decision = self.platform.receive_daily_indexes(link.serial, indexes, now)
                say(
                    now,
                    "platform",
                    f"{link.energy.value} index of {day:%a %d/%m}: {link.show_index(indexes)}; "
                    f"balance {self.balance(link)} EUR",
                )
                await self._carry_out(link, decision, now, session)

    def cuts_due(self) -> list[datetime]:
        """When the postponed cuts fall due (the end of the non-disconnect period, P4)."""
        due = (self._cut_due(link) for link in self._links)
        return [at for at in due if at is not None]

    async def carry_out_due_cuts(self, now: datetime) -> None:
        for link in self._links:
            due = self._cut_due(link)
            if due is not None and due <= now:
                decision = self.platform.tick(link.serial, now)
                async with await link.session() as session:
                    await self._carry_out(link, decision, now, session)

    def _cut_due(self, link: MeterLink) -> datetime | None:
        state = self.ledger.account_state(link.serial)
        return state.disconnect_due if state.supply is Supply.DISCONNECT_PENDING else None

    async def top_up(self, link: MeterLink, amount: str, now: datetime) -> None:
        """P6: a payment quoting the meter's reference; P8: reconnection enabled at once."""
        reference = self.platform.reference_of(link.serial)
        result = self.platform.top_up(reference, amount, now)
        say(
            now,
            "platform",
            f"{link.energy.value}: {Money(result.amount)} EUR booked on reference "
            f"{reference}, balance {Money(result.balance)} EUR",
        )
        async with await link.session() as session:
            await self._carry_out(link, result.decision, now, session)

    async def _carry_out(
        self, link: MeterLink, decision: Decision, now: datetime, session: Session
    ) -> None:
        """The notices to the outbox (printed), then the balance push and the orders (each
        order claimed in the ledger, so it is sent once)."""
        for notice in decision.notices:
            say(now, "platform", f"{link.energy.value}: {NOTICES[notice.kind]}")
            more(f'outbox: "{notice.text}"')
        for order_id, serial, _, _ in self.ledger.unsent_orders():
            if serial == link.serial:
                self.ledger.claim_order(order_id)
        push = self.platform.daily_push(link.serial, now)
        for line in await link.carry_out(decision, push, session):
            say(now, "platform", f"{link.energy.value} meter: {line}")
        self.orders_sent += len(decision.orders)

    def charged(self, link: MeterLink) -> Money:
        """What the meter's energy cost so far (M6)."""
        return Money(-self.ledger.total(link.serial, EntryKind.CHARGE))

    def topped_up(self, link: MeterLink) -> Money:
        return Money(self.ledger.total(link.serial, EntryKind.TOP_UP))
