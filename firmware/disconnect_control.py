"""The supply relay as the COSEM Disconnect control class 70 (rules M1, M2, E8).

States and transitions a-h follow COSEM-FACTS section 1; which transitions a control mode
allows is the one table ``ALLOWED_MODES``. A refused transition returns a result saying why;
it never raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, IntEnum

from firmware.errors import FirmwareError


class ControlState(IntEnum):
    """COSEM class 70 attribute 3."""

    DISCONNECTED = 0
    CONNECTED = 1
    READY_FOR_RECONNECTION = 2


class Trigger(Enum):
    REMOTE_DISCONNECT = "remote_disconnect"
    REMOTE_RECONNECT = "remote_reconnect"
    MANUAL_DISCONNECT = "manual_disconnect"
    MANUAL_RECONNECT = "manual_reconnect"
    LOCAL_DISCONNECT = "local_disconnect"
    LOCAL_RECONNECT = "local_reconnect"


@dataclass(frozen=True)
class Transition:
    name: str
    trigger: Trigger
    source: ControlState
    target: ControlState


D, C, R = ControlState.DISCONNECTED, ControlState.CONNECTED, ControlState.READY_FOR_RECONNECTION
TRANSITIONS = (
    Transition("a", Trigger.REMOTE_RECONNECT, D, C),
    Transition("b", Trigger.REMOTE_DISCONNECT, C, D),
    Transition("c", Trigger.REMOTE_DISCONNECT, R, D),
    Transition("d", Trigger.REMOTE_RECONNECT, D, R),
    Transition("e", Trigger.MANUAL_RECONNECT, R, C),
    Transition("f", Trigger.MANUAL_DISCONNECT, C, R),
    Transition("g", Trigger.LOCAL_DISCONNECT, C, R),
    Transition("h", Trigger.LOCAL_RECONNECT, R, C),
)
# Which control modes allow each transition (mode 0: none, the relay stays connected).
ALLOWED_MODES: dict[str, frozenset[int]] = {
    "a": frozenset({2, 4}),
    "b": frozenset({1, 2, 3, 4, 5, 6}),
    "c": frozenset({1, 2, 3, 4, 5, 6}),
    "d": frozenset({1, 3, 5, 6}),
    "e": frozenset({1, 2, 3, 4, 5, 6}),
    "f": frozenset({1, 2, 5}),
    "g": frozenset({1, 2, 3, 4, 5, 6}),
    "h": frozenset({5, 6}),
}
CONTROL_MODES = range(7)


@dataclass(frozen=True)
class TransitionResult:
    """What a trigger did: ``accepted`` with the ``transition`` letter taken, or refused with a
    ``reason``; ``state`` is the control state afterwards."""

    accepted: bool
    state: ControlState
    transition: str | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.accepted:
            return f"accepted (transition {self.transition}), now {self.state.name.lower()}"
        return f"refused: {self.reason}"


StateListener = Callable[[ControlState, ControlState, str], None]


class DisconnectControl:
    """The relay's control state machine; ``on_change(old, new, transition)`` drives the relay."""

    def __init__(
        self,
        control_mode: int = 3,
        state: ControlState = ControlState.CONNECTED,
        on_change: StateListener | None = None,
        on_mode_change: Callable[[int], None] | None = None,
    ) -> None:
        self._mode = _checked_mode(control_mode)
        self._state = ControlState.CONNECTED if self._mode == 0 else state
        self._on_change = on_change
        self._on_mode_change = on_mode_change

    @property
    def control_state(self) -> ControlState:
        return self._state

    @property
    def output_state(self) -> bool:
        """True when the relay is closed (supply connected)."""
        return self._state is ControlState.CONNECTED

    @property
    def control_mode(self) -> int:
        """The control mode 0..6; setting another value raises ``FirmwareError``."""
        return self._mode

    @control_mode.setter
    def control_mode(self, mode: int) -> None:
        self.set_control_mode(mode)

    def set_control_mode(self, mode: int) -> None:
        """Change the control mode (0..6); raises ``FirmwareError`` for another value. Mode 0
        means always connected, so switching to it connects."""
        self._mode = _checked_mode(mode)
        if mode == 0 and self._state is not ControlState.CONNECTED:
            self._move(ControlState.CONNECTED, "mode 0")
        if self._on_mode_change is not None:
            self._on_mode_change(mode)

    def remote_disconnect(self) -> TransitionResult:
        """Transitions b, c."""
        return self._fire(Trigger.REMOTE_DISCONNECT)

    def remote_reconnect(self) -> TransitionResult:
        """Transition a (modes 2, 4: connects) or d (modes 1, 3, 5, 6: ready for reconnection)."""
        return self._fire(Trigger.REMOTE_RECONNECT)

    def manual_disconnect(self) -> TransitionResult:
        """Transition f (modes 1, 2, 5)."""
        return self._fire(Trigger.MANUAL_DISCONNECT)

    def manual_reconnect(self) -> TransitionResult:
        """Transition e: the customer's button when ready for reconnection (rule E8)."""
        return self._fire(Trigger.MANUAL_RECONNECT)

    def local_disconnect(self) -> TransitionResult:
        """Transition g: limiter, fuse supervision, breaker (rule M2)."""
        return self._fire(Trigger.LOCAL_DISCONNECT)

    def local_reconnect(self) -> TransitionResult:
        """Transition h (modes 5, 6)."""
        return self._fire(Trigger.LOCAL_RECONNECT)

    def _fire(self, trigger: Trigger) -> TransitionResult:
        candidates = [t for t in TRANSITIONS if t.trigger is trigger and t.source is self._state]
        if not candidates:
            reason = f"{trigger.value} does nothing in state {self._state.name.lower()}"
            return TransitionResult(False, self._state, reason=reason)
        for transition in candidates:
            if self._mode in ALLOWED_MODES[transition.name]:
                self._move(transition.target, transition.name)
                return TransitionResult(True, self._state, transition.name)
        names = ",".join(t.name for t in candidates)
        reason = f"{trigger.value} (transition {names}) not allowed in control mode {self._mode}"
        return TransitionResult(False, self._state, reason=reason)

    def _move(self, target: ControlState, transition: str) -> None:
        old, self._state = self._state, target
        if self._on_change is not None:
            self._on_change(old, target, transition)


def _checked_mode(mode: int) -> int:
    if mode not in CONTROL_MODES:
        raise FirmwareError(f"control_mode must be 0..6, not {mode}")
    return mode
