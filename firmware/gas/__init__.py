"""The smart gas meter's firmware parts (rules G1-G4, M1, M2, M4): volume register, valve,
leak-tightness test and the three-button display."""
