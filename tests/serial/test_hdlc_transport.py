"""The probe's HDLC transport against a meter link on a slow line (an emulated port pair)."""

import asyncio

from cosem.hdlc import PUBLIC_CLIENT, LinkParameters, ServerAddress
from cosem.hdlc_link import ApduReceived, HdlcLink, Role
from hal.optical import EmulatedOpticalPort, Framing, LineSettings, emulated_pair
from headend.hdlc_transport import HdlcTransport

LINE = LineSettings(9600, Framing.EIGHT_N_ONE)
ANSWER = bytes(i % 251 for i in range(48 * 128 - 3))  # with the LLC: 48 segments of 128


async def slow_meter(port: EmulatedOpticalPort, frame_time: float) -> int:
    """A meter link answering every APDU with ANSWER, each write taking `frame_time` on the line.
    Returns the number of I-frames it sent (repeats included) once the client disconnects."""
    link = HdlcLink(Role.SERVER, ServerAddress(1))
    sent = 0
    while True:
        data = await port.read(timeout=5)
        link.receive_data(data, 0)
        while (event := link.next_event()) is not None:
            if isinstance(event, ApduReceived):
                link.send_apdu(ANSWER)
        outgoing = link.data_to_send()
        if outgoing:
            await asyncio.sleep(frame_time)
            sent += outgoing.count(b"\x7e\xa8") + outgoing.count(b"\x7e\xa0")
            await port.write(outgoing)
        if data.endswith(b"\x53\x03\xc7\x7e"):  # the client's DISC
            return sent


async def test_a_long_answer_may_take_longer_than_the_timeout() -> None:
    """timeout_s bounds the meter's silence: a 48-segment answer taking about 1.5 s arrives
    whole with a 1.2 s timeout, and no poll made the meter repeat a segment."""
    meter_port, probe_port = emulated_pair()
    await meter_port.set_line(LINE)
    await probe_port.set_line(LINE)
    meter = asyncio.create_task(slow_meter(meter_port, frame_time=0.03))
    transport = HdlcTransport(
        probe_port, ServerAddress(1), PUBLIC_CLIENT, limits=LinkParameters(), timeout_s=1.2
    )
    await transport.open()
    await transport.send(b"\xc0\x01\x00")
    assert await transport.receive(timeout_s=1.2) == ANSWER
    await transport.close()
    frames = await asyncio.wait_for(meter, 5)
    assert frames == 1 + 48 + 1  # UA, the segments, UA to DISC
