"""An append-only credit ledger: the meter-side balance of rule M6.

balance = top-ups + advances granted - charges - repayments, and what is still owed on each
advance (starting credit P1, budget reserve B2, emergency credit P3/B5) never goes below zero.

Each change is drafted first (`draft_*`: the next entry, nothing changed yet), then
persisted by the caller (`LedgerEntry.to_record()` into NVM), then `commit`ted; only then is
it acknowledged. `Ledger.from_records` replays the persisted records after a restart.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from firmware.errors import FirmwareError
from firmware.rules.money import ZERO, Money

Record = dict[str, str | int]


class LedgerError(FirmwareError):
    """An entry the ledger refuses (bad amount, out of order, repaying more than is owed)."""


class EntryKind(enum.Enum):
    TOP_UP = "top_up"  # money in from the customer (token, card, central platform)
    ADVANCE = "advance"  # credit lent to the customer, to be repaid
    CHARGE = "charge"  # money out: energy consumed, fixed charges
    REPAYMENT = "repayment"  # money out: part of an advance paid back


class AdvanceKind(enum.Enum):
    STARTING_CREDIT = "starting_credit"  # P1: 20 EUR, repaid 1 EUR per day
    RESERVE = "reserve"  # B2: 150 kWh programmed on installation
    EMERGENCY_CREDIT = "emergency_credit"  # P3: 15 EUR, B5: 12 EUR


class ChargeKind(enum.Enum):
    ENERGY = "energy"  # consumption at the tariff price (M6)
    FIXED = "fixed"  # B10: weekly fixed charges, meter rent
    ADJUSTMENT = "adjustment"  # an operator's correction downwards, a refund at account reset


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of the ledger. `amount` is always positive; `kind` says which way it counts."""

    seq: int
    at: datetime
    kind: EntryKind
    amount: Money
    advance: AdvanceKind | None = None  # ADVANCE and REPAYMENT: which advance
    charge: ChargeKind | None = None  # CHARGE: what was charged
    reference: str = ""  # TOP_UP: token sequence, card transaction, payment reference

    def __post_init__(self) -> None:
        if self.seq < 0:
            raise LedgerError(f"negative sequence number {self.seq}")
        if self.at.tzinfo is None or self.at.utcoffset() != timedelta(0):
            raise LedgerError(f"entry time must be timezone-aware UTC, got {self.at!r}")
        if self.amount <= ZERO:
            raise LedgerError(f"a ledger amount is positive, got {self.amount.format(5)}")
        needs_advance = self.kind in (EntryKind.ADVANCE, EntryKind.REPAYMENT)
        if (self.advance is not None) != needs_advance:
            raise LedgerError("advance and repayment entries, and only they, name an advance")
        if (self.charge is not None) != (self.kind is EntryKind.CHARGE):
            raise LedgerError("charge entries, and only they, name a charge kind")

    def to_record(self) -> Record:
        """A flat record of ints and strings for the NVM (amount in milli-cents)."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "kind": self.kind.value,
            "amount_mc": self.amount.milli_cents,
            "advance": self.advance.value if self.advance else "",
            "charge": self.charge.value if self.charge else "",
            "reference": self.reference,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> LedgerEntry:
        """Read back what `to_record` wrote; LedgerError for anything else."""
        try:
            seq, at, kind, amount = (
                record["seq"],
                record["at"],
                record["kind"],
                record["amount_mc"],
            )
            advance, charge = record.get("advance", ""), record.get("charge", "")
            reference = record.get("reference", "")
            if not (
                isinstance(seq, int)
                and isinstance(amount, int)
                and isinstance(at, str)
                and isinstance(kind, str)
                and isinstance(advance, str)
                and isinstance(charge, str)
                and isinstance(reference, str)
            ):
                raise LedgerError(f"ledger record has fields of the wrong type: {record!r}")
            return cls(
                seq=seq,
                at=datetime.fromisoformat(at),
                kind=EntryKind(kind),
                amount=Money(amount),
                advance=AdvanceKind(advance) if advance else None,
                charge=ChargeKind(charge) if charge else None,
                reference=reference,
            )
        except (KeyError, ValueError) as error:
            raise LedgerError(f"unreadable ledger record {record!r}: {error}") from error


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    top_ups: Money = ZERO
    advances: Money = ZERO
    charges: Money = ZERO
    repayments: Money = ZERO

    @property
    def balance(self) -> Money:
        """M6: top-ups + advances granted - charges - repayments."""
        return self.top_ups + self.advances - self.charges - self.repayments


class Ledger:
    """The entries in order, with running totals and what is owed on each advance."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        self._sums: dict[EntryKind, Money] = dict.fromkeys(EntryKind, ZERO)
        self._owed: dict[AdvanceKind, Money] = dict.fromkeys(AdvanceKind, ZERO)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]]) -> Ledger:
        ledger = cls()
        for record in records:
            ledger.commit(LedgerEntry.from_record(record))
        return ledger

    def records(self) -> list[Record]:
        return [entry.to_record() for entry in self._entries]

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return tuple(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def totals(self) -> LedgerTotals:
        sums = self._sums
        return LedgerTotals(
            top_ups=sums[EntryKind.TOP_UP],
            advances=sums[EntryKind.ADVANCE],
            charges=sums[EntryKind.CHARGE],
            repayments=sums[EntryKind.REPAYMENT],
        )

    @property
    def balance(self) -> Money:
        return self.totals.balance

    def outstanding(self, advance: AdvanceKind | None = None) -> Money:
        """What is still owed on one advance, or on all of them."""
        if advance is not None:
            return self._owed[advance]
        return sum(self._owed.values(), ZERO)

    def draft_top_up(self, at: datetime, amount: Money, reference: str = "") -> LedgerEntry:
        return self._draft(at, EntryKind.TOP_UP, amount, reference=reference)

    def draft_advance(self, at: datetime, advance: AdvanceKind, amount: Money) -> LedgerEntry:
        return self._draft(at, EntryKind.ADVANCE, amount, advance=advance)

    def draft_charge(self, at: datetime, charge: ChargeKind, amount: Money) -> LedgerEntry:
        return self._draft(at, EntryKind.CHARGE, amount, charge=charge)

    def draft_repayment(
        self, at: datetime, advance: AdvanceKind, up_to: Money
    ) -> LedgerEntry | None:
        """Repay `up_to` of an advance, never more than is owed; None when nothing is owed."""
        amount = min(up_to, self._owed[advance])
        if amount <= ZERO:
            return None
        return self._draft(at, EntryKind.REPAYMENT, amount, advance=advance)

    def commit(self, entry: LedgerEntry) -> None:
        """Append a drafted (and persisted) entry; refuses one that does not follow the last."""
        if entry.seq != len(self._entries):
            raise LedgerError(f"entry {entry.seq} does not follow entry {len(self._entries) - 1}")
        if self._entries and entry.at < self._entries[-1].at:
            raise LedgerError(f"entry {entry.seq} at {entry.at} is older than the previous entry")
        if entry.kind is EntryKind.REPAYMENT and entry.advance is not None:
            owed = self._owed[entry.advance]
            if entry.amount > owed:
                raise LedgerError(
                    f"repayment of {entry.amount} EUR on {entry.advance.value} exceeds the "
                    f"{owed} EUR owed"
                )
        self._entries.append(entry)
        self._apply(entry)

    def _draft(
        self,
        at: datetime,
        kind: EntryKind,
        amount: Money,
        *,
        advance: AdvanceKind | None = None,
        charge: ChargeKind | None = None,
        reference: str = "",
    ) -> LedgerEntry:
        return LedgerEntry(len(self._entries), at, kind, amount, advance, charge, reference)

    def _apply(self, entry: LedgerEntry) -> None:
        self._sums[entry.kind] += entry.amount
        if entry.advance is not None:
            sign = 1 if entry.kind is EntryKind.ADVANCE else -1
            self._owed[entry.advance] += entry.amount * sign
