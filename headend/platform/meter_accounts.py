"""Which meter, channel and objects a platform account is (rule P6: per meter and energy a
ledger).

An account's serial is its meter's, except for the gas meter an electricity meter serves on
M-Bus channel 1 (``--with-gas``): ``<serial>-G1``, reached through the electricity meter's
topic, with its own balance items (0-1:94.32.x) and the valve; its EAN is the one the
electricity meter's device serves for it (0-1:96.1.1, ``operations.read_identity``).
"""

from __future__ import annotations

from headend import meter_obis
from headend.platform.ledger import Energy, Meter


def account_serial(meter_serial: str, channel: int) -> str:
    """The ledger's serial for the energy on ``channel`` of the meter ``meter_serial``."""
    return meter_serial + meter_obis.CHANNEL_1_SUFFIX if channel == 1 else meter_serial


def meter_serial(account: str) -> str:
    """The meter (MQTT topic) an account is reached through."""
    return account.removesuffix(meter_obis.CHANNEL_1_SUFFIX)


def account_objects(meter: Meter) -> meter_obis.AccountObjects:
    """The balance items and the switch of ``meter``'s account on its device."""
    if meter.energy is Energy.ELECTRICITY:
        return meter_obis.ELECTRICITY_ACCOUNT
    if meter.serial.endswith(meter_obis.CHANNEL_1_SUFFIX):
        return meter_obis.GAS_CHANNEL_1_ACCOUNT
    return meter_obis.GAS_ACCOUNT
