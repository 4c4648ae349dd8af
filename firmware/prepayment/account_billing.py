"""The meter's side of its prepayment account: charging the import registers in slices (M6).

`BilledAccount` holds the `MeterSideAccount` and, per import register, the energy already
charged (`billed_mj`). `bill` charges what the registers gained since, one `consume` per tariff
register, so the ledger keeps one entry per slice rather than one per integration step.

Each ledger record goes to the journal together with the billing marks it brings, so after a
restart the marks of the last journal line say exactly which energy was paid for: energy is
never charged twice, and never left uncharged once the registers that counted it are saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from firmware.prepayment.account import AccountConfig, AccountError, MeterSideAccount
from firmware.prepayment.account_events import Notice, Order, Outcome
from firmware.prepayment.ledger import Record
from firmware.rules.tariff import Tariff

IMPORT_TARIFFS = (Tariff.PEAK, Tariff.OFF_PEAK)
"""The import registers 1.8.1 and 1.8.2, in the order of `billed_mj`."""
JOURNAL_ENTRIES = "journal_entries"
"""The snapshot's count of the journal's entries when it was taken."""


class Journal(Protocol):
    """Where ledger lines go before they count (the NVM's ledger journal)."""

    def load_journal(self) -> list[dict[str, Any]]: ...

    def append_journal(self, document: dict[str, Any]) -> None: ...


class MemoryJournal:
    """The journal of a meter without NVM."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def load_journal(self) -> list[dict[str, Any]]:
        return list(self.lines)

    def append_journal(self, document: dict[str, Any]) -> None:
        self.lines.append(document)


class BilledAccount:
    """The account and the marks of what it has charged; `open` it, then `bill` and query."""

    def __init__(self, journal: Journal, billed_mj: Sequence[int]) -> None:
        self._journal = journal
        self.billed_mj = list(billed_mj)
        self._pending_mj = list(billed_mj)
        self.account: MeterSideAccount

    @classmethod
    def open(
        cls,
        config: AccountConfig,
        journal: Journal,
        snapshot: Mapping[str, object] | None,
        import_mj: Sequence[int],
        at: datetime,
    ) -> tuple[BilledAccount, Outcome]:
        """Restore the account from `snapshot` and the journal, or commission it (P1) when
        neither exists. AccountError for a journal without a snapshot or unreadable lines."""
        lines = journal.load_journal()
        if snapshot is None and not lines:
            billed = cls(journal, import_mj)
            billed.account, outcome = MeterSideAccount.commission(config, billed._persist, at)
            return billed, outcome
        if snapshot is None:
            raise AccountError("a ledger journal exists but the account snapshot is missing")
        if not isinstance(snapshot, Mapping):
            raise AccountError("the account snapshot is not a mapping of fields")
        try:
            records = [line["record"] for line in lines]
            marks = [int(mark) for mark in lines[-1]["billed_mj"]] if lines else list(import_mj)
        except (KeyError, TypeError, ValueError) as error:
            raise AccountError(f"unreadable ledger journal line: {error}") from error
        if len(marks) != len(IMPORT_TARIFFS):
            raise AccountError("a ledger journal line marks two import registers")
        counted = snapshot.get(JOURNAL_ENTRIES, 0)  # absent from a snapshot older than the field
        if not isinstance(counted, int):
            raise AccountError(f"the snapshot's {JOURNAL_ENTRIES} is not a count: {counted!r}")
        if len(records) < counted:
            # The journal is written before the snapshot, so it can only hold more entries.
            raise AccountError(
                f"the ledger journal holds {len(records)} entries, the snapshot counts {counted}:"
                " entries are missing, so the credit cannot be trusted"
            )
        billed = cls(journal, marks)
        billed.account = MeterSideAccount.from_state(
            config, billed._persist, {**snapshot, "ledger": records}
        )
        return billed, billed.account.advance_to(at)

    def bill(self, at: datetime, import_mj: Sequence[int]) -> Outcome:
        """Charge the import energy counted since the last slice, per tariff register."""
        orders: list[Order] = []
        notices: list[Notice] = []
        for index, tariff in enumerate(IMPORT_TARIFFS):
            gained = import_mj[index] - self.billed_mj[index]
            if gained <= 0:  # registers restored below a mark: that energy was charged
                continue
            self._pending_mj[index] = import_mj[index]
            outcome = self.account.consume(at, tariff, gained)
            self.billed_mj[index] = import_mj[index]
            orders.extend(outcome.orders)
            notices.extend(outcome.notices)
        return Outcome(tuple(orders), tuple(notices))

    def snapshot(self) -> dict[str, object]:
        """The account's state for the NVM, without the ledger (the journal holds it, and the
        count of its entries tells a journal cut short from a complete one)."""
        return {**self.account.snapshot(), JOURNAL_ENTRIES: len(self.account.entries)}

    def _persist(self, record: Record) -> None:
        self._journal.append_journal({"record": record, "billed_mj": list(self._pending_mj)})
