"""Fixtures shared across test directories (a directory's own conftest may override them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from brokers import broker, mosquitto_factory  # noqa: F401 (fixtures for every directory)
from served_tcp import ServedMeter, serve_over_tcp


@pytest.fixture
async def served() -> AsyncIterator[ServedMeter]:
    """A virtual meter served over loopback TCP on port 0 (tests/served_tcp.py)."""
    meter = await serve_over_tcp()
    yield meter
    await meter.service.close()
