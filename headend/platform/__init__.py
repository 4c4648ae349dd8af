"""The operator's central prepayment platform (rules P1-P9, R1-R3, M5, M6), sans-IO.

`ledger` stores, `billing` prices a day, `decisions` turns a meter's state into actions,
`topup` books a payment and `service.Platform` ties them together for a transport to drive.
"""
