"""The sans-IO client association against APDU byte vectors (COSEM-FACTS 5.5, 8.2, 8.3)."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosem.apdu import (
    AARE,
    AARQ,
    RLRE,
    AcseResult,
    ActionResponseNormal,
    ActionResult,
    AssociationDiagnostic,
    AttributeDescriptor,
    AuthenticationMechanism,
    ConfirmedServiceError,
    Conformance,
    DataAccessResult,
    DataNotification,
    ExceptionResponse,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    InitiateResponse,
    InvokeIdAndPriority,
    MethodDescriptor,
    ServiceError,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    StateError,
    parse_apdu,
)
from cosem.axdr import Data, encode
from cosem.client import (
    AccessRefused,
    ActionDone,
    Associated,
    AssociationRejected,
    ClientAssociation,
    ClientState,
    ExceptionReceived,
    GetListResult,
    GetResult,
    Notification,
    ProtocolError,
    Released,
    SendNext,
    SetDone,
)
from cosem.errors import CosemError
from cosem.obis import Obis

GURUX_AARE = bytes.fromhex(
    "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F0400001E1D04000007"
)
ENERGY = AttributeDescriptor(3, Obis.parse("1.8.1"), 2)
RELAY = MethodDescriptor(70, Obis.parse("0-0:96.3.10.255"), 1)


def associated(max_pdu: int = 1024) -> ClientAssociation:
    client = ClientAssociation()
    client.associate_request()
    response = InitiateResponse(
        Conformance.GET
        | Conformance.SET
        | Conformance.ACTION
        | Conformance.MULTIPLE_REFERENCES
        | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
        | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE,
        max_pdu,
    )
    client.receive_apdu(AARE(AcseResult.ACCEPTED, user_information=response).to_bytes())
    return client


def test_association_negotiates_conformance_and_pdu_size() -> None:
    client = ClientAssociation()
    aarq = parse_apdu(client.associate_request())
    assert isinstance(aarq, AARQ) and aarq.mechanism is None
    event = client.receive_apdu(GURUX_AARE)
    assert isinstance(event, Associated)
    assert event.server_max_receive_pdu_size == 1024
    assert Conformance.GET in event.negotiated_conformance
    assert client.state is ClientState.ASSOCIATED


def test_lls_association_sends_the_password() -> None:
    aarq = parse_apdu(ClientAssociation(password=b"00000000").associate_request())
    assert isinstance(aarq, AARQ)
    assert aarq.mechanism is AuthenticationMechanism.LLS
    assert aarq.authentication_value == b"00000000"


def test_rejected_association_names_the_diagnostic() -> None:
    client = ClientAssociation(password=b"wrong")
    client.associate_request()
    aare = AARE(AcseResult.REJECTED_PERMANENT, AssociationDiagnostic.AUTHENTICATION_FAILURE)
    with pytest.raises(AssociationRejected) as refusal:
        client.receive_apdu(aare.to_bytes())
    assert refusal.value.diagnostic is AssociationDiagnostic.AUTHENTICATION_FAILURE
    assert client.state is ClientState.IDLE


def test_initiate_error_is_part_of_the_rejection() -> None:
    client = ClientAssociation()
    client.associate_request()
    aare = AARE(AcseResult.REJECTED_PERMANENT, 1, ConfirmedServiceError(1, 6, 1))
    with pytest.raises(AssociationRejected, match="initiate error 1"):
        client.receive_apdu(aare.to_bytes())


def test_get_normal() -> None:
    client = associated()
    request = client.get_request(ENERGY)
    assert request == bytes.fromhex("C001C1 0003 0100010801FF 02 00")
    event = client.receive_apdu(GetResponseNormal(Data.double_long_unsigned(1234)).to_bytes())
    assert event == GetResult(Data.double_long_unsigned(1234))
    assert client.state is ClientState.ASSOCIATED


def test_get_follows_blocks_transparently() -> None:
    client = associated()
    value = Data.octet_string(bytes(range(200)))
    raw = encode(value)
    client.get_request(ENERGY)
    iip = InvokeIdAndPriority(1)
    first = client.receive_apdu(GetResponseWithDatablock(False, 1, raw[:100], iip).to_bytes())
    assert first == SendNext(bytes.fromhex("C002C1 00000001"))  # GET-Request-Next, block 1
    second = client.receive_apdu(GetResponseWithDatablock(False, 2, raw[100:150], iip).to_bytes())
    assert isinstance(second, SendNext)
    last = client.receive_apdu(GetResponseWithDatablock(True, 3, raw[150:], iip).to_bytes())
    assert last == GetResult(value)


def test_get_blocks_out_of_order_break_the_association() -> None:
    client = associated()
    client.get_request(ENERGY)
    with pytest.raises(ProtocolError, match="block 2"):
        client.receive_apdu(GetResponseWithDatablock(False, 2, b"\x00").to_bytes())
    assert client.state is ClientState.ERROR


def test_get_with_list_in_blocks() -> None:
    client = associated()
    client.get_with_list_request([ENERGY, ENERGY])
    body = GetResponseWithList((Data.unsigned(1), DataAccessResult.READ_WRITE_DENIED)).to_bytes()
    raw = body[3:]  # count + results, as a server splits them into blocks
    assert isinstance(
        client.receive_apdu(GetResponseWithDatablock(False, 1, raw[:2]).to_bytes()), SendNext
    )
    event = client.receive_apdu(GetResponseWithDatablock(True, 2, raw[2:]).to_bytes())
    assert event == GetListResult((Data.unsigned(1), DataAccessResult.READ_WRITE_DENIED))


def test_refused_get_raises_access_refused_and_keeps_the_association() -> None:
    client = associated()
    client.get_request(ENERGY)
    with pytest.raises(AccessRefused) as refusal:
        client.receive_apdu(GetResponseNormal(DataAccessResult.OBJECT_UNDEFINED).to_bytes())
    assert refusal.value.result is DataAccessResult.OBJECT_UNDEFINED
    assert client.state is ClientState.ASSOCIATED


def test_exception_response_is_raised_and_the_association_survives() -> None:
    client = associated()
    client.get_request(ENERGY)
    exception = ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)
    with pytest.raises(ExceptionReceived, match="PDU_TOO_LONG"):
        client.receive_apdu(exception.to_bytes())
    assert client.state is ClientState.ASSOCIATED


def test_set_fits_in_one_request() -> None:
    client = associated()
    client.set_request(ENERGY, Data.double_long_unsigned(0))
    assert client.receive_apdu(SetResponseNormal(DataAccessResult.SUCCESS).to_bytes()) == SetDone()


def test_set_splits_a_value_above_the_meter_pdu_size_into_blocks() -> None:
    client = associated(max_pdu=64)
    value = Data.octet_string(bytes(range(200)))
    request = client.set_request(ENERGY, value)
    sent = [request]
    first = parse_apdu(request)
    assert isinstance(first, SetRequestWithFirstDatablock) and not first.block.last_block
    raw = first.block.raw
    block = 1
    while True:
        event = client.receive_apdu(SetResponseDatablock(block).to_bytes())
        assert isinstance(event, SendNext)
        sent.append(event.apdu)
        following = parse_apdu(event.apdu)
        assert isinstance(following, SetRequestWithDatablock)
        block += 1
        assert following.block.block_number == block
        raw += following.block.raw
        if following.block.last_block:
            break
    assert raw == encode(value)
    assert all(len(apdu) <= 64 for apdu in sent)
    done = client.receive_apdu(SetResponseLastDatablock(DataAccessResult.SUCCESS, block).to_bytes())
    assert done == SetDone()


def test_refused_set() -> None:
    client = associated()
    client.set_request(ENERGY, Data.double_long_unsigned(0))
    with pytest.raises(AccessRefused, match="read-write-denied"):
        client.receive_apdu(SetResponseNormal(DataAccessResult.READ_WRITE_DENIED).to_bytes())


def test_action_with_parameters_and_return_data() -> None:
    client = associated()
    request = client.action_request(RELAY, Data.integer(0))
    assert request == bytes.fromhex("C301C1 0046 000060030AFF 01 01 0F00")
    returned = ActionResponseNormal(ActionResult.SUCCESS, Data.unsigned(7))
    assert client.receive_apdu(returned.to_bytes()) == ActionDone(Data.unsigned(7))


def test_refused_action() -> None:
    client = associated()
    client.action_request(RELAY, Data.integer(0))
    with pytest.raises(AccessRefused, match="temporary-failure"):
        client.receive_apdu(ActionResponseNormal(ActionResult.TEMPORARY_FAILURE).to_bytes())


def test_answer_for_another_invoke_id_is_a_protocol_error() -> None:
    client = associated()
    client.get_request(ENERGY)
    stray = GetResponseNormal(Data.unsigned(1), InvokeIdAndPriority(9)).to_bytes()
    with pytest.raises(ProtocolError, match="invoke-id"):
        client.receive_apdu(stray)


def test_requests_need_an_association() -> None:
    with pytest.raises(ProtocolError, match="idle"):
        ClientAssociation().get_request(ENERGY)


def test_garbage_answer_is_a_protocol_error() -> None:
    client = associated()
    client.get_request(ENERGY)
    with pytest.raises(ProtocolError, match="undecodable"):
        client.receive_apdu(b"\xc4\x01")


def test_push_notifications_pass_through_in_any_state() -> None:
    client = associated()
    client.get_request(ENERGY)
    push = DataNotification(1, None, Data.unsigned(5))
    assert client.receive_apdu(push.to_bytes()) == Notification(push)
    assert client.state is ClientState.AWAITING_RESPONSE


def test_release() -> None:
    client = associated()
    assert client.release_request() == bytes.fromhex("6203800100")
    assert isinstance(client.receive_apdu(RLRE().to_bytes()), Released)
    assert client.state is ClientState.IDLE


@settings(max_examples=300)
@given(st.sampled_from([0x61, 0x63, 0xC4, 0xC5, 0xC7, 0xD8, 0x0F]), st.binary(max_size=40))
def test_any_answer_yields_an_event_or_a_cosem_error(tag: int, rest: bytes) -> None:
    client = associated()
    client.get_request(ENERGY)
    with contextlib.suppress(CosemError):
        client.receive_apdu(bytes((tag,)) + rest)


def test_an_answer_nobody_asked_for_breaks_the_association() -> None:
    client = associated()
    with pytest.raises(ProtocolError, match="unexpected GetResponseNormal while associated"):
        client.receive_apdu(GetResponseNormal(Data.unsigned(1)).to_bytes())
    assert client.state is ClientState.ERROR
