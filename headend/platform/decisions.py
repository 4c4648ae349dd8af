"""What the platform does about one meter, given its ledger state and the time (P2-P5, P7-P9,
R2, R3). Pure: `decide` returns the new state and the actions; the caller stores and sends them.

The supply follows one state machine (`Supply`), every transition in `decide`:

    CONNECTED --exhausted, outside NDP--> DISCONNECTED              (order DISCONNECT, P4)
    CONNECTED --exhausted, inside NDP--> DISCONNECT_PENDING         ("will be cut", P4 P5)
    DISCONNECT_PENDING --outside NDP, still exhausted--> DISCONNECTED (order DISCONNECT)
    DISCONNECT_PENDING --topped up above exhaustion--> CONNECTED
    DISCONNECTED --balance >= 0.50 EUR--> RECONNECT_ENABLED         (order RECONNECT_ENABLE, P8)
    RECONNECT_ENABLED behaves as CONNECTED (the customer's button closes the relay, E8)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from firmware.rules.localtime import to_local
from firmware.rules.non_disconnect import end_of_non_disconnect_period
from headend.platform.billing import emergency_credit_left
from headend.platform.errors import PlatformError
from headend.platform.money import format_eur
from headend.platform.rules import DEFAULT_PLATFORM_RULES, PlatformRules


class Supply(enum.Enum):
    CONNECTED = "connected"
    DISCONNECT_PENDING = "disconnect_pending"
    DISCONNECTED = "disconnected"
    RECONNECT_ENABLED = "reconnect_enabled"


class NoticeKind(enum.Enum):
    """P9's notifications and R2's alert."""

    LOW_BALANCE = "low_balance"  # P2
    EMERGENCY_CREDIT = "emergency_credit"  # P3
    DISCONNECTION_IMMINENT = "disconnection_imminent"  # P4
    DISCONNECTED = "disconnected"  # P4
    RECONNECTION_ENABLED = "reconnection_enabled"  # P8
    TOP_UP_RECEIVED = "top_up_received"  # P9
    CONSUMPTION_ALERT = "consumption_alert"  # R2


class OrderKind(enum.Enum):
    DISCONNECT = "disconnect"  # P4
    RECONNECT_ENABLE = "reconnect_enable"  # P8, E8


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    text: str


@dataclass(frozen=True, slots=True)
class Order:
    kind: OrderKind


@dataclass(frozen=True, slots=True)
class BalancePush:
    """E7: the three 94.32.2 values sent to the meter once a day."""

    at: datetime  # 94.32.2/1
    balance: int  # 94.32.2/2, milli-cents
    emergency_credit: int  # 94.32.2/3, milli-cents


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountState:
    """What `decide` needs of a meter's account; `balance` in milli-cents."""

    balance: int
    supply: Supply = Supply.CONNECTED
    low_notified: bool = False
    emergency_notified: bool = False
    disconnect_due: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    state: AccountState
    notices: tuple[Notice, ...] = ()
    orders: tuple[Order, ...] = ()


def _stamp(now: datetime) -> str:
    return to_local(now).strftime("%d/%m/%y à %H:%M")


def decide(
    state: AccountState, now: datetime, rules: PlatformRules = DEFAULT_PLATFORM_RULES
) -> Decision:
    """The notifications and orders the account's balance calls for at `now` (aware UTC)."""
    if now.tzinfo is None:
        raise PlatformError("decisions need a timezone-aware time")
    notices: list[Notice] = []
    orders: list[Order] = []
    balance = state.balance
    low, emergency = state.low_notified, state.emergency_notified
    # P2: one notification each time the balance reaches the threshold; informative only.
    if balance <= rules.low_credit_threshold and not low:
        notices.append(
            Notice(
                NoticeKind.LOW_BALANCE,
                f"Votre solde est bas : {format_eur(balance)} €. Pensez à recharger.",
            )
        )
    low = balance <= rules.low_credit_threshold
    # P3: the emergency credit starts by itself below zero.
    if balance < 0 and not emergency:
        left = format_eur(emergency_credit_left(balance, rules))
        notices.append(
            Notice(
                NoticeKind.EMERGENCY_CREDIT,
                f"Crédit de secours activé le {_stamp(now)}. Crédit de secours restant : {left} €.",
            )
        )
    emergency = balance < 0
    supply, due = _next_supply(state, now, rules, notices, orders)
    new_state = replace(
        state,
        supply=supply,
        low_notified=low,
        emergency_notified=emergency,
        disconnect_due=due,
    )
    return Decision(new_state, tuple(notices), tuple(orders))


def _next_supply(
    state: AccountState,
    now: datetime,
    rules: PlatformRules,
    notices: list[Notice],
    orders: list[Order],
) -> tuple[Supply, datetime | None]:
    exhausted = state.balance <= -rules.emergency_credit  # P4
    match state.supply:
        case Supply.CONNECTED | Supply.RECONNECT_ENABLED if exhausted:
            cut_at = end_of_non_disconnect_period(now, rules.calendar)
            if cut_at > now:
                notices.append(
                    Notice(
                        NoticeKind.DISCONNECTION_IMMINENT,
                        "Votre crédit de secours est épuisé : votre compteur sera coupé "
                        f"à la fin de la période de non-coupure, le {_stamp(cut_at)}.",
                    )
                )
                return Supply.DISCONNECT_PENDING, cut_at
            return _disconnect(now, rules, notices, orders)
        case Supply.DISCONNECT_PENDING if not exhausted:
            return Supply.CONNECTED, None
        case Supply.DISCONNECT_PENDING:
            # Decided late (the next period already began)? Wait again: never cut inside one.
            cut_at = end_of_non_disconnect_period(now, rules.calendar)
            if cut_at > now:
                return Supply.DISCONNECT_PENDING, cut_at
            return _disconnect(now, rules, notices, orders)
        case Supply.DISCONNECTED if state.balance >= rules.reconnection_threshold:
            orders.append(Order(OrderKind.RECONNECT_ENABLE))
            notices.append(
                Notice(
                    NoticeKind.RECONNECTION_ENABLED,
                    f"Votre solde est de {format_eur(state.balance)} € : appuyez quelques "
                    "secondes sur le bouton de votre compteur pour rétablir le courant.",
                )
            )
            return Supply.RECONNECT_ENABLED, None
    return state.supply, state.disconnect_due


def _disconnect(
    now: datetime, rules: PlatformRules, notices: list[Notice], orders: list[Order]
) -> tuple[Supply, datetime | None]:
    orders.append(Order(OrderKind.DISCONNECT))
    notices.append(
        Notice(
            NoticeKind.DISCONNECTED,
            f"Votre compteur a été coupé le {_stamp(now)} : crédit de secours épuisé. "
            f"Rechargez pour revenir à au moins {format_eur(rules.reconnection_threshold)} € "
            "et le rétablir.",
        )
    )
    return Supply.DISCONNECTED, None


def top_up_notice(amount: int, balance: int) -> Notice:
    """P9: the customer hears that the payment arrived and what the balance now is."""
    return Notice(
        NoticeKind.TOP_UP_RECEIVED,
        f"Rechargement de {format_eur(amount)} € reçu. Nouveau solde : {format_eur(balance)} €.",
    )


def balance_push(
    balance: int, at: datetime, rules: PlatformRules = DEFAULT_PLATFORM_RULES
) -> BalancePush:
    """E7, P7: the daily 94.32.2 values for the meter."""
    if at.tzinfo is None:
        raise PlatformError("the balance time must be timezone-aware")
    return BalancePush(at, balance, emergency_credit_left(balance, rules))


def consumption_alert(today_wh: int, earlier_days_wh: list[int], percent: int) -> Notice | None:
    """R2: an alert when the day's consumption exceeds the average of the earlier days by more
    than `percent` %. With one earlier day this is the portal's "compared with the day before"."""
    if percent < 0:
        raise PlatformError(f"alert percentage must be >= 0, got {percent}")
    if not earlier_days_wh:
        return None
    # today > average * (100 + percent) / 100, in integers
    if today_wh * 100 * len(earlier_days_wh) <= sum(earlier_days_wh) * (100 + percent):
        return None
    average = sum(earlier_days_wh) // len(earlier_days_wh)
    return Notice(
        NoticeKind.CONSUMPTION_ALERT,
        f"Dépassement de consommation de plus de {percent} % : {today_wh} Wh hier "
        f"pour une moyenne de {average} Wh par jour.",
    )


def refuse_manual_index(communicating: bool) -> None:
    """R3: self-reading is not offered for communicating meters (indexes come in by themselves)."""
    if communicating:
        raise PlatformError(
            "relevé manuel refusé : ce compteur communicant transmet ses index automatiquement"
        )
