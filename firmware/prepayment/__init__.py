"""Meter-side prepayment (M5): credit ledger (M6), top-up tokens (P6), budget card (B3, B4)."""
