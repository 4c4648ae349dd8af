"""Helpers for the budget-meter tests: a configuration, cards, local times, a bench of devices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Final

from firmware.budget.account import BudgetAccount, BudgetConfig
from firmware.budget.card_transfer import CardTransfer
from firmware.prepayment.account_events import Outcome
from firmware.prepayment.card_image import CardImage
from firmware.prepayment.ledger import Record
from firmware.rules.localtime import local_to_utc
from firmware.rules.money import MJ_PER_KWH, Money
from firmware.rules.tariff import Tariff
from hal.buzzer import EmulatedBuzzer
from hal.card_slot import EmulatedCardSlot
from hal.clock import SimulatedClock
from hal.lcd import EmulatedLcd

SERIAL: Final = "1SAG1100000292"
EUR = Money.parse
DAY_PRICE: Final = EUR("0.1575")  # B8 item 8
NIGHT_PRICE: Final = EUR("0.0746")  # B8 item 10
CONFIG: Final = BudgetConfig(meter_id=SERIAL, day_price=DAY_PRICE, night_price=NIGHT_PRICE)
RESERVE: Final = EUR("23.625")  # B2: 150 kWh at 0.1575 EUR/kWh
TUESDAY: Final = date(2026, 11, 24)


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Brussels wall-clock time as a UTC instant (M7)."""
    return local_to_utc(day, time(hour, minute, second))


WORKING_HOURS: Final = local(TUESDAY, 10)  # outside the non-disconnect period (P5)


def kwh(n: int) -> int:
    return n * MJ_PER_KWH


def card(counter: int, amount: str = "0", card_id: int = 1, meter: str = SERIAL) -> CardImage:
    return CardImage(card_id, meter, counter, EUR(amount))


@dataclass
class Journal:
    """The NVM side of `persist`: every record handed over, in order."""

    records: list[Record] = field(default_factory=list)

    def persist(self, record: Record) -> None:
        self.records.append(record)


class Bench:
    """A budget meter's account and card slot on emulated devices and a simulated clock."""

    def __init__(self, config: BudgetConfig = CONFIG, start: datetime = WORKING_HOURS) -> None:
        self.clock = SimulatedClock(start)
        self.lcd = EmulatedLcd(self.clock)
        self.buzzer = EmulatedBuzzer(self.clock)
        self.slot = EmulatedCardSlot(self.clock)
        self.journal = Journal()
        self.account, _ = BudgetAccount.install(config, self.journal.persist, start)
        self.transfer = CardTransfer(self.account, self.lcd, self.buzzer, self.slot)

    def insert(self, raw: bytes) -> None:
        self.slot.insert(raw)
        self.transfer.insert(self.clock.now(), raw)

    def remove(self) -> None:
        self.slot.remove()
        self.transfer.remove(self.clock.now())

    def run(self) -> list[Outcome]:
        """Let the transfer run to its end, the clock stepping to each display deadline."""
        outcomes = []
        while (deadline := self.transfer.next_deadline()) is not None:
            self.clock.advance_to(deadline)
            outcomes.append(self.transfer.advance_to(deadline))
        return outcomes

    def load(self, image: CardImage) -> CardImage:
        """Insert a card, let it run, take it out: the card as written back."""
        self.insert(image.build())
        self.run()
        written = self.slot.card
        assert written is not None
        self.remove()
        return CardImage.parse(written)

    def spend(self, energy_kwh: int) -> Outcome:
        return self.account.consume(self.clock.now(), Tariff.PEAK, kwh(energy_kwh))
