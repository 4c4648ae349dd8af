"""What the meter-side account hands back to the meter: orders and notifications (M2, P9).

The account never drives hardware. Each input returns an `Outcome`: the relay orders the meter
carries out (M2: `DISCONNECT` is the Disconnect control's remote_disconnect, transition b;
`ENABLE_RECONNECTION` its remote_reconnect, transition d) and the P9 notifications to send.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from firmware.rules.localtime import to_local
from firmware.rules.money import Money
from firmware.rules.token import TokenCheck


class Order(enum.Enum):
    DISCONNECT = "disconnect"  # M2 transition b, P4: emergency credit used up, outside the NDP
    ENABLE_RECONNECTION = "enable_reconnection"  # M2 transition d, P8: balance >= 0.50 EUR
    LIMIT_POWER = "limit_power"  # P4 on a meter with a power limiter: limited instead of cut
    LIFT_POWER_LIMIT = "lift_power_limit"  # P8 on such a meter: full power again


@dataclass(frozen=True, slots=True)
class LowCredit:
    """P2: the balance has reached the low-credit threshold (informative)."""

    at: datetime
    balance: Money
    threshold: Money


@dataclass(frozen=True, slots=True)
class EmergencyCreditStarted:
    """P3: the balance went below zero and the emergency credit took over."""

    at: datetime
    emergency_credit: Money

    @property
    def text(self) -> str:
        """The customer's message, in local time (M7)."""
        return f"emergency credit activated on {to_local(self.at):%d/%m/%y at %H:%M}"


@dataclass(frozen=True, slots=True)
class DisconnectionImminent:
    """P4: the emergency credit is used up inside the non-disconnect period; cut at `cut_at`."""

    at: datetime
    cut_at: datetime


@dataclass(frozen=True, slots=True)
class Disconnected:
    """P4, P9: the supply was cut (or, with a power limiter, limited) for lack of credit."""

    at: datetime
    balance: Money
    limited: bool = False


@dataclass(frozen=True, slots=True)
class TopUpReceived:
    """P9: a token was credited."""

    at: datetime
    amount: Money
    token_seq: int
    balance: Money


Notice = LowCredit | EmergencyCreditStarted | DisconnectionImminent | Disconnected | TopUpReceived


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one input to the account produced; `token` is set for a top-up attempt."""

    orders: tuple[Order, ...] = ()
    notices: tuple[Notice, ...] = ()
    token: TokenCheck | None = None


NOTHING = Outcome()


@dataclass(slots=True)
class Changes:
    """Orders and notices gathered while an account handles one input."""

    orders: list[Order] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def outcome(self, token: TokenCheck | None = None) -> Outcome:
        return Outcome(tuple(self.orders), tuple(self.notices), token)
