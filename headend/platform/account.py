"""Settling one meter's account: run the decisions on its stored state and store the outcome."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from headend.platform.decisions import Decision, Notice, decide
from headend.platform.ledger import Ledger
from headend.platform.rules import PlatformRules


def settle(
    ledger: Ledger,
    serial: str,
    now: datetime,
    rules: PlatformRules,
    extra_notices: tuple[Notice, ...] = (),
) -> Decision:
    """Decide for `serial` at `now`; store its new state, the notices (after `extra_notices`)
    in the outbox and the orders. Call inside the transaction that changed the balance.
    The meter's own low-credit threshold (P2), if set, replaces the default."""
    threshold = ledger.meter(serial).low_credit_threshold
    if threshold is not None:
        rules = replace(rules, low_credit_threshold=threshold)
    decision = decide(ledger.account_state(serial), now, rules)
    ledger.save_account_state(serial, decision.state)
    for notice in extra_notices + decision.notices:
        ledger.add_notice(serial, now, notice)
    for order in decision.orders:
        ledger.add_order(serial, now, order)
    return Decision(decision.state, extra_notices + decision.notices, decision.orders)
