"""The gas valve as the COSEM Disconnect control class 70 (rules M1, M2, G3).

The control state machine is ``firmware.disconnect_control.DisconnectControl`` itself; this
module only adds what gas needs: the hal valve follows the control state (connected -> open,
otherwise closed), a test position the leak-tightness test alone uses, and one guard: after a
disconnection the valve never opens fully until a leak test has passed. So the direct
reconnections (a in modes 2/4, h in modes 5/6) and mode 0 (always connected) are refused while
a test is owed; the only way back to gas is ``open_after_passed_test`` (transition e).
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.disconnect_control import (
    ALLOWED_MODES,
    ControlState,
    DisconnectControl,
    TransitionResult,
)
from firmware.errors import FirmwareError
from hal.valve import Valve, ValvePosition

TEST_OWED = "a leak-tightness test must pass before gas flows again (rule G3)"


@dataclass(frozen=True)
class SavedValve:
    """The valve's state kept over a restart."""

    control_state: ControlState
    control_mode: int
    test_owed: bool


class GasValve:
    """Disconnect control driving a hal ``Valve``. ``test_owed`` is set by every disconnection
    and cleared only by ``open_after_passed_test``."""

    def __init__(
        self, valve: Valve, control_mode: int = 3, saved: SavedValve | None = None
    ) -> None:
        """Without ``saved`` the control state follows where the valve is found (open:
        connected); with it (a restart) the valve is moved to match the saved state."""
        if saved is None:
            found_open = valve.position is ValvePosition.OPEN
            state = ControlState.CONNECTED if found_open else ControlState.DISCONNECTED
            saved = SavedValve(state, control_mode, test_owed=not found_open)
        if saved.control_mode == 0 and saved.test_owed:
            raise FirmwareError(f"control_mode 0 would open the valve: {TEST_OWED}")
        self._valve = valve
        self._control = DisconnectControl(
            saved.control_mode, saved.control_state, on_change=self._follow
        )
        self.test_owed = saved.test_owed or saved.control_state is not ControlState.CONNECTED
        # A valve found in the test position at start-up (power lost mid-test) closes.
        valve.move_to(ValvePosition.CLOSED if self.test_owed else ValvePosition.OPEN)

    def saved(self) -> SavedValve:
        """What a restart needs (the gas NVM)."""
        return SavedValve(self.control_state, self.control_mode, self.test_owed)

    @property
    def control_state(self) -> ControlState:
        return self._control.control_state

    @property
    def output_state(self) -> bool:
        return self._control.output_state

    @property
    def control_mode(self) -> int:
        return self._control.control_mode

    @property
    def position(self) -> ValvePosition:
        return self._valve.position

    def set_control_mode(self, mode: int) -> None:
        """Raises ``FirmwareError`` for a mode outside 0..6, or mode 0 (always connected) while a
        leak test is owed."""
        if mode == 0 and self.test_owed:
            raise FirmwareError(f"control_mode 0 would open the valve: {TEST_OWED}")
        self._control.set_control_mode(mode)

    def remote_disconnect(self) -> TransitionResult:
        """Transitions b, c: the prepayment cut (rule M2)."""
        return self._control.remote_disconnect()

    def remote_reconnect(self) -> TransitionResult:
        """Transition d (reconnection enabled, rule G4); the direct transition a is refused while
        a test is owed."""
        if self._would_take("a"):
            return self._refused()
        return self._control.remote_reconnect()

    def local_disconnect(self) -> TransitionResult:
        """Transition g."""
        return self._control.local_disconnect()

    def local_reconnect(self) -> TransitionResult:
        """Transition h (modes 5, 6); refused while a test is owed."""
        if self._would_take("h"):
            return self._refused()
        return self._control.local_reconnect()

    def enter_test_position(self) -> None:
        """The leak test starts: only from ready_for_reconnection (rule G3)."""
        if self.control_state is not ControlState.READY_FOR_RECONNECTION:
            raise FirmwareError(f"no leak test in state {self.control_state.name.lower()}")
        self._valve.move_to(ValvePosition.TEST)

    def close_after_failed_test(self) -> None:
        if self._valve.position is ValvePosition.TEST:
            self._valve.move_to(ValvePosition.CLOSED)

    def open_after_passed_test(self) -> TransitionResult:
        """Transition e, taken by the passed leak test in place of the customer's button."""
        if self.control_state is not ControlState.READY_FOR_RECONNECTION:
            raise FirmwareError(f"cannot open from {self.control_state.name.lower()}")
        self.test_owed = False
        return self._control.manual_reconnect()

    def _would_take(self, transition: str) -> bool:
        source = (
            ControlState.DISCONNECTED if transition == "a" else ControlState.READY_FOR_RECONNECTION
        )
        return (
            self.test_owed
            and self.control_state is source
            and self.control_mode in ALLOWED_MODES[transition]
        )

    def _refused(self) -> TransitionResult:
        return TransitionResult(False, self.control_state, reason=TEST_OWED)

    def _follow(self, old: ControlState, new: ControlState, transition: str) -> None:
        if new is ControlState.CONNECTED:
            self._valve.move_to(ValvePosition.OPEN)
        else:
            self.test_owed = True
            self._valve.move_to(ValvePosition.CLOSED)
