"""The OBIS codes of the vmeter objects the head-end operates, defined once: the meter's table
(``emulator/obis_map.py``, which imports them from here) and the head-end's meter operations
(``headend/operations.py``) both use these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cosem.obis import Obis

CURRENT_ASSOCIATION: Final = Obis.parse("0-0:40.0.0.255")
SERIAL_NUMBER: Final = Obis.parse("0-0:96.1.0.255")
EAN: Final = Obis.parse("0-0:96.1.1.255")
CLOCK: Final = Obis.parse("0-0:1.0.0.255")
IMPORT_PEAK: Final = Obis.parse("1-0:1.8.1.255")
IMPORT_OFFPEAK: Final = Obis.parse("1-0:1.8.2.255")
EXPORT_PEAK: Final = Obis.parse("1-0:2.8.1.255")
EXPORT_OFFPEAK: Final = Obis.parse("1-0:2.8.2.255")
DISCONNECT_CONTROL: Final = Obis.parse("0-0:96.3.10.255")
LOAD_PROFILE: Final = Obis.parse("1-0:99.1.0.255")
DAILY_PROFILE: Final = Obis.parse("1-0:99.2.0.255")
# Central prepayment (rule E7), in the Belgian range 0-0:94.32 (COSEM-FACTS 7.1); vmeter's
# allocation: E = 1, 2, 3 for the display items 94.32.2/1, /2, /3.
BALANCE_UPDATE_TIME: Final = Obis.parse("0-0:94.32.1.255")
BALANCE: Final = Obis.parse("0-0:94.32.2.255")
EMERGENCY_CREDIT: Final = Obis.parse("0-0:94.32.3.255")
# Meter-side prepayment (COSEM-FACTS 3): the standard payment-metering range 0-0:19.
ACCOUNT: Final = Obis.parse("0-0:19.0.0.255")
TOKEN_GATEWAY: Final = Obis.parse("0-0:19.40.0.255")
LIMITER: Final = Obis.parse("0-0:17.0.0.255")

ENERGY_REGISTERS: Final = (IMPORT_PEAK, IMPORT_OFFPEAK, EXPORT_PEAK, EXPORT_OFFPEAK)
"""In the order of the firmware's RegisterValues and of the profile columns."""

# The gas meter: M-Bus channel 1 (B = 1), group 24, the codes a Belgian meter gives its gas
# channel, the same on the gas meter's own device and on an electricity meter's (--with-gas).
GAS_VOLUME: Final = Obis.parse("0-1:24.2.3.255")
GAS_VALVE: Final = Obis.parse("0-1:24.4.0.255")
GAS_LOAD_PROFILE: Final = Obis.parse("0-1:24.3.0.255")
GAS_DAILY_PROFILE: Final = Obis.parse("0-1:24.3.1.255")  # vmeter's allocation, as 1-0:99.2.0
# With --with-gas the electricity meter serves the gas meter's own balance on channel 1 too.
GAS_BALANCE_UPDATE_TIME: Final = Obis.parse("0-1:94.32.1.255")
GAS_BALANCE: Final = Obis.parse("0-1:94.32.2.255")
GAS_EMERGENCY_CREDIT: Final = Obis.parse("0-1:94.32.3.255")
GAS_TOKEN_GATEWAY: Final = Obis.parse("0-1:19.40.0.255")
# ... and the gas meter's identity (its account's EAN and so its top-up reference, P6).
GAS_SERIAL_NUMBER: Final = Obis.parse("0-1:96.1.0.255")
GAS_EAN: Final = Obis.parse("0-1:96.1.1.255")

CHANNEL_1_SUFFIX: Final = "-G1"
"""The serial of the gas meter an electricity meter serves on M-Bus channel 1 (``--with-gas``)
is the electricity meter's with this suffix (``emulator.config.MeterConfig.gas_identity``)."""


@dataclass(frozen=True, slots=True)
class AccountObjects:
    """The objects a central prepayment account works with on a device: the 94.32 balance
    items the platform pushes (E7) and the disconnect control it operates (P4, P8)."""

    update_time: Obis
    balance: Obis
    emergency_credit: Obis
    switch: Obis  # the electricity relay or the gas valve


ELECTRICITY_ACCOUNT: Final = AccountObjects(
    BALANCE_UPDATE_TIME, BALANCE, EMERGENCY_CREDIT, DISCONNECT_CONTROL
)
GAS_ACCOUNT: Final = AccountObjects(BALANCE_UPDATE_TIME, BALANCE, EMERGENCY_CREDIT, GAS_VALVE)
"""A gas meter's own device: its balance at B = 0, its valve on channel 1."""
GAS_CHANNEL_1_ACCOUNT: Final = AccountObjects(
    GAS_BALANCE_UPDATE_TIME, GAS_BALANCE, GAS_EMERGENCY_CREDIT, GAS_VALVE
)
"""The gas meter an electricity meter serves on M-Bus channel 1 (``--with-gas``)."""
