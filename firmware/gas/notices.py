"""What the gas meter tells the customer (rule P9 and the leak test, rule G3): the meter-side
account's notices and one ``LeakTestResult`` per finished leak-tightness test attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from firmware.prepayment.account_events import Notice
from firmware.rules.localtime import to_local


@dataclass(frozen=True, slots=True)
class LeakTestResult:
    """One leak-test attempt ended (rule G3): ``passed`` (gas flows) or failed; a failed
    ``attempt`` 2 leaves local retries ``locked_out`` until a remote re-enable (rule M4).
    A failure that may be retried says when: the meter's ``retry_delay`` setting."""

    at: datetime
    attempt: int
    passed: bool
    locked_out: bool = False
    retry_delay: timedelta | None = None

    @property
    def text(self) -> str:
        """The customer's message, in local time (M7)."""
        when = f"{to_local(self.at):%d/%m/%y at %H:%M}"
        if self.passed:
            return f"leak test {self.attempt} passed on {when}: gas is available"
        if self.locked_out:
            return f"leak test {self.attempt} failed on {when}: call an installer"
        if self.retry_delay is None:
            return f"leak test {self.attempt} failed on {when}"
        return f"leak test {self.attempt} failed on {when}: retry in {_spoken(self.retry_delay)}"


def _spoken(delay: timedelta) -> str:
    """``6 minutes``, ``1 minute``, ``90 seconds``."""
    seconds = int(delay.total_seconds())
    amount, unit = (seconds // 60, "minute") if seconds % 60 == 0 else (seconds, "second")
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


GasNotice = Notice | LeakTestResult
"""What ``GasMeter.notices`` holds and its listeners receive."""
