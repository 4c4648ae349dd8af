"""Helpers for the account tests: a test configuration, tokens, local times, a journal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Final

from firmware.prepayment.account import AccountConfig, MeterSideAccount
from firmware.prepayment.account_events import Outcome
from firmware.prepayment.ledger import Record
from firmware.rules.localtime import local_to_utc
from firmware.rules.money import MJ_PER_KWH, ZERO, Money
from firmware.rules.tariff import Tariff
from firmware.rules.token import make_token

KEY: Final = bytes(range(16))
SERIAL: Final = "VM0000000001"
PEAK_PRICE: Final = Money.parse("0.25")
OFF_PEAK_PRICE: Final = Money.parse("0.1575")
CONFIG: Final = AccountConfig(
    serial=SERIAL, token_key=KEY, prices={Tariff.PEAK: PEAK_PRICE, Tariff.OFF_PEAK: OFF_PEAK_PRICE}
)
EUR = Money.parse


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Brussels wall-clock time as the UTC instant the account is given (M7)."""
    return local_to_utc(day, time(hour, minute))


def kwh(n: int) -> int:
    return n * MJ_PER_KWH


def token(seq: int, amount: str, key: bytes = KEY, serial: str = SERIAL) -> str:
    return make_token(key, serial, seq, EUR(amount))


@dataclass
class Journal:
    """The NVM side of `persist`: every record handed over, in order."""

    records: list[Record] = field(default_factory=list)

    def persist(self, record: Record) -> None:
        self.records.append(record)


def commissioned(
    at: datetime, carried: Money = ZERO, config: AccountConfig = CONFIG
) -> tuple[MeterSideAccount, Journal, Outcome]:
    journal = Journal()
    account, outcome = MeterSideAccount.commission(config, journal.persist, at, carried)
    return account, journal, outcome


def spend_to(account: MeterSideAccount, at: datetime, balance: Money) -> Outcome:
    """Consume exactly enough peak energy to bring the balance down to `balance`.

    At 0.25 EUR/kWh one milli-cent is exactly 144_000 mJ, so any gap is reached to the milli-cent.
    """
    gap = (account.balance - balance).milli_cents
    assert gap >= 0
    return account.consume(at, Tariff.PEAK, gap * MJ_PER_KWH // PEAK_PRICE.milli_cents)
