"""``MeterState``: everything the meter keeps across a restart, and its JSON form.

``central_balance`` (JSON key absent in format 1 files: no update received yet) is the last
balance update from the platform in central mode (rule P7). ``account`` (absent: none) is the
meter-side account's snapshot without its ledger, which lives in the NVM's ledger journal.
``power_limit_w`` (absent: none) is a limiter threshold the management client set (P4), which
then replaces the configured one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from firmware.central_balance import BalanceUpdate
from firmware.disconnect_control import ControlState
from firmware.logs import EventCode, MeterEvent, ProfileEntry
from firmware.registers import RegisterValues
from firmware.rules.money import Money

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def to_ms(moment: datetime) -> int:
    """Integer milliseconds since the epoch (exact, no float)."""
    return (moment - EPOCH) // MILLISECOND


def to_ms_ceiling(moment: datetime) -> int:
    """Milliseconds since the epoch, rounded up (a change at 1.5 ms is seen at 2 ms)."""
    return -((EPOCH - moment) // MILLISECOND)


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * MILLISECOND


@dataclass(frozen=True)
class MeterState:
    saved_at: datetime
    registers_mj: RegisterValues
    control_state: ControlState
    control_mode: int
    breaker_tripped: bool
    profile: tuple[ProfileEntry, ...]
    snapshots: tuple[ProfileEntry, ...]
    events: tuple[MeterEvent, ...]
    central_balance: BalanceUpdate | None = None
    account: dict[str, Any] | None = None
    power_limit_w: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "saved_at": to_ms(self.saved_at),
            "registers_mj": list(self.registers_mj),
            "control_state": int(self.control_state),
            "control_mode": self.control_mode,
            "breaker_tripped": self.breaker_tripped,
            "profile": [_entry_json(entry) for entry in self.profile],
            "snapshots": [_entry_json(entry) for entry in self.snapshots],
            "events": [[to_ms(e.timestamp), int(e.code), e.text] for e in self.events],
            "central_balance": _balance_json(self.central_balance),
            "account": self.account,
            "power_limit_w": self.power_limit_w,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> MeterState:
        """Raises KeyError, TypeError or ValueError on a malformed document."""
        return MeterState(
            saved_at=from_ms(int(data["saved_at"])),
            registers_mj=RegisterValues(*(int(v) for v in data["registers_mj"])),
            control_state=ControlState(data["control_state"]),
            control_mode=int(data["control_mode"]),
            breaker_tripped=bool(data["breaker_tripped"]),
            profile=tuple(_entry(item) for item in data["profile"]),
            snapshots=tuple(_entry(item) for item in data["snapshots"]),
            events=tuple(
                MeterEvent(from_ms(int(ms)), EventCode(code), str(text))
                for ms, code, text in data["events"]
            ),
            central_balance=_balance(data.get("central_balance")),
            account=_account(data.get("account")),
            power_limit_w=_optional_int(data.get("power_limit_w")),
        )


def _entry_json(entry: ProfileEntry) -> list[int]:
    return [to_ms(entry.timestamp), *entry.values]


def _entry(item: list[int]) -> ProfileEntry:
    ms, *values = item
    if len(values) != 4:
        raise ValueError("a profile entry holds a time and four registers")
    return ProfileEntry(from_ms(int(ms)), RegisterValues(*(int(v) for v in values)))


def _balance_json(update: BalanceUpdate | None) -> list[int] | None:
    if update is None:
        return None
    return [to_ms(update.at), update.balance.milli_cents, update.emergency_credit.milli_cents]


def _balance(item: list[int] | None) -> BalanceUpdate | None:
    if item is None:
        return None
    at_ms, balance, emergency_credit = item
    return BalanceUpdate(from_ms(int(at_ms)), Money(int(balance)), Money(int(emergency_credit)))


def _account(item: object) -> dict[str, Any] | None:
    if item is not None and not isinstance(item, dict):
        raise ValueError("the account snapshot is not a JSON object")
    return item


def _optional_int(item: object) -> int | None:
    if item is None:
        return None
    if not isinstance(item, int) or isinstance(item, bool):
        raise ValueError("not an integer")
    return item
