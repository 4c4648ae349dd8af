"""`vmeter headend ...` against the real meter: output, JSON, exit codes (0 ok, 1 refused by
the meter, 2 usage, 3 no answer)."""

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from served_tcp import START, ServedMeter

from emulator.cli import main


async def vmeter(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    """Run the real CLI in a thread (it runs its own event loop) while the meter serves here."""
    code = await asyncio.wait_for(asyncio.to_thread(main, ["headend", *argv]), 30)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


async def test_read_prints_the_register_value_with_its_unit_last(
    served: ServedMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    served.advance_to(START + timedelta(hours=2))
    code, lines, _ = await vmeter(capsys, "--tcp", served.endpoint, "read", "1.8.1")
    assert code == 0
    assert lines[-1] == "1000 Wh"


async def test_read_json(served: ServedMeter, capsys: pytest.CaptureFixture[str]) -> None:
    served.advance_to(START + timedelta(hours=2))
    code, lines, _ = await vmeter(
        capsys, "--tcp", served.endpoint, "--json", "read", "1-0:1.8.1.255"
    )
    assert code == 0
    assert json.loads(lines[-1]) == {
        "obis": "1-0:1.8.1.255", "class": 3, "attribute": 2, "value": 1000, "unit": "Wh"
    }  # fmt: skip


async def test_read_clock_as_local_time(
    served: ServedMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = await vmeter(capsys, "--tcp", served.endpoint, "read", "0-0:1.0.0.255")
    assert code == 0
    assert lines[-1] == "2026-03-02T10:00:00+01:00"


async def test_list_prints_class_obis_and_version(
    served: ServedMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = await vmeter(capsys, "--tcp", served.endpoint, "list")
    assert code == 0
    assert any(line.split() == ["3", "1-0:1.8.1.255", "v0"] for line in lines)
    assert any(line.split() == ["70", "0-0:96.3.10.255", "v1"] for line in lines)


async def test_disconnect_needs_the_management_client(
    served: ServedMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await vmeter(capsys, "--tcp", served.endpoint, "disconnect")
    assert code == 1
    assert "read-write-denied" in err
    code, lines, _ = await vmeter(
        capsys, "--tcp", served.endpoint, "--password", "00000000", "disconnect"
    )
    assert (code, lines) == (0, ["ok"])
    code, lines, _ = await vmeter(capsys, "--tcp", served.endpoint, "read", "0-0:96.3.10.255:2")
    assert lines[-1] == "False"
    code, lines, _ = await vmeter(
        capsys, "--tcp", served.endpoint, "--password", "00000000", "reconnect"
    )
    assert code == 0


async def test_set_and_action_on_the_clock(
    served: ServedMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    management = ["--tcp", served.endpoint, "--password", "00000000"]
    code, _, _ = await vmeter(
        capsys, *management, "set", "0-0:1.0.0.255:2", "2026-03-02T11:30:00+01:00"
    )
    assert code == 0
    # shift_time (method 6) by +60 s
    code, _, _ = await vmeter(
        capsys, *management, "action", "0-0:1.0.0.255:6", "60", "--type", "long"
    )
    assert code == 0
    code, lines, _ = await vmeter(capsys, "--tcp", served.endpoint, "read", "0-0:1.0.0.255")
    assert lines[-1] == "2026-03-02T11:31:00+01:00"


async def test_refusals_exit_1(served: ServedMeter, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await vmeter(capsys, "--tcp", served.endpoint, "read", "9.9.9")
    assert code == 1 and "not in the meter's object list" in err
    code, _, err = await vmeter(capsys, "--tcp", served.endpoint, "--password", "bad", "list")
    assert code == 1 and "AUTHENTICATION_FAILURE" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--tcp", "nowhere", "list"],
        ["--tcp", "127.0.0.1:4059", "read", "1.8"],
        ["--tcp", "127.0.0.1:4059", "action", "0-0:96.3.10.255", "0"],
    ],
)
async def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await vmeter(capsys, *argv)
    assert code == 2 and err.startswith("vmeter headend:")


async def test_out_of_range_value_is_a_usage_error(
    served: ServedMeter, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--password", "00000000", "set", "0-0:96.3.10.255:4", "300", "--type", "enum"]
    code, _, err = await vmeter(capsys, "--tcp", served.endpoint, *argv)
    assert code == 2 and "out of range" in err


async def test_silent_meter_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        code, _, err = await vmeter(
            capsys, "--tcp", f"127.0.0.1:{port}", "--timeout", "0.2", "list"
        )
    finally:
        server.close()
        await server.wait_closed()
    assert code == 3 and "no answer" in err


async def test_trace_file_holds_every_frame_decoded(
    served: ServedMeter, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trace = tmp_path / "trace.txt"
    code, _, _ = await vmeter(
        capsys, "--tcp", served.endpoint, "--trace", str(trace), "read", "1.8.1", "--class", "3"
    )
    assert code == 0
    text = trace.read_text()
    assert "C16->S1 00 01 00 10 00 01" in text
    for name in ("AARQ", "AARE", "GetRequestNormal", "GetResponseNormal", "RLRQ", "RLRE"):
        assert name in text
