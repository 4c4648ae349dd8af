"""ACTION-Request (0xC3) and ACTION-Response (0xC7), normal form."""

from __future__ import annotations

from dataclasses import dataclass

from cosem.apdu.descriptors import MethodDescriptor
from cosem.apdu.enums import DEFAULT_INVOKE, ActionResult, DataAccessResult, InvokeIdAndPriority
from cosem.apdu.get import encode_get_data_result, read_get_data_result
from cosem.apdu.reader import Reader, enum_value
from cosem.apdu.service import parse_service
from cosem.axdr import Data, encode

ACTION_REQUEST = 0xC3
ACTION_RESPONSE = 0xC7


@dataclass(frozen=True, slots=True)
class ActionRequestNormal:
    method: MethodDescriptor
    parameters: Data | None = None
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        head = bytes((ACTION_REQUEST, 1, self.invoke.to_byte())) + self.method.to_bytes()
        if self.parameters is None:
            return head + b"\x00"
        return head + b"\x01" + encode(self.parameters)


@dataclass(frozen=True, slots=True)
class ActionResponseNormal:
    result: ActionResult
    return_data: Data | DataAccessResult | None = None
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        head = bytes((ACTION_RESPONSE, 1, self.invoke.to_byte(), self.result))
        if self.return_data is None:
            return head + b"\x00"
        return head + b"\x01" + encode_get_data_result(self.return_data)


ActionRequest = ActionRequestNormal
ActionResponse = ActionResponseNormal


def _read_action_request(r: Reader, invoke: InvokeIdAndPriority) -> ActionRequest:
    method = MethodDescriptor.read(r)
    parameters = r.data() if r.choice("method-invocation-parameters present") else None
    return ActionRequestNormal(method, parameters, invoke)


def _read_action_response(r: Reader, invoke: InvokeIdAndPriority) -> ActionResponse:
    result = enum_value(ActionResult, r.u8("action-result"), "action-result")
    return_data = read_get_data_result(r) if r.choice("return-parameters present") else None
    return ActionResponseNormal(result, return_data, invoke)


def parse_action_request(raw: bytes) -> ActionRequest:
    return parse_service(raw, ACTION_REQUEST, "ACTION-Request", {1: _read_action_request})


def parse_action_response(raw: bytes) -> ActionResponse:
    return parse_service(raw, ACTION_RESPONSE, "ACTION-Response", {1: _read_action_response})
