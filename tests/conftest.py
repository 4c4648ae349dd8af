"""Fixtures shared across test directories (a directory's own conftest may override them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from brokers import broker, mosquitto_factory  # noqa: F401 (fixtures for every directory)
from served_tcp import ServedMeter, serve_over_tcp


@pytest.fixture(autouse=True)
def own_cache_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test's head-end object-list cache (headend/object_cache.py) in a directory of its
    own: never the user's ~/.cache, never a list cached from another test's meter."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
async def served() -> AsyncIterator[ServedMeter]:
    """A virtual meter served over loopback TCP on port 0 (tests/served_tcp.py)."""
    meter = await serve_over_tcp()
    yield meter
    await meter.service.close()
