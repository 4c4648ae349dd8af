"""Rules shared by the meter firmware and the head-end: pure functions, no state, no hal (M5)."""
