"""The meters' event pushes (rule P9): a Push setup object (class 40) whose push object list
(``headend.push_events``) names the meter, the event (code and text, also served as Data
objects holding the last event) and the values that matter then: balance, emergency credit
left, the relay's or valve's state. The electricity (or budget) meter's is 0-0:25.9.0.255
(``meter_pushes``); the gas meter's 0-1:25.9.0.255 (``gas_pushes``), in its own logical
device or on M-Bus channel 1 of an electricity meter run ``--with-gas``.

Each event becomes one DATA-NOTIFICATION, wrapper-framed as the responses are, in the running
meter's bounded ``PushQueue`` (``push_queue``, shared by both meters of a ``--with-gas`` run)
that ``emulator.mqtt_service.MqttService`` publishes (QoS 1, on ``MeterTopics.push``) while
the broker is there and keeps while it is away. Events: the P9 notices as they happen
(``subscribe_notices``; the text the firmware writes in its event log), the gas meter's
leak-test results (G3, M4), reconnection enabled (E8, P8, G4: a top-up left the relay or valve
ready for reconnection), power up when the pushes start with the meter, power down on a clean
stop (``power_down``, before the status goes ``offline``), the electricity meter's grid
outage (power down, its last gasp) and the grid's return (power up) (E9; the battery-powered
gas meter has no grid), and on demand method 1 ``push`` (the last event again, with the
values of now).

One ``MeterPushes`` per meter of a running ``VirtualMeter``, however many logical devices are
built for it (TCP, MQTT, serial), so each event is pushed once.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from cosem.axdr import Data
from cosem.classes.base import CosemObject
from cosem.classes.clock import local_date_time
from cosem.classes.data import live_data
from cosem.classes.profile_generic import CaptureObject
from cosem.classes.push_setup import (
    PushDestination,
    PushSettings,
    TransportService,
    push_notification,
    push_setup,
)
from cosem.wrapper import encode_wrapper
from emulator.balance_binding import cents
from emulator.device_frame import SERVER_SAP
from emulator.runtime import VirtualMeter
from firmware.central_balance import BalanceUpdate
from firmware.disconnect_control import ControlState
from firmware.gas.notices import GasNotice, LeakTestResult
from firmware.prepayment.account_events import (
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Notice,
    TopUpReceived,
)
from firmware.prepayment.meter_side import describe_notice
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import ZERO
from firmware.supply_events import GridOutage, GridReturn, MeterNotice
from headend.mqtt import MeterTopics
from headend.push_codes import PushEventCode
from headend.push_events import (
    EVENT_PUSH_OBJECTS,
    GAS_CHANNEL_1_PUSH_OBJECTS,
    GAS_PUSH_OBJECTS,
    PUSH_CLIENT_SAP,
)

PUSH_QUEUE_LENGTH = 256
"""Pushes kept while the broker is away; beyond, the oldest are dropped (and counted)."""
NOTICE_CODES: dict[type[Notice], PushEventCode] = {
    LowCredit: PushEventCode.LOW_CREDIT,
    EmergencyCreditStarted: PushEventCode.EMERGENCY_CREDIT_STARTED,
    DisconnectionImminent: PushEventCode.DISCONNECTION_IMMINENT,
    Disconnected: PushEventCode.DISCONNECTED,
    TopUpReceived: PushEventCode.TOP_UP_RECEIVED,
}
SUPPLY_CODES: dict[type[GridOutage | GridReturn], PushEventCode] = {
    GridOutage: PushEventCode.POWER_DOWN,
    GridReturn: PushEventCode.POWER_UP,
}
RECONNECTION_TEXT = "reconnection enabled: hold the button 5 seconds"
VALVE_RECONNECTION_TEXT = "reconnection enabled: start the leak test"


class PushQueue:
    """Encoded push messages waiting for the broker, oldest first. ``sent`` removes the
    oldest once the broker has it, so a push survives a lost connection."""

    def __init__(self, limit: int = PUSH_QUEUE_LENGTH) -> None:
        self._messages: deque[bytes] = deque(maxlen=limit)
        self._listeners: list[Callable[[], None]] = []
        self.dropped = 0
        """Pushes lost because the queue was full."""

    def put(self, message: bytes) -> None:
        if len(self._messages) == self._messages.maxlen:
            self.dropped += 1
        self._messages.append(message)
        for listener in self._listeners:
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each ``put`` (the MQTT service wakes up)."""
        self._listeners.append(listener)

    def oldest(self) -> bytes | None:
        return self._messages[0] if self._messages else None

    def sent(self) -> None:
        self._messages.popleft()

    def __len__(self) -> int:
        return len(self._messages)


@dataclass(frozen=True, slots=True)
class LastEvent:
    code: int
    text: str
    at: datetime


class MeterPushes:
    """Turns one meter's events into pushes on ``queue``, captured as ``push_objects`` (the
    first names the push setup, the fourth and fifth its event code and text objects).
    ``balance`` and ``supply_state`` are read at each event without moving the meter (a
    notice arrives in the middle of its step)."""

    def __init__(
        self,
        serial: str,
        queue: PushQueue,
        push_objects: tuple[CaptureObject, ...],
        now: Callable[[], datetime],
        balance: Callable[[], BalanceUpdate | None],
        supply_state: Callable[[], int],
        reconnection_text: str = RECONNECTION_TEXT,
    ) -> None:
        self.serial = serial
        self.queue = queue
        self.push_objects = push_objects
        self.settings = PushSettings(
            PushDestination(TransportService.TCP, MeterTopics(serial).push.encode())
        )
        self._now, self._balance, self._supply_state = now, balance, supply_state
        self._reconnection_text = reconnection_text
        self._invoke_ids = itertools.count(1)
        self._reconnection_announced = False
        self.last = LastEvent(PushEventCode.POWER_UP, "power up", now())
        self._push(self.last)

    def objects(self) -> tuple[CosemObject, ...]:
        """The Push setup and the last event's code and text (Data objects)."""
        name, _, _, code, text, *_ = self.push_objects
        return (
            push_setup(name.obis, self.push_objects, self.settings, self.push),
            live_data(code.obis, lambda: Data.unsigned(self.last.code)),
            live_data(text.obis, lambda: Data.octet_string(self.last.text.encode())),
        )

    def notice(self, notice: GasNotice | MeterNotice) -> None:
        """A P9 notice, a leak-test result, a grid outage or return happened."""
        if isinstance(notice, LeakTestResult):
            self.event(leak_test_code(notice), notice.text, notice.at)
            return
        if isinstance(notice, GridOutage | GridReturn):
            self.event(SUPPLY_CODES[type(notice)], notice.text, notice.at)
            return
        self.event(NOTICE_CODES[type(notice)], describe_notice(notice), notice.at)
        if isinstance(notice, Disconnected):
            self._reconnection_announced = False
        elif isinstance(notice, TopUpReceived) and self._reconnection_newly_enabled():
            self._reconnection_announced = True
            self.event(PushEventCode.RECONNECTION_ENABLED, self._reconnection_text, notice.at)

    def _reconnection_newly_enabled(self) -> bool:
        """E8, P8, G4: the switch waits for the customer since the last cut, not yet pushed."""
        ready = self._supply_state() == ControlState.READY_FOR_RECONNECTION
        return ready and not self._reconnection_announced

    def event(self, code: int, text: str, at: datetime) -> None:
        self.last = LastEvent(code, text, at)
        self._push(self.last)

    def power_down(self) -> None:
        """The meter stops cleanly: its last push."""
        self.event(PushEventCode.POWER_DOWN, "power down", self._now())

    def push(self) -> None:
        """Method 1: the last event again, with the values of now."""
        self._push(LastEvent(self.last.code, self.last.text, self._now()))

    def _push(self, event: LastEvent) -> None:
        balance = self._balance()
        stamp = local_date_time(event.at, BRUSSELS)
        values = (
            Data.octet_string(self.push_objects[0].obis.to_bytes()),
            Data.octet_string(self.serial.encode()),
            Data.octet_string(stamp.to_bytes()),
            Data.unsigned(event.code),
            Data.octet_string(event.text.encode()),
            Data.double_long(cents(balance.balance if balance else ZERO)),
            Data.double_long(cents(balance.emergency_credit if balance else ZERO)),
            Data.enum(self._supply_state()),
        )
        notification = push_notification(next(self._invoke_ids), stamp, values)
        self.queue.put(encode_wrapper(SERVER_SAP, PUSH_CLIENT_SAP, notification.to_bytes()))


def leak_test_code(result: LeakTestResult) -> PushEventCode:
    if result.passed:
        return PushEventCode.LEAK_TEST_PASSED
    if result.locked_out:
        return PushEventCode.LEAK_TEST_LOCKED_OUT
    return PushEventCode.LEAK_TEST_FAILED


_QUEUES: WeakKeyDictionary[VirtualMeter, PushQueue] = WeakKeyDictionary()
_STARTED: WeakKeyDictionary[VirtualMeter, dict[str, MeterPushes]] = WeakKeyDictionary()


def push_queue(runtime: VirtualMeter) -> PushQueue:
    """The pushes of every meter of ``runtime`` waiting for the broker."""
    queue = _QUEUES.get(runtime)
    if queue is None:
        queue = _QUEUES[runtime] = PushQueue()
    return queue


def started_pushes(runtime: VirtualMeter) -> list[MeterPushes]:
    """The pushes started so far for ``runtime`` (each to power down at a clean stop)."""
    return list(_STARTED.get(runtime, {}).values())


def meter_pushes(runtime: VirtualMeter) -> MeterPushes:
    """The electricity (or budget) meter's pushes, started (power up) on the first call."""
    started = _STARTED.setdefault(runtime, {})
    pushes = started.get("electricity")
    if pushes is None:
        meter = runtime.meter
        pushes = started["electricity"] = MeterPushes(
            runtime.serial,
            push_queue(runtime),
            EVENT_PUSH_OBJECTS,
            runtime.clock.now,
            lambda: meter.prepayment_balance,
            lambda: int(meter.relay.control_state),
        )
        meter.subscribe_notices(pushes.notice)
    return pushes


def gas_pushes(runtime: VirtualMeter, channel: int) -> MeterPushes:
    """The gas meter's pushes, started (power up) on the first call: ``channel`` 0 in its own
    logical device, 1 on M-Bus channel 1 of an electricity meter (as ``gas_binding``)."""
    gas = runtime.gas
    assert gas is not None, "gas_pushes needs a VirtualMeter with a gas meter"
    started = _STARTED.setdefault(runtime, {})
    pushes = started.get("gas")
    if pushes is None:
        pushes = started["gas"] = MeterPushes(
            runtime.serial,
            push_queue(runtime),
            GAS_CHANNEL_1_PUSH_OBJECTS if channel else GAS_PUSH_OBJECTS,
            runtime.clock.now,
            lambda: gas.prepayment_balance,
            lambda: int(gas.valve.control_state),
            VALVE_RECONNECTION_TEXT,
        )
        gas.subscribe_notices(pushes.notice)
    return pushes
