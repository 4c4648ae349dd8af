"""The leak-tightness test after a cut (rules G3, G4, M4), one explicit state machine.

    IDLE --valve ready_for_reconnection--> ARMED (blinking arrow over the configured button)
    ARMED --that button--> RUNNING (``7600``, valve in test position, flow watched)
    RUNNING --no flow above the threshold for ``duration``--> PASSED (valve open, gas flows)
    RUNNING --flow above the threshold, 1st attempt--> FAILED (valve closed, warning)
    FAILED --``retry_delay`` (6 min) later--> ARMED (2nd attempt)
    RUNNING --flow above the threshold, 2nd attempt--> LOCKED_OUT (rule M4)
    LOCKED_OUT --``remote_reenable``--> IDLE, then ARMED again (1st attempt)
    ARMED, RUNNING, FAILED --valve no longer ready (cut again)--> IDLE
    PASSED --valve cut again--> IDLE

Reconnection is enabled (transition d) only with the balance at 0.50 EUR or more (rule G4), so
below it nothing is armed. A leak ends the test at once; a tight installation is watched for
the whole ``duration`` (up to 10 minutes). Time is injected; ``next_deadline`` says when to
call ``update`` next. Every attempt leaves events (started, then passed or failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from firmware.disconnect_control import ControlState
from firmware.errors import FirmwareError
from firmware.gas.valve import GasValve
from firmware.gas.volume import FlowSource
from hal.clock import require_utc

BUTTONS = ("euro", "arrow", "m3")  # the strip, left to right (rule G1)
MAX_DURATION = timedelta(minutes=10)
ATTEMPTS = 2  # a second failure calls for an installer (rules G3, M4)


class LeakTestState(Enum):
    IDLE = "idle"
    ARMED = "armed"
    RUNNING = "running"
    FAILED = "failed"
    LOCKED_OUT = "locked_out"
    PASSED = "passed"


# The states that need the valve ready for reconnection; a cut sends them back to IDLE.
WAITING_FOR_GAS = (LeakTestState.ARMED, LeakTestState.RUNNING, LeakTestState.FAILED)


@dataclass(frozen=True)
class LeakTestSettings:
    """``button``: which of ``BUTTONS`` starts the test; ``duration`` up to 10 minutes; flow
    strictly above ``threshold_l_per_h`` is a leak. Defaults from COSEM-FACTS 7.4."""

    button: str = "arrow"
    duration: timedelta = timedelta(seconds=360)
    threshold_l_per_h: int = 30
    retry_delay: timedelta = timedelta(minutes=6)

    def __post_init__(self) -> None:
        if self.button not in BUTTONS:
            raise FirmwareError(f"leak-test button must be one of {', '.join(BUTTONS)}")
        if not timedelta() < self.duration <= MAX_DURATION:
            raise FirmwareError(f"leak-test duration must be 1 s..10 min, not {self.duration}")
        if self.threshold_l_per_h < 0:
            raise FirmwareError("leak threshold must not be negative")
        if self.retry_delay < timedelta():
            raise FirmwareError("retry delay must not be negative")


@dataclass(frozen=True)
class LeakTestEvent:
    """``outcome``: started, passed, failed, aborted (cut during the test), locked_out,
    re_enabled. ``flow_l_per_h`` is the flow that failed a test."""

    at: datetime
    attempt: int
    outcome: str
    flow_l_per_h: int = 0


@dataclass(frozen=True)
class SavedLeakTest:
    """The leak test's state kept over a restart (rule M4: a lockout survives it)."""

    state: LeakTestState
    attempt: int
    failed_at: datetime | None = None


@dataclass
class LeakTest:
    valve: GasValve
    flow: FlowSource
    settings: LeakTestSettings = field(default_factory=LeakTestSettings)
    state: LeakTestState = LeakTestState.IDLE
    attempt: int = 0  # the attempt armed, running or last failed (1 or 2)
    events: list[LeakTestEvent] = field(default_factory=list)
    ends_at: datetime | None = None  # when a running test passes if no leak shows
    _watched_until: datetime | None = None  # the flow is known tight up to here
    _failed_at: datetime | None = None

    def press(self, button: str, now: datetime) -> bool:
        """A button of the strip; True when it started the test (the display ignores it then)."""
        self.update(now)
        if self.state is not LeakTestState.ARMED or button != self.settings.button:
            return False
        self.valve.enter_test_position()
        self.state, self.ends_at = LeakTestState.RUNNING, now + self.settings.duration
        self._watched_until = now
        self.events.append(LeakTestEvent(now, self.attempt, "started"))
        self._watch(now)  # a leak already flowing fails the test at once
        return True

    def saved(self) -> SavedLeakTest:
        return SavedLeakTest(self.state, self.attempt, self._failed_at)

    def restore(self, saved: SavedLeakTest) -> None:
        """Back to the state saved before a restart. A test running when the power went
        comes back armed for the same attempt: its valve closed at start-up."""
        if saved.state is LeakTestState.RUNNING:
            self.state, self.attempt = LeakTestState.ARMED, saved.attempt
            return
        self.state, self.attempt = saved.state, saved.attempt
        self._failed_at = saved.failed_at if saved.state is LeakTestState.FAILED else None

    def remote_reenable(self, now: datetime) -> bool:
        """The head-end's re-enable after a lockout (rule M4); False when not locked out."""
        if self.state is not LeakTestState.LOCKED_OUT:
            return False
        self.state, self.attempt = LeakTestState.IDLE, 0
        self.events.append(LeakTestEvent(require_utc(now), 0, "re_enabled"))
        self.update(now)
        return True

    def update(self, now: datetime) -> None:
        """Follow the valve's control state and the clock up to ``now``."""
        now = require_utc(now)
        ready = self.valve.control_state is ControlState.READY_FOR_RECONNECTION
        if self.state in WAITING_FOR_GAS and not ready:
            self._abort(now)
        if self.state is LeakTestState.RUNNING:
            self._watch(now)
        connected = self.valve.control_state is ControlState.CONNECTED  # after a pass
        retry_at = self.next_deadline() if self.state is LeakTestState.FAILED else None
        if retry_at is not None and now >= retry_at:
            self._arm(self.attempt + 1)
        if self.state is LeakTestState.PASSED and not connected:
            self.state = LeakTestState.IDLE
        if self.state is LeakTestState.IDLE and ready:
            self._arm(1)

    def next_deadline(self) -> datetime | None:
        """When ``update`` must run next: the end of the test or the next flow change while it
        runs, the end of the retry delay after a failure; None otherwise."""
        if self.ends_at is not None and self._watched_until is not None:
            change = self.flow.next_change_after(self._watched_until)
            return self.ends_at if change is None else min(self.ends_at, change)
        if self.state is LeakTestState.FAILED and self._failed_at is not None:
            return self._failed_at + self.settings.retry_delay
        return None

    def _watch(self, now: datetime) -> None:
        """Scan the flow from where the last look ended to ``now`` (or the end of the test),
        piece by piece, so a leak is found at the instant it started."""
        end, moment = self.ends_at, self._watched_until
        if end is None or moment is None:
            return
        limit = min(now, end)
        while True:
            flow = self.flow.flow_at(moment)
            if flow > self.settings.threshold_l_per_h:
                self._fail(moment, flow)
                return
            change = self.flow.next_change_after(moment)
            if change is None or change > limit or change == end:  # flow at ``now`` counts
                break
            moment = change
        self._watched_until = limit
        if now >= end:
            self.valve.open_after_passed_test()
            self.state, self.ends_at, self._watched_until = LeakTestState.PASSED, None, None
            self.events.append(LeakTestEvent(end, self.attempt, "passed"))

    def _fail(self, at: datetime, flow: int) -> None:
        self.valve.close_after_failed_test()
        self.ends_at = self._watched_until = None
        self.events.append(LeakTestEvent(at, self.attempt, "failed", flow))
        if self.attempt >= ATTEMPTS:
            self.state = LeakTestState.LOCKED_OUT
            self.events.append(LeakTestEvent(at, self.attempt, "locked_out"))
        else:
            self.state, self._failed_at = LeakTestState.FAILED, at

    def _arm(self, attempt: int) -> None:
        self.state, self.attempt, self._failed_at = LeakTestState.ARMED, attempt, None

    def _abort(self, now: datetime) -> None:
        if self.state is LeakTestState.RUNNING:
            self.valve.close_after_failed_test()
            self.events.append(LeakTestEvent(now, self.attempt, "aborted"))
        self.state, self.attempt = LeakTestState.IDLE, 0
        self.ends_at = self._watched_until = self._failed_at = None
