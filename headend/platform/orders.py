"""Carrying out a platform decision on the meter: the balance push first, then the orders.

The push goes first so the meter already shows (and, for gas, checks: G4) the balance that
motivated an order: -15.00 EUR before a cut (P4), at least 0.50 EUR before a reconnect
enable (P8). ``account`` names the objects: the relay and 0-0:94.32.x by default, the gas
valve and the gas meter's balance items for a gas account."""

from __future__ import annotations

from headend import meter_obis
from headend.operations import push_balance, reconnect_enable, remote_disconnect
from headend.platform.decisions import BalancePush, Decision, OrderKind
from headend.platform.money import format_eur
from headend.session import Session

_OPERATIONS = {
    OrderKind.DISCONNECT: remote_disconnect,  # P4
    OrderKind.RECONNECT_ENABLE: reconnect_enable,  # P8, E8, G3
}


async def carry_out(
    decision: Decision,
    push: BalancePush | None,
    session: Session,
    account: meter_obis.AccountObjects = meter_obis.ELECTRICITY_ACCOUNT,
) -> list[str]:
    """Apply ``push`` (if any) and the decision's orders over a management ``session``; one
    line per thing done. A refusal or silence of the meter raises (``CosemError``) and
    what follows it is not done."""
    done = []
    if push is not None:
        await push_balance(session, push, account)
        done.append(
            f"balance pushed: {format_eur(push.balance)} EUR, emergency credit "
            f"{format_eur(push.emergency_credit)} EUR"
        )
    for order in decision.orders:
        await _OPERATIONS[order.kind](session, account.switch)
        done.append(order.kind.value)
    return done
