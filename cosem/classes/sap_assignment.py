"""SAP assignment (class_id 17, version 0) at 0-0:41.0.0.255: which logical device answers at
which server SAP. Attribute 2 SAP_assignment_list: array of structure{SAP long-unsigned,
logical_device_name octet-string}."""

from __future__ import annotations

from collections.abc import Mapping

from cosem.axdr import Data
from cosem.classes.base import Attribute, CosemObject, logical_name, static
from cosem.obis import Obis

CLASS_ID = 17
SAP_ASSIGNMENT_OBIS = Obis(0, 0, 41, 0, 0, 255)


def sap_assignment(devices: Mapping[int, bytes], obis: Obis = SAP_ASSIGNMENT_OBIS) -> CosemObject:
    """``devices``: server SAP -> logical device name."""
    assignment = Data.array(
        Data.structure(Data.long_unsigned(sap), Data.octet_string(name))
        for sap, name in sorted(devices.items())
    )
    return CosemObject(CLASS_ID, 0, obis, (logical_name(obis), Attribute(2, static(assignment))))
