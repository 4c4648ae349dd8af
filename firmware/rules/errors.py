"""The error base the firmware and its shared rules raise (the rules live here so that the
head-end, which may import firmware/rules/ alone, gets it with them)."""


class FirmwareError(Exception):
    """A request the firmware cannot honour (bad setting, unknown display item...)."""
