"""The session's timeout bounds the meter's silence, not the exchange: on a 9600 baud line a
load profile answer takes longer than the timeout and still arrives whole."""

import asyncio
import contextlib

from cosem.apdu import AttributeDescriptor
from cosem.axdr import DataType, encode
from cosem.hdlc import PUBLIC_CLIENT, LinkParameters, ServerAddress
from cosem.obis import Obis
from emulator.config import MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.serial_service import HdlcSession, HdlcSettings
from hal.optical import BITS_PER_CHARACTER, Framing, LineSettings, SerialOpticalPort
from headend.hdlc_transport import HdlcTransport
from headend.session import Session

LINE = LineSettings(9600, Framing.EIGHT_N_ONE)
LOAD_PROFILE = AttributeDescriptor(7, Obis.parse("1-0:99.1.0.255"), 2)
TIMEOUT_S = 2.0
# 128-byte segments take ~0.15 s each on the paced line: far below the RR poll interval
# (TIMEOUT_S / 4), so every gap is a short silence while the whole answer is not.
SEGMENT = LinkParameters(max_info_tx=128, max_info_rx=128, window_tx=1, window_rx=1)


async def test_a_read_longer_than_the_timeout_succeeds_when_the_meter_keeps_talking(
    socat_pair: tuple[str, str], virtual_meter: VirtualMeter
) -> None:
    meter_path, probe_path = socat_pair
    meter_port = SerialOpticalPort(meter_path, pace=True)  # bytes arrive at 9600 baud
    probe_port = SerialOpticalPort(probe_path)
    await meter_port.set_line(LINE)
    await probe_port.set_line(LINE)
    address = ServerAddress(1)
    hdlc = HdlcSession(
        build_logical_device(virtual_meter, MeterConfig()), HdlcSettings(address=address)
    )
    serving = asyncio.create_task(hdlc.run(meter_port))
    try:
        transport = HdlcTransport(
            probe_port, address, PUBLIC_CLIENT, limits=SEGMENT, timeout_s=TIMEOUT_S
        )
        await asyncio.wait_for(transport.open(), 10)
        async with Session(transport, timeout_s=TIMEOUT_S) as session:
            profile = await asyncio.wait_for(session.get(LOAD_PROFILE), 30)
        assert profile.type is DataType.ARRAY
        assert len(profile.value) == 20 * 4  # 20 hours of quarter-hour entries
        # The premise: the answer alone is longer on the line than the timeout allows.
        line_seconds = len(encode(profile)) * BITS_PER_CHARACTER / LINE.baud
        assert line_seconds > TIMEOUT_S
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        meter_port.close()
