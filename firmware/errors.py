"""The firmware's error types."""

from firmware.rules.errors import FirmwareError

__all__ = ["FirmwareError", "StateFileError"]


class StateFileError(FirmwareError):
    """A state file is corrupt, truncated or from a newer vmeter; it is left untouched."""
