"""What the screen shows of a running meter, read from a ``VirtualMeter`` as plain data the
widgets take: the LCD(s), the relay, valve, breaker and limiter lamps, the registers and
balance, the last 24 h of 15-minute consumption, and the new lines of the event log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from display.widgets import CardSlotState
from display.widgets.plot import QUARTERS_PER_DAY
from emulator.runtime import VirtualMeter
from firmware.budget.card_transfer import TransferState
from firmware.disconnect_control import ControlState
from firmware.logs import MeterEvent
from firmware.meter import ElectricityMeter
from firmware.registers import RegisterValues
from firmware.rules.money import Money
from hal.bundle import EmulatedMeterHal
from hal.events import DeviceEvent
from hal.lcd import LcdState
from hal.valve import ValvePosition


@dataclass(frozen=True)
class Readings:
    """One look at the meter. ``gas_lcd`` is the gas meter's LCD beside an electricity meter
    (``--with-gas``); ``None`` lamps are devices the meter has not."""

    at: datetime
    lcd: LcdState
    gas_lcd: LcdState | None
    relay: ControlState | None
    valve: ValvePosition | None
    breaker_tripped: bool | None
    limited: bool
    registers_wh: tuple[tuple[str, int], ...]
    volumes_dm3: tuple[tuple[str, int], ...]
    balance: Money | None
    gas_balance: Money | None
    """The gas meter's balance beside an electricity meter (``--with-gas``, when ``gas_lcd``
    is set); None there before its first update, and on any other meter."""
    card: CardSlotState | None
    """The budget meter's card slot; None on a meter without one."""
    quarters: tuple[int, ...]
    """Wh (a gas meter: dm3) per quarter hour over the last 24 h, oldest first."""


@dataclass(frozen=True)
class LogLine:
    at: datetime
    source: str
    text: str


def electricity_core(virtual: VirtualMeter) -> ElectricityMeter | None:
    """The electricity metering core (budget meters have one too); None on a gas meter."""
    return None if virtual.gas_hal is virtual.hal else virtual.meter


def second_lcd_hal(virtual: VirtualMeter) -> EmulatedMeterHal | None:
    """The gas meter's own hardware beside an electricity meter (``--with-gas``)."""
    gas_hal = virtual.gas_hal
    return gas_hal if gas_hal is not None and gas_hal is not virtual.hal else None


def read(virtual: VirtualMeter) -> Readings:
    """The meter as it stands (its firmware last advanced by the run loop)."""
    gas = virtual.gas
    core = electricity_core(virtual)
    second = second_lcd_hal(virtual)
    valve = virtual.gas_hal.valve if virtual.gas_hal is not None else None
    return Readings(
        at=virtual.clock.now(),
        lcd=virtual.hal.lcd.state,
        gas_lcd=second.lcd.state if second is not None else None,
        relay=core.relay.control_state if core is not None else None,
        valve=valve.position if valve is not None else None,
        breaker_tripped=core.breaker_tripped if core is not None else None,
        limited=core.power_limited if core is not None else False,
        registers_wh=tuple(core.registers.by_obis().items()) if core is not None else (),
        volumes_dm3=(("24.2.1", gas.volume_dm3),) if gas is not None else (),
        balance=_balance(virtual),
        gas_balance=_gas_balance(virtual) if second is not None else None,
        card=_card_slot(virtual),
        quarters=_quarters(virtual),
    )


def _balance(virtual: VirtualMeter) -> Money | None:
    if virtual.budget is not None:
        return virtual.budget.balance
    core = electricity_core(virtual)
    if core is not None:
        update = core.prepayment_balance
    else:
        assert virtual.gas is not None
        update = virtual.gas.prepayment_balance
    return None if update is None else update.balance


def _gas_balance(virtual: VirtualMeter) -> Money | None:
    assert virtual.gas is not None
    update = virtual.gas.prepayment_balance  # the channel-1 balance (G2, P6)
    return None if update is None else update.balance


def _card_slot(virtual: VirtualMeter) -> CardSlotState | None:
    budget = virtual.budget
    if budget is None:
        return None
    if budget.transfer.state is TransferState.REFUSED:
        return CardSlotState.REFUSED
    return (
        CardSlotState.EMPTY
        if virtual.hal.card_slot is None or virtual.hal.card_slot.card is None
        else CardSlotState.INSERTED
    )


def _quarters(virtual: VirtualMeter) -> tuple[int, ...]:
    core = electricity_core(virtual)
    if core is None:
        assert virtual.gas is not None
        volumes = [entry.dm3 for entry in virtual.gas.metering.profile]
        return _differences(volumes[-QUARTERS_PER_DAY - 1 :])
    entries = core.profile.entries()[-QUARTERS_PER_DAY - 1 :]
    return _differences([_imported(entry.values) for entry in entries])


def _imported(values: RegisterValues) -> int:
    return values.import_peak + values.import_offpeak


def _differences(indexes: Sequence[int]) -> tuple[int, ...]:
    return tuple(later - earlier for earlier, later in pairwise(indexes))


class EventFeed:
    """The new event-log lines since the last ``take``: the meter's own event log, and what
    its devices did (relay clicks, beeps, valve moves)."""

    def __init__(self, virtual: VirtualMeter) -> None:
        self._virtual = virtual
        self._device_seen: dict[int, int] = {}
        self._last_meter_event: MeterEvent | None = None

    def take(self) -> list[LogLine]:
        lines = [*self._device_lines(), *self._meter_lines()]
        return sorted(lines, key=lambda line: line.at)

    def _device_lines(self) -> Iterator[LogLine]:
        for prefix, recorded in self._recorders():
            seen = self._device_seen.get(id(recorded), 0)
            self._device_seen[id(recorded)] = len(recorded)
            for event in recorded[seen:]:
                yield LogLine(event.at, prefix + event.device, _describe(event))

    def _recorders(self) -> Iterator[tuple[str, list[DeviceEvent]]]:
        hals: list[tuple[str, EmulatedMeterHal]] = [("", self._virtual.hal)]
        gas_hal = second_lcd_hal(self._virtual)
        if gas_hal is not None:
            hals.append(("gas ", gas_hal))
        for prefix, hal in hals:
            # Presses and cards are logged as the inputs (or scenario actions) they come from.
            for device in (hal.relay, hal.buzzer, hal.valve):
                if device is not None:
                    yield prefix, device.recorder.events

    def _meter_lines(self) -> Iterator[LogLine]:
        core = electricity_core(self._virtual)
        if core is None:
            return
        events = core.events.entries()
        start = 0
        if self._last_meter_event is not None:
            # The log is bounded: find where the last line taken now sits.
            for index in range(len(events) - 1, -1, -1):
                if events[index] is self._last_meter_event:
                    start = index + 1
                    break
        if events:
            self._last_meter_event = events[-1]
        for event in events[start:]:
            yield LogLine(event.timestamp, "meter", event.text)


def _describe(event: DeviceEvent) -> str:
    return f"{event.kind} {event.detail}".strip()
