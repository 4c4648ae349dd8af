"""The central-mode balance store (rules E7, P7, M5): the 94.32.2 items as the platform sent
them. The meter never computes them; it keeps the last update, shows it, and serves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from firmware.errors import FirmwareError
from firmware.rules.money import ZERO, Money


@dataclass(frozen=True)
class BalanceUpdate:
    """One update from the platform: ``at`` (UTC) the time the balance was computed for
    (94.32.2/1), ``balance`` (94.32.2/2, negative once emergency credit is in use) and the
    ``emergency_credit`` still available (94.32.2/3)."""

    at: datetime
    balance: Money
    emergency_credit: Money


class CentralBalance:
    """The last balance update received (None before the first). Changed only by
    ``receive_balance_update``."""

    def __init__(self, last: BalanceUpdate | None = None) -> None:
        self._last = last

    @property
    def last_update(self) -> BalanceUpdate | None:
        return self._last

    def receive_balance_update(
        self, at: datetime, balance: Money, emergency_credit: Money
    ) -> BalanceUpdate:
        """Store the platform's update. Raises ``FirmwareError`` for a naive ``at`` or a
        negative emergency credit (what is left of it cannot be below zero)."""
        if at.tzinfo is None:
            raise FirmwareError("the balance update time must be timezone-aware")
        if emergency_credit < ZERO:
            raise FirmwareError(f"emergency credit left cannot be negative ({emergency_credit})")
        self._last = BalanceUpdate(at.astimezone(UTC), balance, emergency_credit)
        return self._last
