"""The server's side of the TCP wrapper addressing (IEC 62056-47), sans-IO: one instance per
connection (TCP) or per head-end (MQTT). Each client SAP (source wPort) gets its own
association with the logical device; frames for another server SAP are ignored; the answer
goes back with the wPorts swapped."""

from __future__ import annotations

from cosem.server import LogicalDevice, ServerAssociation
from cosem.trace import Tracer, format_frame
from cosem.wrapper import encode_wrapper


class WrapperAssociations:
    def __init__(self, device: LogicalDevice, trace: Tracer | None = None) -> None:
        self.device = device
        self.trace = trace
        self.associations: dict[int, ServerAssociation] = {}

    def addressed_to_us(self, server_sap: int) -> bool:
        return server_sap == self.device.server_sap

    def answer(self, client_sap: int, server_sap: int, frame: bytes, apdu: bytes) -> bytes | None:
        """The wrapper frame answering one request ``frame`` (its ``apdu`` already sliced
        out), or None when nothing goes back."""
        trace = self.trace
        if trace is not None:
            trace(format_frame(f"C{client_sap}->S{server_sap}", frame, apdu))
        if server_sap != self.device.server_sap:
            return None
        association = self.associations.get(client_sap)
        if association is None:
            association = self.associations[client_sap] = self.device.association(client_sap)
        response = association.handle(apdu)
        if response is None:
            return None
        answer = encode_wrapper(server_sap, client_sap, response)
        if trace is not None:
            trace(format_frame(f"S{server_sap}->C{client_sap}", answer, response))
        return answer
