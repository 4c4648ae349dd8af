"""Replay controls on a running meter's clock: play, pause, speed, jump to the next event,
step to the next scenario step. The meter keeps running on its own ``VirtualMeter.run`` loop;
a jump stops the scaled clock, sets it to the instant wanted and waits until the run loop has
brought the firmware (and the actions due, scenario steps included) up to it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from emulator.config import ConfigError
from emulator.runtime import VirtualMeter
from hal.clock import ScaledClock

MAX_JUMPS = 100_000  # a step longer than this many firmware deadlines stops short

NextStep = Callable[[], datetime | None]


class ReplayController:
    """``next_step_at`` tells when the scenario's next step is due (None: no scenario, or it
    is over). Jumps are awaited; they return at once when the meter's run has ended."""

    def __init__(self, virtual: VirtualMeter, next_step_at: NextStep | None = None) -> None:
        if virtual.scaled_clock is None:
            raise ConfigError("the terminal UI runs the meter on a scaled clock: use --speed")
        self._virtual = virtual
        self.clock: ScaledClock = virtual.scaled_clock
        self.next_step_at: NextStep = next_step_at or (lambda: None)
        self._ended = asyncio.Event()

    @property
    def playing(self) -> bool:
        return self.clock.running

    @property
    def speed(self) -> float:
        return self.clock.speed

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def start_paused(self) -> None:
        """Stand still from the first step of the run loop (which starts the clock)."""
        self._virtual.schedule(self.clock.now(), self.pause)

    def play(self) -> None:
        self.clock.resume()
        self._virtual.wake()

    def pause(self) -> None:
        self.clock.pause()
        self._virtual.wake()

    def set_speed(self, speed: float) -> None:
        self.clock.set_speed(speed)
        self._virtual.wake()

    def mark_ended(self) -> None:
        """The meter's run loop has returned: nothing moves any more."""
        self._ended.set()

    def next_event_at(self) -> datetime:
        """The firmware's next deadline (display scrolling aside) or the next scenario step,
        whichever comes first, never past the run's end."""
        moment = self._virtual.firmware.next_deadline(include_scroll=False)
        step = self.next_step_at()
        if step is not None and step < moment:
            moment = step
        until = self._virtual.until
        return until if until is not None and until < moment else moment

    async def jump_to_next_event(self) -> datetime:
        """Move the clock to the next event and let the meter handle it; the time reached."""
        await self._settle_at(self.next_event_at())
        return self.clock.now()

    async def step(self) -> datetime:
        """Run up to the next scenario step and carry it out (without a scenario: one jump)."""
        target = self.next_step_at()
        if target is None:
            return await self.jump_to_next_event()
        return await self.run_to(target)

    async def settle(self) -> None:
        """Let the run loop bring the meter up to now (after an input)."""
        await self._settle_at(self.clock.now())

    async def run_to(self, target: datetime) -> datetime:
        """Run event by event up to ``target`` (each firmware deadline on its own, as an
        instant run does), carrying out the actions due then."""
        for _ in range(MAX_JUMPS):
            if self.ended:
                break
            moment = min(self.next_event_at(), target)
            await self._settle_at(moment)
            if moment >= target:
                break
        return self.clock.now()

    async def _settle_at(self, moment: datetime) -> None:
        if self.ended:
            return
        playing = self.playing
        self.clock.pause()
        if moment > self.clock.now():
            self.clock.set(moment)
        reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def arrive() -> None:
            if not reached.done():
                reached.set_result(None)

        # Scheduled after anything already due then, so it runs once they have run.
        self._virtual.schedule(self.clock.now(), arrive)
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            await asyncio.wait((reached, ended), return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
        if playing:
            self.play()
