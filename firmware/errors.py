"""The firmware's error type."""


class FirmwareError(Exception):
    """A request the firmware cannot honour (bad setting, unknown display item...)."""


class StateFileError(FirmwareError):
    """A state file is corrupt, truncated or from a newer vmeter; it is left untouched."""
