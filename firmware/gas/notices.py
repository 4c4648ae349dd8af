"""What the gas meter tells the customer (rule P9 and the leak test, rule G3): the meter-side
account's notices and one ``LeakTestResult`` per finished leak-tightness test attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firmware.prepayment.account_events import Notice
from firmware.rules.localtime import to_local


@dataclass(frozen=True, slots=True)
class LeakTestResult:
    """One leak-test attempt ended (rule G3): ``passed`` (gas flows) or failed; a failed
    ``attempt`` 2 leaves local retries ``locked_out`` until a remote re-enable (rule M4)."""

    at: datetime
    attempt: int
    passed: bool
    locked_out: bool = False

    @property
    def text(self) -> str:
        """The customer's message, in local time (M7)."""
        when = f"{to_local(self.at):%d/%m/%y at %H:%M}"
        if self.passed:
            return f"leak test {self.attempt} passed on {when}: gas is available"
        if self.locked_out:
            return f"leak test {self.attempt} failed on {when}: call an installer"
        return f"leak test {self.attempt} failed on {when}: retry in 6 minutes"


GasNotice = Notice | LeakTestResult
"""What ``GasMeter.notices`` holds and its listeners receive."""
