"""The legacy budget meter (rules B1-B11, M3): account, card transfer, blue-button cycle."""
