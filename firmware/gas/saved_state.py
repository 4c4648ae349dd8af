"""The gas meter's snapshot in its NVM (``gas.vms``): the volume register (rule G1), the valve
and the leak test (rules G3, M4: a restart mid-lockout stays locked out), the daily midnight
snapshots, the last central balance update (rules G2, E7) or the meter-side account's state.
Fields added later are optional, so an older file still loads. A value no meter could have
saved (a negative volume, a third leak-test attempt) is refused as a damaged file would be."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from firmware.central_balance import BalanceUpdate
from firmware.disconnect_control import CONTROL_MODES, ControlState
from firmware.errors import StateFileError
from firmware.gas.leak_test import ATTEMPTS, LeakTestState, SavedLeakTest
from firmware.gas.valve import SavedValve
from firmware.gas.volume import MS_PER_HOUR, VolumeEntry, VolumeRegister
from firmware.rules.money import Money


@dataclass(frozen=True)
class SavedGas:
    register: VolumeRegister
    balance: BalanceUpdate | None = None
    valve: SavedValve | None = None
    leak_test: SavedLeakTest | None = None
    snapshots: tuple[VolumeEntry, ...] = ()
    account: Mapping[str, object] | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "dm3": self.register.dm3,
            "carried": self.register.carried,
            "snapshots": [[entry.at.isoformat(), entry.dm3] for entry in self.snapshots],
        }
        if self.balance is not None:
            document["balance"] = {
                "at": self.balance.at.isoformat(),
                "balance_mc": self.balance.balance.milli_cents,
                "emergency_credit_mc": self.balance.emergency_credit.milli_cents,
            }
        if self.valve is not None:
            document["valve"] = {
                "state": int(self.valve.control_state),
                "mode": self.valve.control_mode,
                "test_owed": self.valve.test_owed,
            }
        if self.leak_test is not None:
            failed_at = self.leak_test.failed_at
            document["leak_test"] = {
                "state": self.leak_test.state.value,
                "attempt": self.leak_test.attempt,
                "failed_at": None if failed_at is None else failed_at.isoformat(),
            }
        if self.account is not None:
            document["account"] = dict(self.account)
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any], where: str) -> SavedGas:
        """Raises ``StateFileError`` naming ``where`` for anything unusable."""
        try:
            dm3 = _within(document["dm3"], "volume (dm3)", range(2**63))
            carried = _within(document["carried"], "carried fraction", range(MS_PER_HOUR))
            return cls(
                VolumeRegister(dm3, carried),
                _balance(document.get("balance")),
                _valve(document.get("valve")),
                _leak_test(document.get("leak_test")),
                tuple(
                    VolumeEntry(_utc(at), _within(entry, "snapshot (dm3)", range(dm3 + 1)))
                    for at, entry in document.get("snapshots", [])
                ),
                document.get("account"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise StateFileError(f"{where}: unusable gas snapshot ({error})") from error


def _within(value: object, what: str, allowed: range) -> int:
    """A whole number the meter could have saved (the index never goes back, rule G1)."""
    if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{what} {value!r} is not in {allowed.start}..{allowed.stop - 1}")
    return value


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {text}")
    return moment.astimezone(UTC)


def _balance(saved: Mapping[str, Any] | None) -> BalanceUpdate | None:
    if saved is None:
        return None
    return BalanceUpdate(
        _utc(saved["at"]), Money(int(saved["balance_mc"])), Money(int(saved["emergency_credit_mc"]))
    )


def _valve(saved: Mapping[str, Any] | None) -> SavedValve | None:
    if saved is None:
        return None
    return SavedValve(
        ControlState(int(saved["state"])),
        _within(saved["mode"], "valve control mode", CONTROL_MODES),
        bool(saved["test_owed"]),
    )


def _leak_test(saved: Mapping[str, Any] | None) -> SavedLeakTest | None:
    if saved is None:
        return None
    failed_at = saved.get("failed_at")
    return SavedLeakTest(
        LeakTestState(saved["state"]),
        _within(saved["attempt"], "leak-test attempt", range(ATTEMPTS + 1)),
        None if failed_at is None else _utc(failed_at),
    )
