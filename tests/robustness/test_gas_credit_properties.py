"""Meter-side gas credit under any sequence of token top-ups (good, replayed, forged), flow,
time, valve orders and power cycles: money in = money out + balance change (rule M6), no
credit created or lost over a restart, the volume register never goes back (G1), and the
valve opens only at a passed leak test (G3, G4), restarts included."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from gas_rig import GasRig, build_gas_rig, meter_side_settings, token
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.nvm import GAS_FILE, GAS_LEDGER_FILE, NonVolatileMemory
from firmware.prepayment.account import MeterSideAccount
from firmware.prepayment.ledger import Ledger
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import Money
from hal.flow_models import ConstantFlow

START = datetime(2026, 1, 14, 9, 0, tzinfo=BRUSSELS)
PRICE = "10.0000"  # EUR per m3: 1_000 milli-cents per dm3, so a cut comes within hours
MC_PER_DM3 = 1_000


@dataclass(frozen=True)
class Step:
    what: str  # top-up | replay | forged | flow | wait | disconnect | reconnect | press | restart
    number: int = 0


STEPS = st.one_of(
    st.builds(Step, st.just("top-up"), st.sampled_from([5, 20, 60])),
    st.builds(Step, st.sampled_from(["replay", "forged", "disconnect", "reconnect"])),
    st.builds(Step, st.just("flow"), st.sampled_from([0, 20, 120, 2500])),
    st.builds(Step, st.just("wait"), st.sampled_from([60, 400, 3600, 5 * 3600])),
    st.builds(Step, st.just("press")),
    st.builds(Step, st.just("restart")),
)


def gas_meter_on(state: Path, at: datetime, demand: ConstantFlow) -> GasRig:
    """A meter-side prepaid gas meter powered up at ``at`` on the NVM in ``state``."""
    nvm = NonVolatileMemory(state, durable=False)
    return build_gas_rig(meter_side_settings(PRICE), demand, at, nvm=nvm)


class Customer:
    """The rig, what the customer paid with accepted tokens, and the valve's history."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.rig = gas_meter_on(state, START, ConstantFlow(0))
        self.start_dm3 = self.rig.meter.volume_dm3
        self.paid = Money(0)
        self.seq = 0
        self.openings: list[datetime] = []
        self.passes: list[datetime] = []

    def account(self) -> MeterSideAccount:
        account: MeterSideAccount = self.rig.meter.account_for_release()  # charged up to now
        return account

    def apply(self, step: Step) -> None:
        rig = self.rig
        if step.what == "top-up":
            self.seq += 1
            check = rig.meter.enter_token(token(self.seq, f"{step.number}.00"))
            assert check.accepted
            self.paid += Money.eur(step.number)
        elif step.what == "replay" and self.seq:
            assert not rig.meter.enter_token(token(self.seq, "250.00")).accepted
        elif step.what == "forged":
            assert not rig.meter.enter_token("1234-5678-9012-3456-7890").accepted
        elif step.what == "flow":
            rig.set_demand(ConstantFlow(step.number))
        elif step.what == "wait":
            rig.wait(timedelta(seconds=step.number))
        elif step.what == "disconnect":
            rig.meter.remote_disconnect()
        elif step.what == "reconnect":
            rig.meter.head_end_reconnect()
        elif step.what == "press":
            rig.press("arrow")
        elif step.what == "restart":
            self._restart()

    def _restart(self) -> None:
        before = self.account().totals
        self._keep_valve_history()
        self.rig.meter.shutdown()
        demand = self.rig.sensor.model
        assert isinstance(demand, ConstantFlow)
        self.rig = gas_meter_on(self.state, self.rig.clock.now(), demand)
        assert self.account().totals == before  # rule M6: nothing created or lost

    def _keep_valve_history(self) -> None:
        rig = self.rig
        self.openings += [e.at for e in rig.valve.recorder.events if e.detail == "open"]
        self.passes += [e.at for e in rig.meter.leak_test.events if e.outcome == "passed"]


@settings(max_examples=40, deadline=None)
@given(st.lists(STEPS, min_size=1, max_size=14))
def test_money_in_is_money_out_plus_balance_change_and_the_valve_waits_for_a_test(
    steps: list[Step],
) -> None:
    with TemporaryDirectory() as state:
        customer = Customer(Path(state))
        opening = customer.account().totals
        last_dm3 = customer.start_dm3
        for step in steps:
            customer.apply(step)
            dm3 = customer.rig.meter.volume_dm3
            assert dm3 >= last_dm3  # rule G1
            last_dm3 = dm3
            totals = customer.account().totals
            # M6: every accepted token counted once, no forged or replayed one
            assert totals.top_ups - opening.top_ups == customer.paid
            # money out: the gas drawn at the price, to the milli-cent (no remainder here)
            used = (dm3 - customer.start_dm3) * MC_PER_DM3
            assert (totals.charges - opening.charges).milli_cents == used
            money_in = totals.top_ups + totals.advances - opening.top_ups - opening.advances
            money_out = totals.charges + totals.repayments - opening.charges - opening.repayments
            assert money_in == money_out + (totals.balance - opening.balance)
        customer._keep_valve_history()
        # rules G3, G4: every opening of the valve is a passed leak test at that instant
        assert customer.openings == customer.passes


@settings(max_examples=40, deadline=None)
@given(st.lists(STEPS.filter(lambda s: s.what != "restart"), min_size=1, max_size=10), st.data())
def test_a_crash_between_ledger_append_and_snapshot_loses_no_credit(
    steps: list[Step], data: st.DataObject
) -> None:
    # The journal line is written before the snapshot: a power cut leaves any older gas.vms
    # beside a journal holding more entries. Restored, the account is the journal's (M6).
    with TemporaryDirectory() as before, TemporaryDirectory() as after:
        customer = Customer(Path(before))
        saved = [_nvm_image(customer)]
        for step in steps:
            customer.apply(step)
            customer.rig.meter.tick()
            saved.append(_nvm_image(customer))
        journal = (Path(before) / GAS_LEDGER_FILE).read_bytes().splitlines(keepends=True)
        snapshot, counted, taken = data.draw(st.sampled_from(saved), label="snapshot")
        kept = data.draw(st.integers(counted, len(journal)), label="journal lines")
        (Path(after) / GAS_FILE).write_bytes(snapshot)
        (Path(after) / GAS_LEDGER_FILE).write_bytes(b"".join(journal[:kept]))
        records = [json.loads(line.split(b" ", 1)[1])["record"] for line in journal[:kept]]
        restart_at = max([taken, *(datetime.fromisoformat(r["at"]) for r in records)])
        rig = gas_meter_on(Path(after), restart_at, ConstantFlow(0))
        account = rig.meter.account
        assert account is not None
        assert account.totals == Ledger.from_records(records).totals
        journalled = sum(r["kind"] == "top_up" for r in records)  # tokens 1..n, in order
        if journalled:  # the last token journalled before the cut stays used
            assert not rig.meter.enter_token(token(journalled, "250.00")).accepted


def _nvm_image(customer: Customer) -> tuple[bytes, int, datetime]:
    """gas.vms as it is now, the journal's line count, and the time."""
    state = customer.state
    lines = (state / GAS_LEDGER_FILE).read_bytes().count(b"\n")
    return (state / GAS_FILE).read_bytes(), lines, customer.rig.clock.now()
