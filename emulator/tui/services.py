"""The meter's run inside the terminal UI, with the services its configuration asks for (COSEM
TCP, optical port or HDLC over TCP, MQTT) on the app's event loop: the parts ``vmeter run``
uses, their announcements going to the event log instead of stderr."""

from __future__ import annotations

from collections.abc import Callable

from cosem.trace import Tracer
from emulator.config import MeterConfig
from emulator.runtime import VirtualMeter


async def run_with_services(
    virtual: VirtualMeter,
    config: MeterConfig,
    announce: Callable[[str], None],
    tcp_hdlc: str | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Run until the meter's run ends or is cancelled (quit); ``ConfigError`` when a service
    cannot start (port in use, bad broker URL)."""
    communication = config.communication
    if communication.serial is not None or tcp_hdlc is not None:
        from emulator.serial_service import start_serial_services

        start_serial_services(virtual, config, tcp_hdlc, announce=announce, trace=tracer)
    if communication.mqtt is not None:
        from emulator.mqtt_service import run_with_mqtt

        await run_with_mqtt(virtual, config, communication.mqtt, tracer, announce)
    elif communication.tcp is not None:
        from emulator.tcp_service import run_with_tcp

        await run_with_tcp(virtual, config, communication.tcp, tracer, announce)
    else:
        await virtual.run()
