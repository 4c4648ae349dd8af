"""``VirtualMeter``: one meter's firmware, emulated hardware, NVM and clock on an asyncio loop.

Instant mode jumps a ``SimulatedClock`` from deadline to deadline (a year runs in seconds);
speed mode sleeps, scaled, until the next deadline. Both yield to the event loop regularly so
COSEM servers can share it; ``wake()`` makes the loop recompute its next deadline after an
outside change. Leaving ``run`` by any way (end, Ctrl-C, cancellation) powers the meter down
and saves its state.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from emulator.config import ConfigError, MeterConfig, RunConfig
from firmware.budget.meter import BudgetMeter
from firmware.gas.gas_meter import GasMeter, GasSettings
from firmware.meter import ElectricityMeter
from firmware.nvm import NonVolatileMemory
from firmware.prepayment.meter_side import account_config
from firmware.rules.tariff import Tariff
from firmware.settings import PrepaymentMode
from hal.bundle import EmulatedMeterHal
from hal.card_slot import EmulatedCardSlot
from hal.clock import ScaledClock, SimulatedClock, require_utc
from hal.flow_models import ModelledFlowSensor
from hal.lcd import LcdListener
from hal.valve import EmulatedValve

YIELD_EVERY = 256  # instant-mode steps between two yields to the event loop

Action = Callable[[], None]
KINDS_RUNNING = ("electricity", "budget", "gas")


class Firmware(Protocol):
    """What the run loop drives: the electricity meter, the budget meter around it, or the
    gas meter."""

    def advance_to(self, now: datetime) -> None: ...

    def next_deadline(self, include_scroll: bool = True) -> datetime: ...

    def shutdown(self, at: datetime | None = None) -> None: ...


class VirtualMeter:
    """A running electricity, budget or gas meter built from a configuration and run options.
    ``meter`` is the electricity metering core (what COSEM and the readout serve); a budget
    meter (``kind: budget``) adds ``budget``, its card account around that core. A gas meter
    (``kind: gas``) has ``gas`` instead, fed by ``flow_sensor`` (the config's flow) through
    ``hal.valve``; it has no ``meter``. With ``run.with_gas`` an electricity meter also has a
    ``gas`` meter (M-Bus channel 1) on its own ``gas_hal``, both stepped by the same loop.

    Raises ``ConfigError`` for a kind without firmware yet, ``FirmwareError`` (including
    ``StateFileError``) when the settings or the saved state are unusable."""

    def __init__(
        self,
        config: MeterConfig,
        run: RunConfig,
        on_lcd: LcdListener | None = None,
        on_gas_lcd: LcdListener | None = None,
    ) -> None:
        if config.kind not in KINDS_RUNNING:
            raise ConfigError(
                f"kind {config.kind!r}: no firmware yet (runs: {', '.join(KINDS_RUNNING)})"
            )
        start = require_utc(run.start) if run.start else datetime.now(UTC).replace(microsecond=0)
        self.instant = run.instant
        self.simulated_clock = SimulatedClock(start) if run.instant else None
        # Still until run() starts, so start-up time costs no simulated time.
        self.scaled_clock = None if run.instant else ScaledClock(start, run.speed, running=False)
        clock = self.simulated_clock or self.scaled_clock
        assert clock is not None
        self.clock = clock
        self.kind = config.kind
        self.serial = config.meter.identity.serial_number
        """The meter's serial number (MQTT topics, the optical port's identification)."""
        self.gas_serial = config.gas_identity.serial_number
        """The gas meter's own serial (its tokens are made for it): ``--with-gas`` gives the
        M-Bus meter the electricity meter's with ``-G1``, so a token fits one meter only."""
        self.hal = EmulatedMeterHal.build(clock, config.load.build())
        self.hal.lcd.keep_history = False  # long runs: listeners see every change instead
        if on_lcd is not None:
            self.hal.lcd.listeners.append(on_lcd)
        nvm = NonVolatileMemory(run.state, durable=not run.instant) if run.state else None
        self.budget: BudgetMeter | None = None
        self.gas: GasMeter | None = None
        self.flow_sensor: ModelledFlowSensor | None = None
        self._meter: ElectricityMeter | None = None
        self.firmware: Firmware
        self.gas_hal: EmulatedMeterHal | None = None
        if config.kind == "gas":
            self.gas_hal = self.hal
            self.gas = self._build_gas(config, nvm, self.hal)
            self.firmware = self.gas
        elif config.kind == "budget":
            self.hal.card_slot = EmulatedCardSlot(clock)
            self.budget = BudgetMeter(config.meter, config.budget, self.hal, nvm)
            self._meter = self.budget.meter
            self.firmware = self.budget
        else:
            self._meter = ElectricityMeter(config.meter, self.hal, nvm)
            self.firmware = self._meter
        if run.with_gas:
            if config.kind != "electricity":
                raise ConfigError(f"--with-gas needs an electricity meter, not {config.kind}")
            # The gas meter on M-Bus channel 1 has its own LCD, buttons and valve.
            self.gas_hal = EmulatedMeterHal.build(clock, config.load.build())
            self.gas_hal.lcd.keep_history = False
            if on_gas_lcd is not None:
                self.gas_hal.lcd.listeners.append(on_gas_lcd)
            self.gas = self._build_gas(config, nvm, self.gas_hal)
            self.firmware = MeterPair(self.firmware, self.gas)
        self.until = _absolute(run.until, start)
        self._wake_event: asyncio.Event | None = None
        self._actions: list[tuple[datetime, int, Action]] = []
        self._order = itertools.count()
        self._shut_down = False

    @property
    def meter(self) -> ElectricityMeter:
        """The electricity metering core; a ``ConfigError`` on a gas meter, which has none."""
        if self._meter is None:
            raise ConfigError("a gas meter has no electricity metering core")
        return self._meter

    def _build_gas(
        self, config: MeterConfig, nvm: NonVolatileMemory | None, hal: EmulatedMeterHal
    ) -> GasMeter:
        valve = EmulatedValve(self.clock)
        hal.valve = valve
        self.flow_sensor = ModelledFlowSensor(self.clock, valve, config.flow.build())
        mode = config.meter.prepayment
        account = None
        if mode is PrepaymentMode.METER:  # one gas rate, priced per m3; no limiter (rule P4)
            prices = dict.fromkeys(Tariff, config.gas_price_per_m3)
            side = config.meter.meter_side
            account = account_config(self.gas_serial, side, prices, power_limiter=False)
        settings = GasSettings(
            control_mode=config.meter.control_mode,
            leak_test=config.leak_test,
            prepayment=mode,
            account=account,
        )
        return GasMeter(self.clock, valve, self.flow_sensor, hal.lcd, hal.buttons, settings, nvm)

    def wake(self) -> None:
        """An outside change happened (clock set, relay order, new load): recompute."""
        if self._wake_event is not None:
            self._wake_event.set()

    def schedule(self, at: datetime, action: Action) -> None:
        """Run ``action`` when the meter's clock reaches ``at`` (scripted scenarios, the demo)."""
        heapq.heappush(self._actions, (require_utc(at), next(self._order), action))
        self.wake()

    async def run(self, until: datetime | None = None) -> None:
        """Run until ``until`` (or the run options' end, or for ever); then power down and
        save. Cancellation (Ctrl-C) also saves."""
        end = until or self.until
        try:
            await self.run_to(end)
        finally:
            now = self.clock.now()
            self.shutdown(end if end is not None and end < now else now)

    async def run_to(self, end: datetime | None) -> None:
        """Run until ``end`` (or for ever) and stay powered: a recorder runs the meter in
        stretches, then calls ``shutdown`` (``run`` is this followed by it)."""
        self._wake_event = asyncio.Event()
        if self.simulated_clock is not None:
            await self._run_instant(self.simulated_clock, end)
        else:
            assert self.scaled_clock is not None
            await self._run_scaled(self.scaled_clock, end)

    def shutdown(self, at: datetime | None = None) -> None:
        """Power the meter down and save, once (``run`` does it; call it if ``run`` never
        started, e.g. Ctrl-C during start-up)."""
        if not self._shut_down:
            self._shut_down = True
            self.firmware.shutdown(at)

    def _next_stop(self, end: datetime | None, include_scroll: bool) -> datetime:
        stop = self.firmware.next_deadline(include_scroll)
        if self._actions and self._actions[0][0] < stop:
            stop = self._actions[0][0]
        return stop if end is None or stop < end else end

    def _run_due_actions(self, now: datetime) -> None:
        while self._actions and self._actions[0][0] <= now:
            _, _, action = heapq.heappop(self._actions)
            action()

    async def _run_instant(self, clock: SimulatedClock, end: datetime | None) -> None:
        for step in itertools.count(1):
            now = clock.now()
            self._run_due_actions(now)
            if end is not None and now >= end:
                return
            stop = self._next_stop(end, include_scroll=False)
            if stop > now:
                clock.advance_to(stop)
            self.firmware.advance_to(clock.now())
            if step % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    async def _run_scaled(self, clock: ScaledClock, end: datetime | None) -> None:
        wake = self._wake_event
        assert wake is not None
        advanced = clock.now()  # where the firmware stands: a step at the start is on time
        clock.resume()
        while True:
            now = clock.now()
            due = self._actions[0][0] if self._actions else None
            if due is not None and advanced <= due < now:
                now = due  # woke late (timer jitter times the speed): act at the action's time
            if end is not None and now >= end:
                self._step_held(clock, end)
                return
            self._step_held(clock, now)
            advanced = now
            delay = clock.real_seconds_until(self._next_stop(end, include_scroll=True))
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=delay)

    def _step_held(self, clock: ScaledClock, moment: datetime) -> None:
        """Bring the firmware to ``moment`` through every deadline on the way, as instant mode
        does, then run the actions due, with the clock held at each instant: a late wake-up
        cannot move a cut, a tariff switch or a scenario step, nor what they charge. The
        clock goes on from ``moment`` (the time spent here is not simulated); an action may
        pause it (a replay's pause)."""
        try:
            while (deadline := self.firmware.next_deadline(include_scroll=False)) < moment:
                clock.hold(deadline)
                self.firmware.advance_to(deadline)
            clock.hold(moment)
            self.firmware.advance_to(moment)
            self._run_due_actions(moment)
        finally:
            clock.release()


class MeterPair:
    """An electricity meter and its M-Bus gas meter stepped together on one run loop."""

    def __init__(self, electricity: Firmware, gas: Firmware) -> None:
        self._meters = (electricity, gas)

    def advance_to(self, now: datetime) -> None:
        for meter in self._meters:
            meter.advance_to(now)

    def next_deadline(self, include_scroll: bool = True) -> datetime:
        return min(meter.next_deadline(include_scroll) for meter in self._meters)

    def shutdown(self, at: datetime | None = None) -> None:
        for meter in self._meters:
            meter.shutdown(at)


def _absolute(until: datetime | timedelta | None, start: datetime) -> datetime | None:
    if isinstance(until, timedelta):
        return start + until
    return require_utc(until) if until is not None else None
