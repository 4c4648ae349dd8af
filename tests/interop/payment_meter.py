"""A virtual meter in meter-side prepayment mode, configured from YAML as a user would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from cosem.server import LogicalDevice
from emulator.config import MeterConfig, RunConfig, parse_config
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService
from firmware.rules.money import Money
from firmware.rules.token import make_token

TOKEN_KEY: Final = "000102030405060708090A0B0C0D0E0F"
SERIAL: Final = "VM0000000001"
# Monday 2 March 2026, 10:00 in Brussels: peak tariff, outside the non-disconnect period.
START: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONFIG_TEXT: Final = f"""
security:
  token_key: "{TOKEN_KEY}"
prepayment:
  mode: meter
  prices: {{peak: "0.3000", offpeak: "0.2500"}}
  low_credit_threshold: "5.00"
load:
  watts: {{watts}}
"""
THRESHOLD_LINE: Final = '  low_credit_threshold: "5.00"\n'


def meter_mode_config(watts: int = 1000, weekly_fixed_charge: str = "0.00") -> MeterConfig:
    text = CONFIG_TEXT.replace("{watts}", str(watts))
    weekly = f'  weekly_fixed_charge: "{weekly_fixed_charge}"\n'
    return parse_config(text.replace(THRESHOLD_LINE, THRESHOLD_LINE + weekly))


def meter_mode_runtime(config: MeterConfig) -> VirtualMeter:
    return VirtualMeter(config, RunConfig(instant=True, start=START))


def token(seq: int, amount: str, key: str = TOKEN_KEY, serial: str = SERIAL) -> str:
    return make_token(bytes.fromhex(key), serial, seq, Money.parse(amount))


async def serve_meter_mode() -> tuple[VirtualMeter, TcpService]:
    """The meter with its TCP service on an ephemeral loopback port; close the service."""
    config = meter_mode_config()
    runtime = meter_mode_runtime(config)
    service = TcpService(build_logical_device(runtime, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    return runtime, service


def device(runtime: VirtualMeter) -> LogicalDevice:
    """The logical device over `runtime`; associations of one device share its objects."""
    return build_logical_device(runtime, meter_mode_config())
