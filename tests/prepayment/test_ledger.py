"""The meter-side credit ledger (rule M6, with P1, P3, B2, B6, B10 entries)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.prepayment.ledger import (
    AdvanceKind,
    ChargeKind,
    EntryKind,
    Ledger,
    LedgerEntry,
    LedgerError,
)
from firmware.rules.credit import daily_repayment, starting_credit
from firmware.rules.money import ZERO, Money

EUR = Money.parse
T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def commit(ledger: Ledger, entry: LedgerEntry | None) -> None:
    if entry is not None:
        ledger.commit(entry)


def test_new_customer_gets_20_eur_repaid_1_eur_a_day() -> None:
    # rule P1 with rule M6: balance = top-ups + advances - charges - repayments
    ledger = Ledger()
    commit(ledger, ledger.draft_advance(T0, AdvanceKind.STARTING_CREDIT, starting_credit()))
    for day in range(1, 4):
        at = T0 + timedelta(days=day)
        commit(ledger, ledger.draft_charge(at, ChargeKind.ENERGY, EUR("1.20")))
        owed = ledger.outstanding(AdvanceKind.STARTING_CREDIT)
        commit(
            ledger, ledger.draft_repayment(at, AdvanceKind.STARTING_CREDIT, daily_repayment(owed))
        )
    assert ledger.balance == EUR("20") - EUR("3.60") - EUR("3.00")
    assert ledger.outstanding(AdvanceKind.STARTING_CREDIT) == EUR("17.00")
    assert ledger.outstanding() == EUR("17.00")


def test_a_reload_first_repays_the_emergency_credit() -> None:
    # rules B5, B6: emergency credit is a debt; a reload repays it first
    ledger = Ledger()
    commit(ledger, ledger.draft_advance(T0, AdvanceKind.EMERGENCY_CREDIT, EUR("12")))
    commit(ledger, ledger.draft_charge(T0, ChargeKind.ENERGY, EUR("10")))
    commit(ledger, ledger.draft_top_up(T0, EUR("50"), reference="card 7 tx 3"))
    commit(ledger, ledger.draft_repayment(T0, AdvanceKind.EMERGENCY_CREDIT, ledger.balance))
    assert ledger.outstanding(AdvanceKind.EMERGENCY_CREDIT) == ZERO
    assert ledger.balance == EUR("40")
    totals = ledger.totals
    assert (totals.top_ups, totals.advances, totals.charges, totals.repayments) == (
        EUR("50"),
        EUR("12"),
        EUR("10"),
        EUR("12"),
    )


def test_drafting_changes_nothing_until_committed() -> None:
    # the NVM persists a drafted entry before it is committed and acknowledged
    ledger = Ledger()
    entry = ledger.draft_top_up(T0, EUR("20"))
    assert len(ledger) == 0 and ledger.balance == ZERO
    persisted = json.loads(json.dumps(entry.to_record()))
    ledger.commit(LedgerEntry.from_record(persisted))
    assert ledger.balance == EUR("20")
    assert ledger.entries == (entry,)


def test_nothing_to_repay_drafts_nothing() -> None:
    ledger = Ledger()
    assert ledger.draft_repayment(T0, AdvanceKind.RESERVE, EUR("5")) is None


def test_out_of_order_old_or_over_repaying_entries_are_refused() -> None:
    ledger = Ledger()
    first = ledger.draft_advance(T0, AdvanceKind.RESERVE, EUR("23.625"))
    ledger.commit(first)
    with pytest.raises(LedgerError, match="does not follow"):
        ledger.commit(first)
    with pytest.raises(LedgerError, match="older"):
        ledger.commit(ledger.draft_charge(T0 - timedelta(seconds=1), ChargeKind.FIXED, EUR("2.15")))
    too_much = LedgerEntry(1, T0, EntryKind.REPAYMENT, EUR("30"), advance=AdvanceKind.RESERVE)
    with pytest.raises(LedgerError, match="exceeds"):
        ledger.commit(too_much)
    assert ledger.outstanding(AdvanceKind.RESERVE) == EUR("23.625")
    assert len(ledger) == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: LedgerEntry(0, T0, EntryKind.TOP_UP, ZERO),
        lambda: LedgerEntry(0, T0, EntryKind.TOP_UP, EUR("-5")),
        lambda: LedgerEntry(0, T0.replace(tzinfo=None), EntryKind.TOP_UP, EUR("5")),
        lambda: LedgerEntry(0, T0, EntryKind.ADVANCE, EUR("5")),
        lambda: LedgerEntry(0, T0, EntryKind.CHARGE, EUR("5"), advance=AdvanceKind.RESERVE),
        lambda: LedgerEntry(-1, T0, EntryKind.TOP_UP, EUR("5")),
    ],
)
def test_inconsistent_entries_cannot_be_made(make: object) -> None:
    with pytest.raises(LedgerError):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"seq": 0},
        {"seq": "0", "at": T0.isoformat(), "kind": "top_up", "amount_mc": 5},
        {"seq": 0, "at": "yesterday", "kind": "top_up", "amount_mc": 5},
        {"seq": 0, "at": T0.isoformat(), "kind": "gift", "amount_mc": 5},
        {"seq": 0, "at": T0.isoformat(), "kind": "advance", "amount_mc": 5, "advance": "loan"},
    ],
)
def test_unreadable_records_raise_the_ledger_error(record: dict[str, object]) -> None:
    with pytest.raises(LedgerError):
        Ledger.from_records([record])


@dataclass(frozen=True)
class Step:
    kind: EntryKind
    amount: Money
    advance: AdvanceKind
    charge: ChargeKind


steps = st.builds(
    Step,
    st.sampled_from(EntryKind),
    st.integers(min_value=1, max_value=Money.eur(300).milli_cents).map(Money),
    st.sampled_from(AdvanceKind),
    st.sampled_from(ChargeKind),
)


def run(steps_: list[Step]) -> Ledger:
    ledger = Ledger()
    for number, step in enumerate(steps_):
        at = T0 + timedelta(hours=number)
        match step.kind:
            case EntryKind.TOP_UP:
                commit(ledger, ledger.draft_top_up(at, step.amount, reference=str(number)))
            case EntryKind.ADVANCE:
                commit(ledger, ledger.draft_advance(at, step.advance, step.amount))
            case EntryKind.CHARGE:
                commit(ledger, ledger.draft_charge(at, step.charge, step.amount))
            case EntryKind.REPAYMENT:
                commit(ledger, ledger.draft_repayment(at, step.advance, step.amount))
    return ledger


@given(st.lists(steps, max_size=40))
def test_money_in_equals_money_out_plus_balance_change(steps_: list[Step]) -> None:
    # rule M6 for any sequence of entries
    ledger = run(steps_)
    money_in = sum(
        (e.amount for e in ledger.entries if e.kind in (EntryKind.TOP_UP, EntryKind.ADVANCE)), ZERO
    )
    money_out = sum(
        (e.amount for e in ledger.entries if e.kind in (EntryKind.CHARGE, EntryKind.REPAYMENT)),
        ZERO,
    )
    assert money_in == money_out + ledger.balance


@given(st.lists(steps, max_size=40))
def test_outstanding_advances_never_go_below_zero(steps_: list[Step]) -> None:
    # rule M6
    ledger = run(steps_)
    for kind in AdvanceKind:
        granted = sum(
            (e.amount for e in ledger.entries if e.kind is EntryKind.ADVANCE and e.advance is kind),
            ZERO,
        )
        repaid = sum(
            (
                e.amount
                for e in ledger.entries
                if e.kind is EntryKind.REPAYMENT and e.advance is kind
            ),
            ZERO,
        )
        assert ledger.outstanding(kind) == granted - repaid >= ZERO
    assert ledger.outstanding() == ledger.totals.advances - ledger.totals.repayments


@given(st.lists(steps, max_size=40))
def test_replaying_the_persisted_records_rebuilds_the_same_ledger(steps_: list[Step]) -> None:
    ledger = run(steps_)
    restored = Ledger.from_records(json.loads(json.dumps(ledger.records())))
    assert restored.entries == ledger.entries
    assert restored.totals == ledger.totals
    assert all(restored.outstanding(k) == ledger.outstanding(k) for k in AdvanceKind)
