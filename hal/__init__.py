"""Hardware abstraction: small Protocols and emulated devices that record what they did."""
