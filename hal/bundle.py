"""``MeterHal``: the devices of one meter, handed to the firmware as one bundle.

The optical port lives in ``hal/optical.py`` (owned by the HDLC work) and is wired by the
emulator, not by the firmware.
"""

from __future__ import annotations

from dataclasses import dataclass

from hal.buttons import Buttons, EmulatedButtons
from hal.buzzer import Buzzer, EmulatedBuzzer
from hal.card_slot import CardSlot, EmulatedCardSlot
from hal.clock import Clock
from hal.flow_sensor import EmulatedFlowSensor, FlowSensor
from hal.frontend import EmulatedFrontEnd, LoadModel, MeteringFrontEnd
from hal.lcd import EmulatedLcd, Lcd
from hal.relay import EmulatedRelay, Relay
from hal.valve import EmulatedValve, Valve


@dataclass
class MeterHal:
    """The hardware of one meter; gas-only and budget-only devices are optional."""

    clock: Clock
    frontend: MeteringFrontEnd
    relay: Relay
    lcd: Lcd
    buttons: Buttons
    buzzer: Buzzer
    card_slot: CardSlot | None = None
    valve: Valve | None = None
    flow_sensor: FlowSensor | None = None


@dataclass
class EmulatedMeterHal(MeterHal):
    """A ``MeterHal`` of emulated devices, typed so tests reach their recordings."""

    frontend: EmulatedFrontEnd
    relay: EmulatedRelay
    lcd: EmulatedLcd
    buttons: EmulatedButtons
    buzzer: EmulatedBuzzer
    card_slot: EmulatedCardSlot | None = None
    valve: EmulatedValve | None = None
    flow_sensor: EmulatedFlowSensor | None = None

    @staticmethod
    def build(clock: Clock, load: LoadModel) -> EmulatedMeterHal:
        """Emulated electricity-meter hardware fed by ``load``."""
        return EmulatedMeterHal(
            clock=clock,
            frontend=EmulatedFrontEnd(load),
            relay=EmulatedRelay(clock),
            lcd=EmulatedLcd(clock),
            buttons=EmulatedButtons(clock),
            buzzer=EmulatedBuzzer(clock),
        )
