"""APDU differential tests: the gurux-dlms client's requests parse to what we expect, and gurux
parses our responses (AARE, GET normal/blocks/list, SET, ACTION, exception, RLRE)."""

from typing import Any

import pytest
from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, DataType, InterfaceType
from gurux_dlms.GXDLMSException import GXDLMSException
from gurux_dlms.GXDLMSExceptionResponse import GXDLMSExceptionResponse
from gurux_dlms.objects import (
    GXDLMSData,
    GXDLMSDisconnectControl,
    GXDLMSProfileGeneric,
    GXDLMSRegister,
)

from cosem.apdu import (
    AARE,
    AARQ,
    RLRE,
    RLRQ,
    AcseResult,
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResult,
    Apdu,
    AssociationDiagnostic,
    AttributeDescriptor,
    AuthenticationMechanism,
    DataAccessResult,
    ExceptionResponse,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    InitiateResponse,
    MethodDescriptor,
    SelectiveAccess,
    ServiceError,
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetResponseNormal,
    StateError,
    parse_apdu,
)
from cosem.axdr import Data, encode
from cosem.client import DEFAULT_CONFORMANCE
from cosem.obis import Obis
from cosem.wrapper import WrapperDecoder, encode_wrapper

REGISTER = GXDLMSRegister("1.0.1.8.1.255")
RELAY = GXDLMSDisconnectControl("0.0.96.3.10.255")


class GuruxPeer:
    """A gurux client whose frames we parse and to which we answer with our APDUs."""

    def __init__(self, client_sap: int = 16, password: str | None = None, pdu: int = 1024) -> None:
        mechanism = Authentication.LOW if password else Authentication.NONE
        self.client = GXDLMSClient(True, client_sap, 1, mechanism, password, InterfaceType.WRAPPER)
        self.client_sap = client_sap
        self.server_pdu = pdu

    def requests(self, frames: Any) -> list[Apdu]:
        return [
            parse_apdu(frame.apdu) for raw in _flat(frames) for frame in WrapperDecoder().feed(raw)
        ]

    def answer(self, apdu: Apdu, reply: GXReplyData | None = None) -> GXReplyData:
        reply = reply or GXReplyData()
        frame = encode_wrapper(1, self.client_sap, apdu.to_bytes())
        assert self.client.getData(GXByteBuffer(frame), reply, GXReplyData())
        return reply

    def associate(self) -> None:
        self.requests(self.client.aarqRequest())
        response = InitiateResponse(DEFAULT_CONFORMANCE, self.server_pdu)
        reply = self.answer(AARE(AcseResult.ACCEPTED, user_information=response))
        self.client.parseAareResponse(reply.data)


def _flat(frames: Any) -> list[bytes]:
    if isinstance(frames, bytes | bytearray):
        return [bytes(frames)]
    return [raw for item in frames for raw in _flat(item)]


@pytest.fixture
def gurux() -> GuruxPeer:
    peer = GuruxPeer()
    peer.associate()
    return peer


def test_gurux_accepts_our_aare(gurux: GuruxPeer) -> None:
    assert int(gurux.client.getNegotiatedConformance()) == int(DEFAULT_CONFORMANCE)
    assert gurux.client.getMaxReceivePDUSize() == 1024


def test_gurux_lls_aarq_and_our_rejection() -> None:
    peer = GuruxPeer(1, "00000000")
    (aarq,) = peer.requests(peer.client.aarqRequest())
    assert isinstance(aarq, AARQ)
    assert (aarq.mechanism, aarq.authentication_value) == (AuthenticationMechanism.LLS, b"00000000")
    reply = peer.answer(
        AARE(AcseResult.REJECTED_PERMANENT, AssociationDiagnostic.AUTHENTICATION_FAILURE)
    )
    with pytest.raises(GXDLMSException, match="Authentication failure"):
        peer.client.parseAareResponse(reply.data)


def test_gurux_get_and_our_normal_response(gurux: GuruxPeer) -> None:
    (request,) = gurux.requests(gurux.client.read(REGISTER, 2))
    assert request == GetRequestNormal(AttributeDescriptor(3, Obis.parse("1.8.1"), 2))
    reply = gurux.answer(GetResponseNormal(Data.double_long_unsigned(1234)))
    assert reply.value == 1234


def test_gurux_follows_our_get_blocks(gurux: GuruxPeer) -> None:
    gurux.requests(gurux.client.read(REGISTER, 2))
    raw = encode(Data.octet_string(b"abcdefgh"))
    reply = gurux.answer(GetResponseWithDatablock(False, 1, raw[:4]))
    assert reply.isMoreData()
    (next_request,) = gurux.requests(gurux.client.receiverReady(reply))
    assert next_request == GetRequestNext(1)
    reply = gurux.answer(GetResponseWithDatablock(True, 2, raw[4:]), reply)
    assert not reply.isMoreData() and bytes(reply.value) == b"abcdefgh"


def test_gurux_get_with_list_and_our_mixed_results(gurux: GuruxPeer) -> None:
    (request,) = gurux.requests(gurux.client.readList([(REGISTER, 2), (REGISTER, 3)]))
    assert isinstance(request, GetRequestWithList)
    assert [a.attribute.attribute_id for a in request.attributes] == [2, 3]
    reply = gurux.answer(
        GetResponseWithList((Data.unsigned(5), DataAccessResult.READ_WRITE_DENIED))
    )
    assert reply.value == [5, None]


def test_gurux_selective_access_by_entry(gurux: GuruxPeer) -> None:
    (request,) = gurux.requests(
        gurux.client.readRowsByEntry(GXDLMSProfileGeneric("1.0.99.1.0.255"), 1, 10)
    )
    assert isinstance(request, GetRequestNormal)
    assert request.access == SelectiveAccess(
        2,
        Data.structure(
            Data.double_long_unsigned(1),
            Data.double_long_unsigned(10),
            Data.long_unsigned(1),
            Data.long_unsigned(0),
        ),
    )


def test_gurux_get_refused(gurux: GuruxPeer) -> None:
    gurux.requests(gurux.client.read(REGISTER, 2))
    reply = gurux.answer(GetResponseNormal(DataAccessResult.OBJECT_UNDEFINED))
    assert reply.error == DataAccessResult.OBJECT_UNDEFINED


def test_gurux_set_normal_and_in_blocks() -> None:
    small = GuruxPeer(pdu=1024)
    small.associate()
    data = GXDLMSData("0.0.96.1.0.255")
    data.value = b"VM1"
    data.setDataType(2, DataType.OCTET_STRING)
    (request,) = small.requests(small.client.write(data, 2))
    assert request == SetRequestNormal(
        AttributeDescriptor(1, Obis.parse("0-0:96.1.0.255"), 2), Data.octet_string(b"VM1")
    )
    assert small.answer(SetResponseNormal(DataAccessResult.SUCCESS)).error == 0

    limited = GuruxPeer(pdu=200)
    limited.associate()
    data.value = b"x" * 500
    requests = limited.requests(limited.client.write(data, 2))
    first, *rest = requests
    assert isinstance(first, SetRequestWithFirstDatablock)
    assert all(isinstance(r, SetRequestWithDatablock) for r in rest)
    blocks = [first.block] + [r.block for r in rest if isinstance(r, SetRequestWithDatablock)]
    assert [b.block_number for b in blocks] == list(range(1, len(blocks) + 1))
    assert [b.last_block for b in blocks] == [False] * (len(blocks) - 1) + [True]
    assert b"".join(b.raw for b in blocks) == encode(Data.octet_string(b"x" * 500))


def test_gurux_action_and_our_return_data(gurux: GuruxPeer) -> None:
    (request,) = gurux.requests(RELAY.remoteDisconnect(gurux.client))
    assert request == ActionRequestNormal(
        MethodDescriptor(70, Obis.parse("0-0:96.3.10.255"), 1), Data.integer(0)
    )
    assert (
        gurux.answer(ActionResponseNormal(ActionResult.SUCCESS, Data.long_unsigned(7))).value == 7
    )
    gurux.requests(RELAY.remoteDisconnect(gurux.client))
    assert gurux.answer(ActionResponseNormal(ActionResult.TEMPORARY_FAILURE)).error == 2


def test_gurux_reads_our_exception_response(gurux: GuruxPeer) -> None:
    gurux.requests(gurux.client.read(REGISTER, 2))
    with pytest.raises(GXDLMSExceptionResponse, match="Operation not possible"):
        gurux.answer(
            ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE)
        )


def test_gurux_release(gurux: GuruxPeer) -> None:
    (request,) = gurux.requests(gurux.client.releaseRequest())
    assert isinstance(request, RLRQ)
    gurux.answer(RLRE())
