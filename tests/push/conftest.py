"""The push tests reuse the MQTT tests' helpers (tests/mqtt) and the interop tests' meters
(tests/interop); their broker fixture is tests/brokers.py's."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "mqtt"))
sys.path.insert(0, str(Path(__file__).parents[1] / "interop"))
