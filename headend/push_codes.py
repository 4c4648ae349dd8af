"""The event codes a vmeter push carries (0-0:96.11.0.255, unsigned), shared by the meter that
pushes them and the head-end that reads them.

Where the meter's own event log (``firmware.logs.EventCode``) has the event, the push uses
the same number, so a push and the log entry it came from agree (a test keeps them equal);
the leak-test results are the gas meter's (rule G3):

| code | event | rule |
|---|---|---|
| 1 | power down (clean stop, last gasp before ``offline``; a grid outage's last gasp) | E9 |
| 2 | power up (meter start; the grid's return) | E9 |
| 12 | reconnection enabled: press the button 5 s | E8, P8 |
| 41 | low credit | P2, P9 |
| 42 | emergency credit started | P3, P9 |
| 43 | disconnection imminent (inside the non-disconnect period) | P4, P9 |
| 44 | disconnected (or, with a power limiter, limited) for lack of credit | P4, P9 |
| 45 | top-up received | P6, P9 |
| 60 | leak test passed: gas available | G3 |
| 61 | leak test failed: retry after the meter's retry delay (6 minutes by default) | G3 |
| 62 | leak test failed twice: locked out, call an installer | G3, M4 |
"""

from __future__ import annotations

from enum import IntEnum


class PushEventCode(IntEnum):
    POWER_DOWN = 1
    POWER_UP = 2
    RECONNECTION_ENABLED = 12
    LOW_CREDIT = 41
    EMERGENCY_CREDIT_STARTED = 42
    DISCONNECTION_IMMINENT = 43
    DISCONNECTED = 44
    TOP_UP_RECEIVED = 45
    LEAK_TEST_PASSED = 60
    LEAK_TEST_FAILED = 61
    LEAK_TEST_LOCKED_OUT = 62

    @property
    def label(self) -> str:
        """How a technician reads it: ``low credit``, ``top-up received``."""
        return self.name.lower().replace("_", " ").replace("top up", "top-up")
