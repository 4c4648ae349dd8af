"""Per meter and energy a ledger (rule P6): the account serials, objects and the channel-1
gas account's EAN."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.rules.credit import ean_check_digit, top_up_reference, validate_ean
from headend import meter_obis
from headend.platform.billing import Prices
from headend.platform.ledger import Energy, Meter
from headend.platform.meter_accounts import (
    account_objects,
    account_serial,
    channel_ean,
    meter_serial,
)


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10**17 - 1))
def test_the_channel_1_gas_ean_is_valid_and_has_its_own_reference(body: int) -> None:
    # rule P6: the reference (last 13 digits) picks one energy's account
    first_17 = f"{body:017d}"
    electricity = first_17 + ean_check_digit(first_17)
    gas = channel_ean(electricity)
    assert validate_ean(gas) == gas
    assert top_up_reference(gas) != top_up_reference(electricity)
    assert gas[:5] == electricity[:5]


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
