"""The operator's central prepayment platform (rules P1-P9, R1-R3, M5, M6).

Sans-IO: `ledger` stores, `billing` prices a day, `decisions` turns a meter's state into
actions, `topup` books a payment, `service.Platform` ties them together and `duties` says
what is due at a given time. Driving it: `orders` carries a decision out over a head-end
session, `live.LivePlatform` runs the duties against meters (`vmeter headend platform`).
"""
