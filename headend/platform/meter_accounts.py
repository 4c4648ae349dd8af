"""Which meter, channel and objects a platform account is (rule P6: per meter and energy a
ledger).

An account's serial is its meter's, except for the gas meter an electricity meter serves on
M-Bus channel 1 (``--with-gas``): ``<serial>-G1``, reached through the electricity meter's
topic, with its own balance items (0-1:94.32.x) and the valve. That gas meter's device has
no EAN of its own, so its account gets one made from the electricity meter's (``channel_ean``).
"""

from __future__ import annotations

from firmware.rules.credit import ean_check_digit, validate_ean
from headend import meter_obis
from headend.platform.ledger import Energy, Meter

GAS_EAN_DIGIT = 7
"""The EAN digit (from 0; inside the 13 of the top-up reference) that tells the channel-1 gas
account's EAN from the electricity meter's: it is raised by 1 (mod 10)."""


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


def channel_ean(electricity_ean: str) -> str:
    """The EAN (so the reference, P6) of the channel-1 gas account: the electricity meter's
    with digit ``GAS_EAN_DIGIT`` raised by one and its check digit recomputed."""
    digits = validate_ean(electricity_ean)
    raised = str((int(digits[GAS_EAN_DIGIT]) + 1) % 10)
    body = digits[:GAS_EAN_DIGIT] + raised + digits[GAS_EAN_DIGIT + 1 : -1]
    return body + ean_check_digit(body)
