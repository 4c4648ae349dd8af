"""Per meter and energy a ledger (rule P6): the account serials and objects."""

from __future__ import annotations

from firmware.rules.credit import ean_check_digit
from headend import meter_obis
from headend.platform.billing import Prices
from headend.platform.ledger import Energy, Meter
from headend.platform.meter_accounts import (
    account_objects,
    account_serial,
    meter_serial,
)


def test_accounts_are_reached_through_their_meter() -> None:
    assert account_serial("VM0000000001", 0) == "VM0000000001"
    assert account_serial("VM0000000001", 1) == "VM0000000001-G1"
    assert meter_serial("VM0000000001-G1") == meter_serial("VM0000000001") == "VM0000000001"

    def meter(serial: str, energy: Energy) -> Meter:
        ean = "54144" + "0" * 12
        ean += ean_check_digit(ean)
        return Meter(serial, ean, ean[-13:], energy, False, True, Prices(1, 1), None)

    assert account_objects(meter("E", Energy.ELECTRICITY)) == meter_obis.ELECTRICITY_ACCOUNT
    assert account_objects(meter("G", Energy.GAS)) == meter_obis.GAS_ACCOUNT
    assert account_objects(meter("E-G1", Energy.GAS)) == meter_obis.GAS_CHANNEL_1_ACCOUNT
